from django.apps import AppConfig


class ElevationConfig(AppConfig):
    name = "federation.elevation"
    label = "elevation"
    verbose_name = "Just-in-time elevation"
    default_auto_field = "django.db.models.BigAutoField"
