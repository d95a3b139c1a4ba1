from django.urls import path

from kiteline.scheduling import kiosk_views

urlpatterns = [
    path("", kiosk_views.my_appointments, name="kiosk-appointments"),
]
