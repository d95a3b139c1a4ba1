from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kiteline.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # Connects the receivers that close a stay's requirements on a release or transfer.
        from kiteline.scheduling import receivers  # noqa: F401
