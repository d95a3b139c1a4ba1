from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kiteline.screening"
    label = "screening"
