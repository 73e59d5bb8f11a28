"""The channels' menu: every staff member reaches the channel pages; only managers and administrators see the
settings, and the page shown is marked as current."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def current(html: str) -> list[str]:
    import re

    return re.findall(r'class="pv-nav-link active" href="([^"]+)"', html)


def test_an_agent_gets_the_channel_pages_but_not_their_settings(agent_a):
    html = page(agent_a, "/comms/chat/")
    for url in ("/comms/chat/", "/comms/telephony/calls/", "/comms/mail/", "/comms/bots/chats/", "/comms/outbox/"):
        assert f'href="{url}"' in html
    assert "Channel settings" not in html and 'href="/comms/settings/"' not in html
    assert current(html) == ["/comms/chat/"]


def test_a_manager_sees_the_settings_but_not_the_admin_only_pages(manager_a):
    html = page(manager_a, "/comms/settings/")
    for url in ("/comms/forms/", "/comms/chat/replies/", "/comms/settings/suppressions/"):
        assert f'href="{url}"' in html
    assert 'href="/comms/chat/widgets/"' not in html and 'href="/comms/telephony/extensions/"' not in html
    assert current(html) == ["/comms/settings/"]


def test_an_admin_sees_every_channel_page_and_the_current_one_marked(admin):
    html = page(admin, "/comms/mail/mailboxes/")
    for url in ("/comms/chat/widgets/", "/comms/mail/mailboxes/", "/comms/telephony/extensions/", "/comms/forms/"):
        assert f'href="{url}"' in html
    assert current(html) == ["/comms/mail/mailboxes/"]
    assert current(page(admin, "/comms/outbox/")) == ["/comms/outbox/"]
    assert current(page(admin, "/comms/settings/suppressions/")) == ["/comms/settings/suppressions/"]
    assert current(page(admin, "/comms/chat/replies/")) == ["/comms/chat/replies/"]
