from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from kiteline.accounts.authz import anyone
from kiteline.facilities import views as facility_views

urlpatterns = [
    path("", anyone(RedirectView.as_view(pattern_name="roster")), name="home"),
    path(
        "accounts/sign-in/",
        anyone(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/sign-out/", anyone(auth_views.LogoutView.as_view()), name="logout"),
    path("language/", anyone(set_language), name="set-language"),
    path("roster/", facility_views.roster, name="roster"),
    path("people/<str:resident_number>/", facility_views.person, name="person"),
    path("staff/", include("kiteline.accounts.staff_urls")),
    path("kiosk/requests/", include("kiteline.kites.kiosk_urls")),
    path("kiosk/screens/", include("kiteline.screening.kiosk_urls")),
    path("kiosk/decisions/", include("kiteline.care.kiosk_urls")),
    path("kiosk/appointments/", include("kiteline.scheduling.kiosk_urls")),
    path("kiosk/", include("kiteline.accounts.kiosk_urls")),
    path("kites/", include("kiteline.kites.urls")),
    path("screening/", include("kiteline.screening.urls")),
    path("care/", include("kiteline.care.urls")),
    path("policies/", include("kiteline.care.policy_urls")),
    path("scheduling/escorts/", include("kiteline.scheduling.escort_urls")),
    path("scheduling/capacity/", include("kiteline.scheduling.capacity_urls")),
    path("scheduling/", include("kiteline.scheduling.urls")),
    path("reports/samples/", include("kiteline.reports.sample_urls")),
    path("reports/", include("kiteline.reports.urls")),
    path("audit/", include("kiteline.audit.urls")),
    path("api/v1/", include("kiteline.api.urls")),
]
