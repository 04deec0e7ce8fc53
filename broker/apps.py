from django.apps import AppConfig


class BrokerConfig(AppConfig):
    name = "broker"
    verbose_name = "Identity and audit"

    def ready(self) -> None:
        from broker import signals  # noqa: F401  (connects the sign-in audit)
        from broker.cliauth import checks  # noqa: F401  (registers the CLI sign-in checks)
