from django.urls import path

from peyvand.core import views

urlpatterns = [path("", views.home, name="home")]
