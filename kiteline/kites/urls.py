from django.urls import path

from kiteline.kites import views

urlpatterns = [
    path("", views.queue, name="kite-queue"),
    path("new/", views.new, name="kite-new"),
    path("<int:kite_id>/", views.detail, name="kite-detail"),
    path("<int:kite_id>/receipt/", views.receipt, name="kite-receipt"),
    path("<int:kite_id>/triage/", views.triage, name="kite-triage"),
    path("<int:kite_id>/link/", views.link, name="kite-link"),
    path("<int:kite_id>/close/", views.close, name="kite-close"),
    path("<int:kite_id>/contact/", views.contact, name="kite-contact"),
    path("signals/<int:signal_id>/false-alarm/", views.false_alarm, name="kite-false-alarm"),
    path("alerts/", views.alerts, name="kite-alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="kite-alert-acknowledge"),
    path("watch/", views.watches, name="kite-watch"),
    path("watch/set/", views.watch_set, name="kite-watch-set"),
    path("watch/<int:watch_id>/clear/", views.watch_clear, name="kite-watch-clear"),
    path("custody/", views.custody, name="kite-custody"),
    path("custody/checks/<int:check_id>/done/", views.welfare_done, name="kite-welfare-done"),
    path("downtime/", views.downtime, name="kite-downtime"),
    path("on-call/", views.on_call, name="kite-on-call"),
    path("standard/", views.standard, name="kite-standard"),
    path("phrases/", views.phrases, name="kite-phrases"),
]
