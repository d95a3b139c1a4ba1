from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kiteline.audit"
    label = "audit"
