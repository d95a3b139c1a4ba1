from django.urls import path

from kiteline.audit import views

urlpatterns = [
    path("", views.log, name="audit-log"),
    path("export.csv", views.export, name="audit-export"),
    path("verify/", views.verify, name="audit-verify"),
    path("verify/run/", views.run_verify, name="audit-verify-run"),
]
