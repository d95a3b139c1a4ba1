from django.urls import path

from kiteline.accounts import kiosk_views

urlpatterns = [
    path("", kiosk_views.sign_in, name="kiosk-sign-in"),
    path("register/", kiosk_views.register, name="kiosk-register"),
    path("new-pin/", kiosk_views.new_pin, name="kiosk-new-pin"),
    path("home/", kiosk_views.home, name="kiosk-home"),
    path("sign-out/", kiosk_views.sign_out, name="kiosk-sign-out"),
    path("language/", kiosk_views.switch_language, name="kiosk-language"),
    path("pins/<str:resident_number>/issue/", kiosk_views.pin_slip, name="kiosk-pin-slip"),
    path("devices/", kiosk_views.devices, name="kiosk-devices"),
    path("devices/<int:kiosk_id>/retire/", kiosk_views.retire, name="kiosk-retire"),
]
