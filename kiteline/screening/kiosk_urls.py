from django.urls import path

from kiteline.screening import kiosk_views

urlpatterns = [
    path("", kiosk_views.screens, name="kiosk-screens"),
    path(
        "<int:administration_id>/<int:number>/",
        kiosk_views.question,
        name="kiosk-screen-question",
    ),
    path(
        "<int:administration_id>/<int:number>/help/",
        kiosk_views.get_help,
        name="kiosk-screen-help",
    ),
    path("<int:administration_id>/review/", kiosk_views.review, name="kiosk-screen-review"),
    path("<int:administration_id>/send/", kiosk_views.send, name="kiosk-screen-send"),
    path("<int:administration_id>/sent/", kiosk_views.sent, name="kiosk-screen-sent"),
]
