from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kiteline.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the sign-in signal that starts the 12-hour session clock.
        from kiteline.accounts import sessions  # noqa: F401
