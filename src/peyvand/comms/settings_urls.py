"""The channel settings pages (accounts, send test), the outbox pages, the suppression list and the public
unsubscribe page, under /comms/."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms import settings_outbox_views as outbox_views
from peyvand.comms import settings_views as views
from peyvand.comms.suppression import views as suppression_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/", views.channel_settings, name="settings"),
    path("settings/new/<str:channel>/<str:provider>/", views.account_create, name="account_create"),
    path("settings/<int:pk>/", views.account_detail, name="account_detail"),
    path("settings/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("settings/<int:pk>/test/", views.account_send_test, name="account_send_test"),
    path("settings/<int:pk>/check/", views.account_check, name="account_check"),
    path("settings/<int:pk>/rotate-token/", views.account_rotate_token, name="account_rotate_token"),
    path("settings/<int:pk>/active/", views.account_set_active, name="account_set_active"),
    path("settings/suppressions/", suppression_views.suppressions, name="suppressions"),
    path("settings/suppressions/add/", suppression_views.suppressions_add_view, name="suppressions_add"),
    path("settings/suppressions/export.csv", suppression_views.suppressions_export, name="suppressions_export"),
    path("settings/suppressions/<int:pk>/delete/", suppression_views.suppression_delete, name="suppression_delete"),
    path("u/<str:token>/", suppression_views.unsubscribe, name="unsubscribe"),
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("outbox/<int:pk>/", outbox_views.outbox_message, name="outbox_message"),
    path("outbox/<int:pk>/retry/", outbox_views.outbox_message_retry, name="outbox_message_retry"),
    path("outbox/<int:pk>/cancel/", outbox_views.outbox_message_cancel, name="outbox_message_cancel"),
]
