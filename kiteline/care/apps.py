from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "kiteline.care"
    label = "care"

    def ready(self) -> None:
        # Connects the receiver that carries undecided decisions and appeals on a transfer.
        from kiteline.care import receivers  # noqa: F401
