"""Channel pages and inbound endpoints under /comms/: each channel keeps its own URLs."""

from django.urls import URLPattern, URLResolver, include, path

app_name = "comms"

urlpatterns: list[URLPattern | URLResolver] = [
    path("mail/", include("peyvand.comms.mail.urls")),
    path("sms/", include("peyvand.comms.sms.urls")),
    path("telephony/", include("peyvand.comms.telephony.urls")),
    path("chat/", include("peyvand.comms.chat.urls")),
    path("forms/", include("peyvand.comms.webforms.urls")),
    path("bots/", include("peyvand.comms.bots.urls")),
    path("", include("peyvand.comms.settings_urls")),
]
