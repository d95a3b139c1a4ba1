from django.urls import path

from kiteline.reports import public_views, views

urlpatterns = [
    path("", views.dashboard, name="reports-dashboard"),
    path("csv/<slug:key>/", views.figure_download, name="reports-csv"),
    path("equity/", views.equity, name="reports-equity"),
    path("public/", public_views.public_reports, name="reports-public"),
    path("public/build/", public_views.build, name="reports-public-build"),
    path(
        "public/<int:release_id>/download/",
        public_views.download,
        name="reports-public-download",
    ),
]
