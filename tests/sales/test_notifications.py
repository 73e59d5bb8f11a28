"""Staff notifications: notify_user in the page and by e-mail, the inbox API, marking read, the bell and the
notifications page; nobody reads anyone else's."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from peyvand.accounts.models import Notification
from peyvand.accounts.services import notification_mark_read, notifications_mark_all_read, notify_user

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- notify_user ------------------------------------------------------------------------------------------


def test_it_writes_a_notice_without_mail_unless_asked(agent_a, locmem_mail):
    agent_a.email = "agent@example.com"
    agent_a.save()
    notice = notify_user(user=agent_a, kind="test", title="سلام", body="متن", url="/sales/agenda/")
    assert (notice.user, notice.kind, notice.title, notice.body, notice.url) == (
        agent_a,
        "test",
        "سلام",
        "متن",
        "/sales/agenda/",
    )
    assert notice.read_at is None
    assert notice.emailed_at is None
    assert mail.outbox == []


def test_it_mails_the_notice_with_its_link(agent_a, locmem_mail, settings):
    agent_a.email = "agent@example.com"
    agent_a.save()
    settings.PEYVAND_SITE_URL = "https://crm.example.ir/"
    notice = notify_user(
        user=agent_a, kind="test", title="یادآوری\nجلسه", body="ساعت ۱۰", url="/sales/agenda/", email=True
    )
    assert notice.emailed_at is not None
    [message] = mail.outbox
    assert message.to == ["agent@example.com"]
    # A header cannot hold a line break: the title's lines are joined.
    assert message.subject == "یادآوری جلسه"
    assert message.body == "ساعت ۱۰\n\nhttps://crm.example.ir/sales/agenda/"


def test_without_a_site_address_the_mail_carries_the_path(agent_a, locmem_mail):
    agent_a.email = "agent@example.com"
    agent_a.save()
    notify_user(user=agent_a, kind="test", title="t", url="/sales/agenda/", email=True)
    assert mail.outbox[0].body == "/sales/agenda/"


def test_no_address_no_mail(agent_a, locmem_mail):
    agent_a.email = ""
    agent_a.save()
    notice = notify_user(user=agent_a, kind="test", title="t", email=True)
    assert notice.emailed_at is None
    assert mail.outbox == []


def test_a_mail_failure_keeps_the_notice(agent_a, settings, caplog):
    agent_a.email = "agent@example.com"
    agent_a.save()
    # Nothing listens there: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    notice = notify_user(user=agent_a, kind="test", title="t", email=True)
    assert Notification.objects.filter(pk=notice.pk, emailed_at__isnull=True).exists()
    assert "failed" in caplog.text


def test_marking_read_is_for_the_owner_only(agent_a, agent_b):
    notice = notify_user(user=agent_a, kind="test", title="t")
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(notification=notice, by=agent_b)
    first = notification_mark_read(notification=notice, by=agent_a).read_at
    assert first is not None
    assert notification_mark_read(notification=notice, by=agent_a).read_at == first
    notify_user(user=agent_a, kind="test", title="t2")
    notify_user(user=agent_b, kind="test", title="t3")
    assert notifications_mark_all_read(by=agent_a) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


# --- the API ----------------------------------------------------------------------------------------------


def test_the_api_lists_my_notifications_newest_first_with_the_unread_count(api_client, agent_a, agent_b):
    old = notify_user(user=agent_a, kind="test", title="قدیمی")
    new = notify_user(user=agent_a, kind="test", title="جدید")
    notify_user(user=agent_b, kind="test", title="دیگری")
    body = api_client(agent_a).get("/api/v1/notifications").json()
    assert [item["id"] for item in body["items"]] == [new.pk, old.pk]
    assert body["unread"] == 2


def test_the_api_marks_one_and_all_read(api_client, agent_a, agent_b):
    one = notify_user(user=agent_a, kind="test", title="یک")
    notify_user(user=agent_a, kind="test", title="دو")
    theirs = notify_user(user=agent_b, kind="test", title="سه")
    client = api_client(agent_a)
    response = client.post(f"/api/v1/notifications/{one.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get("/api/v1/notifications", {"unread": True}).json()["unread"] == 1
    # Someone else's notification does not exist for me.
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    response = client.post("/api/v1/notifications/read-all")
    assert response.json() == {"marked": 1, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# --- the pages --------------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count(agent_a):
    client = client_for(agent_a)
    page = client.get(reverse("sales:agenda")).content.decode()
    assert 'id="pv-bell"' in page
    assert "pv-bell-count" not in page
    notify_user(user=agent_a, kind="test", title="t")
    notify_user(user=agent_a, kind="test", title="t")
    page = client.get(reverse("sales:agenda")).content.decode()
    assert 'class="pv-bell-count' in page
    assert ">2</span>" in page
    persian = client_for(agent_a, "fa").get(reverse("sales:agenda")).content.decode()
    assert ">۲</span>" in persian


def test_the_notifications_page_lists_and_marks_read(agent_a, agent_b):
    mine = notify_user(user=agent_a, kind="test", title="جلسه فردا", url="/sales/agenda/")
    notify_user(user=agent_b, kind="test", title="مال دیگری")
    client = client_for(agent_a)
    page = client.get(reverse("sales:notifications")).content.decode()
    assert "جلسه فردا" in page
    assert "مال دیگری" not in page
    response = client.post(reverse("sales:notification_read", args=[mine.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/sales/agenda/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = Notification.objects.get(user=agent_b)
    assert client.post(reverse("sales:notification_read", args=[other.pk])).status_code == 404
    notify_user(user=agent_a, kind="test", title="دومی")
    response = client.post(reverse("sales:notifications_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=agent_a, read_at__isnull=True).exists()
    assert Notification.objects.get(user=agent_b).read_at is None


def test_opening_a_notification_never_leads_off_the_site(agent_a):
    notice = notify_user(user=agent_a, kind="test", title="t", url="/\\evil.example/")
    response = client_for(agent_a).post(reverse("sales:notification_read", args=[notice.pk]), {"open": "1"})
    assert response["Location"] == reverse("sales:notifications")
