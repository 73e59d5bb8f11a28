"""Pages and inbound endpoints of sms under /comms/sms/."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.sms import views, webhooks

app_name = "sms"

urlpatterns: list[URLPattern | URLResolver] = [
    path("compose/", views.compose, name="compose"),
    path("compose/segments/", views.segments_preview, name="segments_preview"),
    path("<str:token>/delivery", webhooks.delivery, name="delivery"),
    path("<str:token>/inbound", webhooks.inbound, name="inbound"),
]
