from django.urls import path

from kiteline.scheduling import escort_views

urlpatterns = [
    path("", escort_views.escorts, name="scheduling-escorts"),
]
