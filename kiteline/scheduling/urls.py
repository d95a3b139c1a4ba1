from django.urls import path

from kiteline.scheduling import views

urlpatterns = [
    path("", views.schedules, name="scheduling-schedules"),
    path("propose/", views.propose, name="scheduling-propose"),
    path("runs/<int:run_id>/", views.schedule, name="scheduling-run"),
    path("runs/<int:run_id>/publish/", views.publish, name="scheduling-publish"),
    path("runs/<int:run_id>/discard/", views.discard, name="scheduling-discard"),
    path(
        "appointments/<int:appointment_id>/move/",
        views.move,
        name="scheduling-appointment-move",
    ),
    path(
        "appointments/<int:appointment_id>/remove/",
        views.remove,
        name="scheduling-appointment-remove",
    ),
    path(
        "appointments/<int:appointment_id>/outcome/",
        views.outcome,
        name="scheduling-appointment-outcome",
    ),
    path("appointments/", views.appointments, name="scheduling-appointments"),
    path("requirements/", views.requirements, name="scheduling-requirements"),
    path("requirements/refresh/", views.refresh, name="scheduling-refresh"),
    path("missed/", views.missed, name="scheduling-missed"),
]
