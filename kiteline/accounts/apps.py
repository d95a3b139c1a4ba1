from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kiteline.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the signal receivers: the 12-hour session clock, and sign-in auditing.
        from kiteline.accounts import sessions, signals  # noqa: F401
