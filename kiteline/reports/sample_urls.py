from django.urls import path

from kiteline.reports import sample_views

urlpatterns = [
    path("", sample_views.samples, name="reports-samples"),
    path("draw/", sample_views.draw, name="reports-sample-draw"),
    path("<int:sample_id>/", sample_views.sample, name="reports-sample"),
    path(
        "<int:sample_id>/records/<int:record_id>/",
        sample_views.record,
        name="reports-sample-record",
    ),
]
