from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from kiteline.facilities import views as facility_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="roster"), name="home"),
    path(
        "accounts/sign-in/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("roster/", facility_views.roster, name="roster"),
]
