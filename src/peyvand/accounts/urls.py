"""Log-in and log-out pages: Django's own auth views with Peyvand's templates."""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    # LogoutView answers POST only (Django 5), so a link cannot log anyone out behind their back.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
