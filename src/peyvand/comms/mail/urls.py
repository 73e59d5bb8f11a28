"""Pages of e-mail under /comms/mail/."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.mail import compose_views, views

app_name = "mail"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mail_inbox, name="inbox"),
    path("<int:pk>/", views.mail_detail, name="message"),
    path("<int:pk>/files/<int:attachment_id>/", views.mail_attachment, name="attachment"),
    path("compose/", compose_views.mail_compose, name="compose"),
    path(
        "outgoing/<int:pk>/files/<int:attachment_id>/",
        compose_views.outgoing_attachment,
        name="outgoing_attachment",
    ),
    path("mailboxes/", views.mailboxes, name="mailboxes"),
    path("mailboxes/poll/", views.mailbox_poll, name="poll"),
]
