from django.apps import AppConfig


class ElevationConfig(AppConfig):
    name = "federation.elevation"
    label = "elevation"
    verbose_name = "Just-in-time elevation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from federation.elevation import signals  # noqa: F401  (audits approval rule changes)
