from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "kiteline.facilities"
    label = "facilities"
