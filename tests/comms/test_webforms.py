"""Web forms: the hosted page a visitor fills in (Persian and English, framed by allowed sites only), what a
submission becomes (a lead, a ticket, a timeline entry), spam kept away from leads, and the builder's pages with
their permissions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from factories import UserFactory
from peyvand.accounts.models import Role
from peyvand.comms.models import Channel, InboundMessage, InboundStatus
from peyvand.comms.webforms.models import FormAction, FormSubmission, SpamReason, SubmissionStatus, WebForm
from peyvand.comms.webforms.services import form_create, form_token
from peyvand.customers.models import CustomerEmail, Interaction, InteractionChannel
from peyvand.sales.models import Lead, LeadSource
from peyvand.service.models import Ticket, TicketCategory, TicketChannel

SHOP = "https://shop.example.ir"

LEAD_FIELDS = [
    {"key": "first_name", "label_fa": "نام", "label_en": "First name", "type": "text", "maps_to": "first_name",
     "required": True},
    {"key": "last_name", "label_fa": "نام خانوادگی", "label_en": "Last name", "type": "text", "maps_to": "last_name"},
    {"key": "email", "label_fa": "ایمیل", "label_en": "E-mail", "type": "email", "maps_to": "email"},
    {"key": "mobile", "label_fa": "موبایل", "label_en": "Mobile", "type": "phone", "maps_to": "phone"},
    {"key": "budget", "label_fa": "بودجه", "label_en": "Budget", "type": "number"},
    {"key": "topic", "label_fa": "موضوع", "label_en": "Topic", "type": "select", "choices": ["فروش", "پشتیبانی"]},
    {"key": "message", "label_fa": "پیام", "label_en": "Message", "type": "textarea", "maps_to": "message"},
    {"key": "newsletter", "label_fa": "خبرنامه", "label_en": "Newsletter", "type": "checkbox"},
]  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The per-address counters live in the site's cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead_form(admin, team_a):
    return form_create(
        by=admin,
        data={
            "name": "تماس با ما",
            "title_fa": "با ما در تماس باشید",
            "title_en": "Contact us",
            "fields": LEAD_FIELDS,
            "action": FormAction.LEAD,
            "lead_team_id": team_a.pk,
            "allowed_origins": [SHOP],
            "success_fa": "سپاس! به زودی تماس می‌گیریم.",
            "success_en": "Thanks! We will call you soon.",
            "min_fill_seconds": 2,
        },
    )


@pytest.fixture
def technical(db):
    category = TicketCategory.objects.create(name="فنی", name_en="Technical")
    category.path = f"/{category.pk}/"
    category.save(update_fields=["path"])
    return category


@pytest.fixture
def ticket_form(admin, technical):
    return form_create(
        by=admin,
        data={
            "name": "پشتیبانی",
            "title_fa": "درخواست پشتیبانی",
            "fields": [
                {"key": "name", "label_fa": "نام", "type": "text", "maps_to": "first_name"},
                {"key": "mobile", "label_fa": "موبایل", "type": "phone", "maps_to": "phone", "required": True},
                {"key": "subject", "label_fa": "عنوان", "type": "text", "maps_to": "subject", "required": True},
                {"key": "details", "label_fa": "شرح", "type": "textarea", "maps_to": "message"},
            ],
            "action": FormAction.TICKET,
            "ticket_kind": "complaint",
            "ticket_category_id": technical.pk,
            "min_fill_seconds": 0,
        },
    )


def _url(form: WebForm, query: str = "") -> str:
    return f"/comms/forms/f/{form.key}/{query}"


def _old_token(form: WebForm, seconds: int = 60) -> str:
    """A token handed out `seconds` ago: what a person who took their time sends back."""
    return form_token(form=form, now=timezone.now() - timedelta(seconds=seconds))


def _page_token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _answers(**extra):
    return {
        "first_name": "مریم",
        "last_name": "احمدی",
        "email": "maryam@example.ir",
        "mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹",
        "budget": "۱۲٬۵۰۰",
        "topic": "فروش",
        "message": "قیمت نسخهٔ سازمانی را می‌خواهم.",
        "newsletter": "on",
        **extra,
    }


# --- the hosted page ------------------------------------------------------------------------------------------


def test_hosted_form_is_persian_rtl_and_english_with_lang(lead_form):
    client = Client()
    page = client.get(_url(lead_form))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'dir="rtl"' in html and "با ما در تماس باشید" in html and "نام خانوادگی" in html
    assert 'name="website"' in html  # the honeypot is there, for bots to fill in
    assert _page_token(html)
    english = client.get(_url(lead_form, "?lang=en")).content.decode()
    assert 'dir="ltr"' in english and "Contact us" in english and "Last name" in english


def test_hosted_form_may_be_framed_only_by_its_allowed_sites(lead_form):
    page = Client().get(_url(lead_form, "?embed=1"))
    policy = page["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {SHOP}" in policy
    assert "X-Frame-Options" not in page
    # Every other page keeps the site's refusal to be framed.
    assert "frame-ancestors 'none'" in Client().get("/login/")["Content-Security-Policy"]


def test_hosted_submission_creates_a_lead_with_normalised_answers(lead_form, team_a):
    client = Client()
    token = _page_token(client.get(_url(lead_form)).content.decode())
    lead_form.min_fill_seconds = 0
    lead_form.save()
    page = client.post(_url(lead_form), {**_answers(), "token": token, "website": ""})
    assert page.status_code == 200
    assert "سپاس! به زودی تماس می‌گیریم." in page.content.decode()

    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email) == ("مریم", "احمدی", "maryam@example.ir")
    assert lead.phone == "+989123456789"
    assert lead.source == LeadSource.WEB_FORM and lead.source_detail == "تماس با ما"
    assert lead.team == team_a
    assert "قیمت نسخهٔ سازمانی" in lead.interest
    assert "بودجه: 12500" in lead.notes and "موضوع: فروش" in lead.notes

    submission = FormSubmission.objects.get()
    assert submission.status == SubmissionStatus.ACCEPTED and submission.lead == lead
    assert submission.data["mobile"] == "+989123456789" and submission.data["newsletter"] is True
    inbound = InboundMessage.objects.get()
    assert inbound.channel == Channel.WEB and inbound.status == InboundStatus.PROCESSED
    assert inbound.related == lead and inbound.customer is None
    assert submission.inbound == inbound


def test_english_visitor_gets_english_thanks(lead_form):
    page = Client().post(_url(lead_form, "?lang=en"), {**_answers(), "token": _old_token(lead_form)})
    assert page.status_code == 200
    assert "Thanks! We will call you soon." in page.content.decode()
    assert FormSubmission.objects.get().language == "en"


def test_a_known_customer_gets_the_submission_on_their_timeline(lead_form, customer_a):
    CustomerEmail.objects.create(customer=customer_a, email="maryam@example.ir", is_primary=True)
    Client().post(_url(lead_form), {**_answers(email="Maryam@Example.ir"), "token": _old_token(lead_form)})
    entry = Interaction.objects.get(customer=customer_a)
    assert entry.channel == InteractionChannel.WEB and entry.direction == "in"
    assert "با ما در تماس باشید" in entry.subject and "پیام: قیمت نسخهٔ سازمانی" in entry.body
    inbound = InboundMessage.objects.get()
    assert inbound.customer == customer_a and inbound.interaction == entry
    assert FormSubmission.objects.get().customer == customer_a


def test_ticket_form_opens_a_ticket_for_the_customer_found_by_phone(ticket_form, customer_b, technical):
    customer_b.phones.create(number="+989121112233", kind="mobile", is_primary=True)
    Client().post(
        _url(ticket_form),
        {"name": "رضا", "mobile": "0912-111-2233", "subject": "دستگاه روشن نمی‌شود", "details": "از دیروز",
         "token": _old_token(ticket_form)},
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert ticket.customer == customer_b and ticket.channel == TicketChannel.FORM
    assert ticket.subject == "دستگاه روشن نمی‌شود" and ticket.kind == "complaint" and ticket.category == technical
    assert "از دیروز" in ticket.description
    assert Interaction.objects.filter(customer=customer_b, channel=InteractionChannel.WEB).count() == 1
    submission = FormSubmission.objects.get()
    assert submission.ticket == ticket and InboundMessage.objects.get().related == ticket


def test_ticket_form_from_an_unknown_sender_keeps_the_contact(ticket_form):
    Client().post(
        _url(ticket_form),
        {"name": "رضا", "mobile": "09121112233", "subject": "سؤال", "token": _old_token(ticket_form)},
    )
    ticket = Ticket.objects.get()
    assert ticket.customer is None and ticket.contact_phone == "+989121112233" and ticket.contact_name == "رضا"
    assert not Interaction.objects.exists()


def test_timeline_form_from_an_unknown_sender_is_kept_unmatched(admin):
    form = form_create(
        by=admin,
        data={
            "name": "نظرسنجی",
            "title_fa": "نظر شما",
            "fields": [
                {"key": "email", "label_fa": "ایمیل", "type": "email", "maps_to": "email", "required": True},
                {"key": "opinion", "label_fa": "نظر", "type": "textarea"},
            ],
            "action": FormAction.TIMELINE,
            "min_fill_seconds": 0,
        },
    )
    Client().post(_url(form), {"email": "nobody@example.ir", "opinion": "خوب", "token": _old_token(form)})
    submission = FormSubmission.objects.get()
    assert submission.status == SubmissionStatus.ACCEPTED and submission.lead is None and submission.ticket is None
    assert InboundMessage.objects.get().status == InboundStatus.UNMATCHED


# --- spam and repeats --------------------------------------------------------------------------------------------


def test_the_same_token_twice_makes_one_lead(lead_form):
    token = _old_token(lead_form)
    first = Client().post(_url(lead_form), {**_answers(), "token": token})
    again = Client().post(_url(lead_form), {**_answers(), "token": token})
    assert first.status_code == again.status_code == 200
    assert "سپاس!" in again.content.decode()
    assert Lead.objects.count() == 1 and FormSubmission.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_honeypot_is_spam_answered_as_if_accepted(lead_form):
    page = Client().post(_url(lead_form), {**_answers(), "token": _old_token(lead_form), "website": "http://x.io"})
    assert page.status_code == 200 and "سپاس!" in page.content.decode()
    submission = FormSubmission.objects.get()
    assert submission.status == SubmissionStatus.SPAM and submission.spam_reason == SpamReason.HONEYPOT
    assert not Lead.objects.exists() and not InboundMessage.objects.exists()


def test_a_form_sent_faster_than_a_person_can_is_spam(lead_form):
    client = Client()
    token = _page_token(client.get(_url(lead_form)).content.decode())
    page = client.post(_url(lead_form), {**_answers(), "token": token})
    assert page.status_code == 200 and "سپاس!" in page.content.decode()
    assert FormSubmission.objects.get().spam_reason == SpamReason.TOO_FAST
    assert not Lead.objects.exists()


@pytest.mark.parametrize("token", ["", "forged-token", "eyJrIjoiYWJjIn0:1abc:xyz"])
def test_a_post_without_the_forms_token_is_spam(lead_form, token):
    Client().post(_url(lead_form), {**_answers(), "token": token})
    assert FormSubmission.objects.get().spam_reason == SpamReason.NO_TOKEN
    assert not Lead.objects.exists()


def test_another_forms_token_is_not_accepted(lead_form, ticket_form):
    Client().post(_url(lead_form), {**_answers(), "token": _old_token(ticket_form)})
    assert FormSubmission.objects.get().spam_reason == SpamReason.NO_TOKEN


def test_one_address_beyond_the_hourly_limit_is_spam_then_dropped(lead_form):
    lead_form.rate_per_hour = 2
    lead_form.save()
    client = Client()
    for _ in range(8):
        assert client.post(_url(lead_form), {**_answers(), "token": _old_token(lead_form)}).status_code == 200
    assert Lead.objects.count() == 2
    spam = FormSubmission.objects.filter(status=SubmissionStatus.SPAM)
    # 3rd to 6th stored as spam; beyond three times the limit a flood is only logged.
    assert spam.count() == 4 and {row.spam_reason for row in spam} == {SpamReason.RATE_LIMIT}
    other = Client(REMOTE_ADDR="10.1.2.3")
    other.post(_url(lead_form), {**_answers(), "token": _old_token(lead_form)})
    assert Lead.objects.count() == 3


# --- bad input ---------------------------------------------------------------------------------------------------


def test_bad_answers_show_the_form_again_with_each_error(lead_form):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post(
        _url(lead_form, "?lang=en"),
        {"first_name": "", "email": "not-an-address", "mobile": "۰۹۱۲ abc", "budget": "many", "topic": "other",
         "message": "x" * 6000, "token": _old_token(lead_form)},
    )  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 422
    for text in ("This field is required.", "Enter a valid e-mail address.", "Enter a valid phone number.",
                 "Enter a number.", "Choose one of the choices.", "at most 5000 characters"):  # fmt: skip
        assert text in html
    assert 'value="not-an-address"' in html  # what was typed is kept
    assert not FormSubmission.objects.exists() and not Lead.objects.exists()


def test_nul_characters_and_odd_input_are_not_a_server_error(lead_form):
    page = Client().post(
        _url(lead_form),
        {**_answers(first_name="مر\x00یم", message="\x00"), "token": _old_token(lead_form), "website": ""},
    )
    assert page.status_code == 200
    assert Lead.objects.get().first_name == "مریم"


def test_an_old_token_asks_to_send_again_and_keeps_the_answers(lead_form):
    client = Client()
    page = client.post(_url(lead_form), {**_answers(), "token": _old_token(lead_form, seconds=3 * 86400)})
    html = page.content.decode()
    assert page.status_code == 422
    assert "مریم" in html and _page_token(html)
    assert not FormSubmission.objects.exists()


def test_a_paused_or_unknown_form_is_not_found(lead_form):
    assert Client().get("/comms/forms/f/no-such-form/").status_code == 404
    lead_form.is_active = False
    lead_form.save()
    assert Client().get(_url(lead_form)).status_code == 404
    assert Client().post(_url(lead_form), {"token": _old_token(lead_form)}).status_code == 404


def test_a_lead_or_ticket_that_cannot_be_made_leaves_a_failed_submission_to_retry(ticket_form, technical, admin):
    TicketCategory.objects.filter(pk=technical.pk).update(is_active=False)
    page = Client().post(
        _url(ticket_form), {"mobile": "09121112233", "subject": "کمک", "token": _old_token(ticket_form)}
    )
    assert page.status_code == 200  # the visitor's message is kept: they are thanked all the same
    submission = FormSubmission.objects.get()
    assert submission.status == SubmissionStatus.FAILED and "category_id" in submission.error
    assert not Ticket.objects.exists()
    assert InboundMessage.objects.get().status == InboundStatus.FAILED

    TicketCategory.objects.filter(pk=technical.pk).update(is_active=True)
    staff = Client()
    staff.force_login(admin)
    staff.post(f"/comms/forms/submissions/{submission.pk}/retry/")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.ACCEPTED and submission.ticket == Ticket.objects.get()
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED


def test_an_administrator_can_process_a_submission_taken_for_spam(lead_form, admin):
    client = Client()
    token = _page_token(client.get(_url(lead_form)).content.decode())
    client.post(_url(lead_form), {**_answers(), "token": token})
    submission = FormSubmission.objects.get(status=SubmissionStatus.SPAM)
    staff = Client()
    staff.force_login(admin)
    assert staff.post(f"/comms/forms/submissions/{submission.pk}/retry/").status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.ACCEPTED and submission.lead.phone == "+989123456789"


# --- the builder and the submissions pages -----------------------------------------------------------------------


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_agents_cannot_open_the_builder(lead_form, agent_a):
    client = _logged_in(agent_a)
    for path in ("/comms/forms/", "/comms/forms/new/", f"/comms/forms/{lead_form.pk}/",
                 f"/comms/forms/{lead_form.pk}/edit/"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert client.post("/comms/forms/new/", {"name": "x"}).status_code == 403


def test_managers_read_forms_but_do_not_change_them(lead_form, manager_a):
    client = _logged_in(manager_a)
    page = client.get(f"/comms/forms/{lead_form.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/comms/forms/f/{lead_form.key}/" in html and "webforms-embed.js" in html and "data-peyvand-form" in html
    assert "تماس با ما" in client.get("/comms/forms/").content.decode()
    assert client.get(f"/comms/forms/{lead_form.pk}/edit/").status_code == 403
    assert client.get("/comms/forms/new/").status_code == 403


def _builder_post(**overrides):
    data = {
        "name": "Exhibition",
        "title_fa": "نمایشگاه",
        "title_en": "Exhibition",
        "action": "lead",
        "lead_team_id": "",
        "rate_per_hour": "10",
        "min_fill_seconds": "3",
        "is_active": "on",
        "allowed_origins": "https://expo.example.ir/\nhttps://shop.example.ir",
        # The browser posts rows in the order the page shows them, whatever their numbers.
        "field-5-key": "mobile",
        "field-5-label_fa": "موبایل",
        "field-5-type": "phone",
        "field-5-maps_to": "phone",
        "field-5-required": "on",
        "field-0-key": "name",
        "field-0-label_fa": "نام",
        "field-0-type": "text",
        "field-0-maps_to": "first_name",
        "field-2-key": "city",
        "field-2-label_fa": "شهر",
        "field-2-type": "select",
        "field-2-choices": "تهران\nاصفهان\n",
        "field-2-maps_to": "",
        "field-9-key": "",
        "field-9-label_fa": "",
        "field-9-type": "text",
    }
    data.update(overrides)
    return data


def test_an_administrator_builds_a_form_with_ordered_fields(admin, team_a):
    client = _logged_in(admin)
    assert client.get("/comms/forms/new/").status_code == 200
    page = client.post("/comms/forms/new/", _builder_post(lead_team_id=str(team_a.pk)))
    form = WebForm.objects.get()
    assert page.status_code == 302 and page["Location"] == f"/comms/forms/{form.pk}/"
    assert [f["key"] for f in form.fields] == ["mobile", "name", "city"]
    assert form.fields[0]["required"] is True and form.fields[2]["choices"] == ["تهران", "اصفهان"]
    assert form.allowed_origins == ["https://expo.example.ir", "https://shop.example.ir"]
    assert form.lead_team == team_a and form.created_by == admin and len(form.key) >= 16


def test_the_builder_shows_the_form_again_with_row_errors(admin):
    client = _logged_in(admin)
    page = client.post(
        "/comms/forms/new/",
        _builder_post(**{"field-0-key": "mobile", "allowed_origins": "ftp://nope"}),
    )
    html = page.content.decode()
    assert page.status_code == 422
    assert "Two fields cannot have the same key." in html
    assert "is not a site address" in html
    assert not WebForm.objects.exists()
    page = client.post("/comms/forms/new/", _builder_post())
    assert page.status_code == 422 and "Choose the team or the person the leads go to." in page.content.decode()


def test_an_administrator_edits_a_form(lead_form, admin):
    client = _logged_in(admin)
    assert "نام خانوادگی" in client.get(f"/comms/forms/{lead_form.pk}/edit/").content.decode()
    data = _builder_post(lead_team_id=str(lead_form.lead_team_id), name="Renamed")
    assert client.post(f"/comms/forms/{lead_form.pk}/edit/", data).status_code == 302
    lead_form.refresh_from_db()
    assert lead_form.name == "Renamed" and len(lead_form.fields) == 3


def test_submissions_are_seen_only_within_reach(lead_form, agent_a, agent_b, admin):
    Client().post(_url(lead_form), {**_answers(), "token": _old_token(lead_form)})
    submission = FormSubmission.objects.get()
    mine = _logged_in(agent_a)
    assert mine.get(f"/comms/forms/submissions/{submission.pk}/").status_code == 200
    listing = mine.get(f"/comms/forms/{lead_form.pk}/submissions/")
    assert listing.status_code == 200 and "maryam@example.ir" in listing.content.decode()
    other = _logged_in(agent_b)
    assert other.get(f"/comms/forms/submissions/{submission.pk}/").status_code == 404
    assert other.get(f"/comms/forms/{lead_form.pk}/submissions/").status_code == 404
    assert other.post(f"/comms/forms/submissions/{submission.pk}/retry/").status_code == 404
    assert _logged_in(admin).get(f"/comms/forms/submissions/{submission.pk}/").status_code == 200


def test_submissions_download_as_csv_without_formulas(lead_form, admin):
    Client().post(_url(lead_form), {**_answers(first_name="=HYPERLINK(1)"), "token": _old_token(lead_form)})
    page = _logged_in(admin).get(f"/comms/forms/{lead_form.pk}/submissions.csv")
    text = page.content.decode("utf-8-sig")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK(1)" in text and "+989123456789" in text


def test_a_new_manager_without_a_team_sees_no_submissions(lead_form):
    lonely = UserFactory(username="lonely", role=Role.MANAGER, team=None)
    Client().post(_url(lead_form), {**_answers(), "token": _old_token(lead_form)})
    page = _logged_in(lonely).get(f"/comms/forms/{lead_form.pk}/submissions/")
    assert page.status_code == 200 and "maryam@example.ir" not in page.content.decode()


def test_old_spam_is_purged_and_everything_else_kept(lead_form, settings):
    from peyvand.comms.webforms.tasks import SCHEDULES, spam_purge

    Client().post(_url(lead_form), {**_answers(), "token": _old_token(lead_form), "website": "bot"})
    Client().post(_url(lead_form), {**_answers(), "token": _old_token(lead_form)})
    old = timezone.now() - timedelta(days=31)
    FormSubmission.objects.update(created_at=old)
    Client().post(_url(lead_form), {**_answers(), "token": _old_token(lead_form), "website": "bot"})
    assert spam_purge() == 1
    assert set(FormSubmission.objects.values_list("status", flat=True)) == {"accepted", "spam"}
    assert FormSubmission.objects.filter(created_at=old).get().status == SubmissionStatus.ACCEPTED
    settings.PEYVAND_WEBFORMS_SPAM_DAYS = 0
    FormSubmission.objects.update(created_at=old)
    assert spam_purge() == 0
    assert [name for name, _schedule in SCHEDULES] == ["webforms.spam_purge"]


def test_many_long_answers_still_make_the_lead(admin, team_a):
    form = form_create(
        by=admin,
        data={
            "name": "long",
            "title_fa": "فرم بلند",
            "fields": [
                {"key": "name", "label_fa": "نام", "type": "text", "maps_to": "last_name"},
                *({"key": f"part{i}", "label_fa": f"بخش {i}", "type": "textarea"} for i in range(4)),
            ],
            "action": FormAction.LEAD,
            "lead_team_id": team_a.pk,
        },
    )
    answers = {"name": "سینا", **{f"part{i}": "ب" * 5000 for i in range(4)}}
    Client().post(_url(form), {**answers, "token": _old_token(form)})
    lead = Lead.objects.get()
    assert lead.last_name == "سینا" and len(lead.notes) == 10_000
    assert FormSubmission.objects.get().data["part3"] == "ب" * 5000
