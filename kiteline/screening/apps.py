from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kiteline.screening"
    label = "screening"

    def ready(self) -> None:
        # Connects the receivers that open, carry and close a stay's evaluations.
        from kiteline.screening import receivers  # noqa: F401
        from kiteline.screening.services import check_safety_rules, instruments

        # Every definition file is loaded and checked now: a malformed one, or one that
        # lost a safety rule, stops the start with the file and fault named.
        check_safety_rules(instruments())
