from django.urls import path

from kiteline.care import kiosk_views

urlpatterns = [
    path("", kiosk_views.my_decisions, name="kiosk-decisions"),
    path("<int:decision_id>/", kiosk_views.decision_page, name="kiosk-decision"),
    path("<int:decision_id>/appeal/", kiosk_views.appeal, name="kiosk-appeal"),
    path("<int:decision_id>/appeal/sent/", kiosk_views.appeal_sent, name="kiosk-appeal-sent"),
]
