from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "kiteline.reports"
    label = "reports"
