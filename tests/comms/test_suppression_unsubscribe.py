"""One-click unsubscribe from marketing e-mail: the signed link and the List-Unsubscribe headers (RFC 2369,
RFC 8058), the public page (GET asks, POST unsubscribes, in Persian or English), the mail client's one-click
POST without a CSRF token, forged and stale links, and what an unsubscribe stops (marketing) and does not stop
(the answer to the customer's own ticket)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.test import Client
from django.utils import translation

from factories import CustomerFactory
from peyvand.comms.models import MessageStatus, OutboundMessage, Suppression
from peyvand.comms.outbox import enqueue_message
from peyvand.comms.suppression import list_unsubscribe_headers, unsubscribe_url
from peyvand.customers.models import CustomerEmail, Interaction

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.com"


@pytest.fixture
def site(settings):
    settings.PEYVAND_SITE_URL = "https://crm.example.ir/"
    return settings


@pytest.fixture
def customer():
    person = CustomerFactory()
    CustomerEmail.objects.create(customer=person, email=ADDRESS, is_primary=True)
    return person


@pytest.fixture
def newsletter(customer):
    return enqueue_message(
        channel="email",
        to="Reader@Example.com",
        subject="خبرنامه آذر",
        body="سلام {first_name}",
        values={},
        customer=customer,
        idempotency_key="news-1",
        transactional=False,
    )


def path_of(url: str) -> str:
    return url.removeprefix("https://crm.example.ir")


def english() -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_marketing_mail_gets_the_headers_and_an_absolute_link(site, newsletter):
    url = unsubscribe_url(newsletter)
    assert url == unsubscribe_url(newsletter)  # one link per message
    assert url.startswith("https://crm.example.ir/comms/u/") and url.endswith("/")
    assert list_unsubscribe_headers(newsletter) == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_no_headers_for_a_transactional_mail_an_sms_or_without_the_site_url(settings, site, newsletter, customer):
    notice = enqueue_message(channel="email", to=ADDRESS, body="پاسخ تیکت", idempotency_key="t-1")
    sms = enqueue_message(channel="sms", to="09121234567", body="x", idempotency_key="s-1", transactional=False)
    assert list_unsubscribe_headers(notice) == {} and list_unsubscribe_headers(sms) == {}
    settings.PEYVAND_SITE_URL = ""
    assert list_unsubscribe_headers(newsletter) == {}
    assert unsubscribe_url(newsletter).startswith("/comms/u/")  # a path, for pages; never put in a mail


def test_get_asks_to_confirm_and_unsubscribes_nobody(site, newsletter):
    page = english().get(path_of(unsubscribe_url(newsletter)))
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    html = page.content.decode()
    assert "Stop marketing e-mail to" in html and 'id="confirm-unsubscribe"' in html
    assert ADDRESS not in html and "re•" in html  # the address is partly hidden
    assert not Suppression.objects.exists()


def test_the_page_speaks_persian_right_to_left_by_default_and_english_on_request(site, newsletter):
    url = path_of(unsubscribe_url(newsletter))
    persian = Client().get(url).content.decode()
    assert '<html lang="fa" dir="rtl">' in persian and 'href="?lang=en"' in persian
    english_page = Client().get(url, {"lang": "en"}).content.decode()
    assert "Stop marketing e-mail to" in english_page and '<html lang="en" dir="ltr">' in english_page
    assert 'name="lang" value="en"' in english_page  # the confirmation answers in the same language


def test_confirming_unsubscribes_once_and_writes_the_timeline_once(site, newsletter, customer):
    client = english()
    url = path_of(unsubscribe_url(newsletter))
    before = Interaction.objects.filter(customer=customer).count()
    done = client.post(url)
    assert done.status_code == 200 and "will get no more marketing e-mail" in done.content.decode()
    entry = Suppression.objects.get()
    assert (entry.channel, entry.address, entry.reason) == ("email", ADDRESS, "unsubscribed")
    assert "خبرنامه آذر" in entry.source
    line = Interaction.objects.filter(customer=customer).order_by("-id").first()
    assert Interaction.objects.filter(customer=customer).count() == before + 1
    with translation.override(django_settings.LANGUAGE_CODE):  # the timeline is in the site's language
        assert line.subject == translation.gettext("Unsubscribed from marketing e-mail")
    assert ADDRESS in line.body and line.direction == "in"
    assert client.post(url).status_code == 200
    assert Suppression.objects.count() == 1
    assert Interaction.objects.filter(customer=customer).count() == before + 1
    assert "already unsubscribed" in client.get(url).content.decode()


def test_the_mail_clients_one_click_post_needs_no_csrf_token(site, newsletter):
    client = Client(enforce_csrf_checks=True)
    answer = client.post(
        path_of(unsubscribe_url(newsletter)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert Suppression.objects.get().reason == "unsubscribed"


def test_after_unsubscribing_marketing_stops_but_a_ticket_answer_still_goes(site, newsletter, customer):
    english().post(path_of(unsubscribe_url(newsletter)))
    news = enqueue_message(
        channel="email", to=ADDRESS, body="حراج", customer=customer, idempotency_key="news-2", transactional=False
    )
    answer = enqueue_message(channel="email", to=ADDRESS, body="پاسخ شما", customer=customer, idempotency_key="t-2")
    assert (news.status, news.error) == (MessageStatus.SKIPPED, "suppressed")
    assert answer.status == MessageStatus.QUEUED


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        "1:abcdefabcdefabcdefabcdefabcdefabcdefabcdefa",
        signing.Signer(salt="peyvand.service.feedback").sign("1"),  # signed, but for something else
        signing.Signer(salt="peyvand.comms.unsubscribe").sign("one"),  # signed, but names no message
    ],
)
def test_a_forged_or_foreign_token_is_400_and_changes_nothing(site, newsletter, token):
    client = english()
    assert client.get(f"/comms/u/{token}/").status_code == 400
    answer = client.post(
        f"/comms/u/{token}/", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 400 and "not valid" in answer.content.decode()
    assert not Suppression.objects.exists()


def test_a_token_of_a_message_that_is_gone_or_transactional_is_404(site, newsletter):
    notice = enqueue_message(channel="email", to=ADDRESS, body="پاسخ", idempotency_key="t-3")
    assert english().get(path_of(unsubscribe_url(notice))).status_code == 404
    url = path_of(unsubscribe_url(newsletter))
    OutboundMessage.objects.filter(pk=newsletter.pk).delete()
    assert english().get(url).status_code == 404
    assert english().post(url).status_code == 404
    assert not Suppression.objects.exists()


def test_other_methods_are_refused(site, newsletter):
    assert english().put(path_of(unsubscribe_url(newsletter))).status_code == 405
