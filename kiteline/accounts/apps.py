from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kiteline.accounts"
    label = "accounts"
