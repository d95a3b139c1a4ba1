from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kiteline.scheduling"
    label = "scheduling"
