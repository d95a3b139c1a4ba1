from django.urls import path

from kiteline.care import policy_views as views

urlpatterns = [
    path("", views.policy_list, name="policy-list"),
    path("drafts/", views.drafts, name="policy-drafts"),
    path("<int:service_id>/", views.editor, name="policy-editor"),
    path("<int:service_id>/publish/", views.publish, name="policy-publish"),
    path("<int:service_id>/versions/<int:version>/", views.version, name="policy-version"),
    path("<int:service_id>/simulate/", views.simulate, name="policy-simulate"),
    path("<int:service_id>/simulate/changes/", views.changes, name="policy-simulate-changes"),
]
