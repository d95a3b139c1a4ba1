from django.urls import path

from kiteline.accounts import staff_views

urlpatterns = [
    path("users/", staff_views.users, name="staff-users"),
    path(
        "users/<int:user_id>/deactivate/",
        staff_views.set_user_active,
        {"active": False},
        name="staff-user-deactivate",
    ),
    path(
        "users/<int:user_id>/reactivate/",
        staff_views.set_user_active,
        {"active": True},
        name="staff-user-reactivate",
    ),
]
