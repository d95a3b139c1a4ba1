from django.urls import path

from kiteline.care import views

urlpatterns = [
    path("levels/set/", views.set_level, name="care-level-set"),
    path("decisions/ask/", views.ask, name="care-decision-ask"),
    path("decisions/<int:decision_id>/", views.decision, name="care-decision"),
    path("decisions/<int:decision_id>/confirm/", views.confirm, name="care-decision-confirm"),
    path("decisions/<int:decision_id>/override/", views.override, name="care-decision-override"),
    path(
        "decisions/<int:decision_id>/appeal/",
        views.appeal_for_resident,
        name="care-decision-appeal",
    ),
    path("referred/", views.referred, name="care-referred"),
    path("appeals/", views.appeals, name="care-appeals"),
    path("appeals/<int:appeal_id>/", views.appeal, name="care-appeal"),
    path("appeals/<int:appeal_id>/decide/", views.decide, name="care-appeal-decide"),
    path("appeals/<int:appeal_id>/reviewer/", views.reviewer, name="care-appeal-reviewer"),
    path("settings/", views.settings, name="care-settings"),
    path("settings/scheme/", views.choose_scheme, name="care-settings-scheme"),
    path("settings/services/", views.new_service, name="care-settings-service"),
    path(
        "settings/services/<int:service_id>/",
        views.edit_service,
        name="care-settings-service-edit",
    ),
    path("settings/contacts/", views.contact_figures_view, name="care-settings-contacts"),
]
