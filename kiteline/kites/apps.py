from django.apps import AppConfig


class KitesConfig(AppConfig):
    name = "kiteline.kites"
    label = "kites"

    def ready(self) -> None:
        # Connects the receivers that carry kites with a transfer and close them at release.
        from kiteline.kites import receivers  # noqa: F401
