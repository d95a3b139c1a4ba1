from django.urls import path

from kiteline.scheduling import capacity_views as views

urlpatterns = [
    path("", views.capacity_page, name="scheduling-capacity"),
    path("settings/", views.save_settings, name="scheduling-capacity-settings"),
    path("rooms/", views.new_room, name="scheduling-room-add"),
    path("rooms/<int:room_id>/", views.edit_room, name="scheduling-room-edit"),
    path("session-types/", views.new_session_type, name="scheduling-session-type-add"),
    path(
        "session-types/<int:session_type_id>/",
        views.edit_session_type,
        name="scheduling-session-type-edit",
    ),
    path(
        "clinicians/<int:clinician_id>/hours/",
        views.weekly_hours,
        name="scheduling-weekly-hours",
    ),
    path(
        "clinicians/<int:clinician_id>/exceptions/",
        views.new_exception,
        name="scheduling-exception-add",
    ),
    path(
        "exceptions/<int:exception_id>/remove/",
        views.drop_exception,
        name="scheduling-exception-remove",
    ),
    path("restrictions/", views.restrictions, name="scheduling-restrictions"),
    path("restrictions/add/", views.new_restriction, name="scheduling-restriction-add"),
    path(
        "restrictions/<int:restriction_id>/remove/",
        views.drop_restriction,
        name="scheduling-restriction-remove",
    ),
]
