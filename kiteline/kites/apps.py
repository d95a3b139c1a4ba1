from django.apps import AppConfig


class KitesConfig(AppConfig):
    name = "kiteline.kites"
    label = "kites"
