from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "AWS federation"

    def ready(self) -> None:
        from federation import signals  # noqa: F401  (audits grant changes)
        from federation.samlidp import checks  # noqa: F401  (a saml role needs a signing key)
