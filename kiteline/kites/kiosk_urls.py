from django.urls import path

from kiteline.kites import kiosk_views

urlpatterns = [
    path("", kiosk_views.my_requests, name="kiosk-my-requests"),
    path("new/", kiosk_views.ask, name="kiosk-ask"),
    path("<int:kite_id>/", kiosk_views.request_page, name="kiosk-request"),
    path("<int:kite_id>/receipt/", kiosk_views.receipt, name="kiosk-receipt"),
]
