"""Pages and inbound endpoints of telephony under /comms/telephony/."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.telephony import views

app_name = "telephony"

urlpatterns: list[URLPattern | URLResolver] = [
    path("calls/", views.call_log, name="calls"),
    path("calls/<int:pk>/new-customer/", views.new_customer, name="new_customer"),
    path("click-to-call/", views.click_to_call, name="click_to_call"),
    path("extensions/", views.extensions, name="extensions"),
    path("<str:token>/events", views.call_events, name="events"),
    path("<str:token>/route", views.route, name="route"),
]
