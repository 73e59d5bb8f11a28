"""Pages of web forms under /comms/forms/: the builder, the submissions, and the public form itself."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.webforms import public_views, views

app_name = "webforms"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.form_list_page, name="list"),
    path("new/", views.form_create_page, name="create"),
    path("<int:pk>/", views.form_detail_page, name="detail"),
    path("<int:pk>/edit/", views.form_edit_page, name="edit"),
    path("<int:pk>/submissions/", views.submissions_page, name="submissions"),
    path("<int:pk>/submissions.csv", views.submissions_csv, name="submissions_csv"),
    path("submissions/<int:pk>/", views.submission_page, name="submission"),
    path("submissions/<int:pk>/retry/", views.submission_retry_page, name="submission_retry"),
    path("f/<str:key>/", public_views.public_form, name="public"),
]
