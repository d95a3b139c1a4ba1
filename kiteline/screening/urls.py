from django.urls import path

from kiteline.screening import views

urlpatterns = [
    path("evaluations/", views.evaluations, name="screening-evaluations"),
    path(
        "evaluations/<int:evaluation_id>/done/",
        views.evaluation_done,
        name="screening-evaluation-done",
    ),
    path("new/", views.start, name="screening-start"),
    path("assign/", views.assign, name="screening-assign"),
    path("<int:administration_id>/", views.give, name="screening-give"),
    path("<int:administration_id>/answer/", views.answer, name="screening-answer"),
    path("<int:administration_id>/submit/", views.submit, name="screening-submit"),
    path("people/<str:resident_number>/", views.history, name="screening-history"),
]
