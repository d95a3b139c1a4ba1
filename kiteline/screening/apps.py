from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kiteline.screening"
    label = "screening"

    def ready(self) -> None:
        # Connects the receivers that open, carry and close a stay's evaluations.
        from kiteline.screening import receivers  # noqa: F401
