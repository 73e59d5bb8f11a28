"""The web forms' JSON endpoints: the public pair a site's own script uses (fields and token, then the answers),
with CORS only for the sites a form allows; and the staff endpoints with their permissions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from peyvand.comms.models import InboundMessage
from peyvand.comms.webforms.models import FormAction, FormSubmission, SpamReason, SubmissionStatus, WebForm
from peyvand.comms.webforms.services import form_create, form_token
from peyvand.sales.models import Lead

SHOP = "https://shop.example.ir"
FIELDS = [
    {"key": "name", "label_fa": "نام", "label_en": "Name", "type": "text", "maps_to": "last_name", "required": True},
    {"key": "mobile", "label_fa": "موبایل", "label_en": "Mobile", "type": "phone", "maps_to": "phone"},
    {"key": "size", "label_fa": "تعداد کارکنان", "label_en": "Staff", "type": "number"},
]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form(admin, team_a):
    return form_create(
        by=admin,
        data={
            "name": "API",
            "title_fa": "درخواست دمو",
            "title_en": "Ask for a demo",
            "fields": FIELDS,
            "action": FormAction.LEAD,
            "lead_team_id": team_a.pk,
            "allowed_origins": [SHOP],
            "min_fill_seconds": 2,
        },
    )


def _url(form: WebForm, tail: str = "") -> str:
    return f"/api/v1/comms/forms/{form.key}{tail}"


def _post(form: WebForm, body: dict, *, origin: str | None = SHOP, raw: str | None = None):
    headers = {"Origin": origin} if origin else {}
    return Client(headers=headers).post(
        _url(form, "/submissions"), raw if raw is not None else json.dumps(body), content_type="application/json"
    )


def _token(form: WebForm, seconds: int = 30) -> str:
    return form_token(form=form, now=timezone.now() - timedelta(seconds=seconds))


def test_a_site_reads_the_fields_and_a_token_with_cors(form):
    page = Client(headers={"Origin": SHOP}).get(_url(form, "?lang=en"))
    body = page.json()
    assert page.status_code == 200 and page["Access-Control-Allow-Origin"] == SHOP
    assert body["title"] == "Ask for a demo" and [f["label"] for f in body["fields"]] == ["Name", "Mobile", "Staff"]
    assert body["token"] and body["honeypot"] == "website" and body["min_fill_seconds"] == 2
    other = Client(headers={"Origin": "https://evil.example"}).get(_url(form))
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other


def test_the_preflight_is_answered_for_allowed_sites_only(form):
    page = Client(headers={"Origin": SHOP}).options(_url(form, "/submissions"))
    assert page.status_code == 204 and page["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in page["Access-Control-Allow-Methods"] and "Content-Type" in page["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in Client(headers={"Origin": "https://evil.example"}).options(
        _url(form, "/submissions")
    )


def test_answers_posted_as_json_make_a_lead(form):
    page = _post(form, {"token": _token(form), "answers": {"name": "شرکت آوا", "mobile": "+98 912 000 1122",
                                                           "size": "۴۰"}})  # fmt: skip
    assert page.status_code == 201, page.content
    assert page["Access-Control-Allow-Origin"] == SHOP and page.json()["status"] == "received"
    lead = Lead.objects.get()
    assert lead.last_name == "شرکت آوا" and lead.phone == "+989120001122" and "40" in lead.notes
    assert FormSubmission.objects.get().origin == SHOP


def test_the_same_token_posted_twice_is_one_lead(form):
    body = {"token": _token(form), "answers": {"name": "آوا"}}
    assert _post(form, body).status_code == 201
    assert _post(form, body).status_code == 201
    assert Lead.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_site_not_allowed_is_refused(form):
    page = _post(form, {"token": _token(form), "answers": {"name": "آوا"}}, origin="https://evil.example")
    assert page.status_code == 403 and page.json()["error"]["code"] == "forbidden"
    assert not FormSubmission.objects.exists()
    # A program (no Origin) may post, as a server-side integration does.
    assert _post(form, {"token": _token(form), "answers": {"name": "آوا"}}, origin=None).status_code == 201


def test_bad_answers_are_422_per_field_with_cors(form):
    page = _post(form, {"token": _token(form), "answers": {"mobile": "12", "size": "x", "colour": "red"}})
    error = page.json()["error"]
    assert page.status_code == 422 and page["Access-Control-Allow-Origin"] == SHOP
    assert set(error["fields"]) == {"name", "mobile", "size", "colour"}
    assert not FormSubmission.objects.exists()


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", '{"token": 5, "answers": []}', '{"answers": {}}', '{"token": "", "answers": {}, "x": 1}']
)
def test_malformed_bodies_are_refused_not_a_server_error(form, raw):
    page = _post(form, {}, raw=raw)
    assert page.status_code in (400, 422), page.content
    assert "error" in page.json()


def test_spam_through_the_api_is_answered_as_received(form):
    page = _post(form, {"token": _token(form), "answers": {"name": "بات"}, "website": "http://spam.example"})
    assert page.status_code == 201 and page.json()["status"] == "received"
    assert FormSubmission.objects.get().spam_reason == SpamReason.HONEYPOT
    fresh = _post(form, {"token": form_token(form=form), "answers": {"name": "بات"}})
    assert fresh.status_code == 201
    assert FormSubmission.objects.filter(spam_reason=SpamReason.TOO_FAST).count() == 1
    assert not Lead.objects.exists()


def test_an_expired_token_is_a_field_error(form):
    page = _post(form, {"token": _token(form, seconds=2 * 86400), "answers": {"name": "آوا"}})
    assert page.status_code == 422 and "token" in page.json()["error"]["fields"]


def test_unknown_and_paused_forms_are_404(form):
    assert Client().get("/api/v1/comms/forms/nope").status_code == 404
    form.is_active = False
    form.save()
    assert _post(form, {"token": _token(form), "answers": {"name": "آوا"}}).status_code == 404


# --- staff endpoints ----------------------------------------------------------------------------------------------


def test_only_managers_and_administrators_list_forms(form, api_client, agent_a, manager_a):
    assert api_client(agent_a).get("/api/v1/comms/forms").status_code == 403
    page = api_client(manager_a).get("/api/v1/comms/forms")
    assert page.status_code == 200 and [row["key"] for row in page.json()] == [form.key]
    assert api_client(None).get("/api/v1/comms/forms").status_code == 401


def test_only_administrators_create_forms(api_client, admin, manager_a, team_a):
    body = {"name": "فرم", "title_fa": "فرم", "fields": FIELDS, "action": "lead", "lead_team_id": team_a.pk}
    assert api_client(manager_a).post("/api/v1/comms/forms", body, content_type="application/json").status_code == 403
    page = api_client(admin).post("/api/v1/comms/forms", body, content_type="application/json")
    assert page.status_code == 201 and page.json()["key"]
    bad = api_client(admin).post(
        "/api/v1/comms/forms",
        {**body, "fields": [{**FIELDS[0], "type": "colour"}], "allowed_origins": ["shop.example.ir"]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {"fields.0.type", "allowed_origins"} <= set(bad.json()["error"]["fields"])


def test_submission_rows_keep_no_address_only_its_hash(form):
    _post(form, {"token": _token(form), "answers": {"name": "آوا"}})
    row = FormSubmission.objects.get()
    assert row.status == SubmissionStatus.ACCEPTED
    assert len(row.ip_hash) == 64 and "127.0.0.1" not in row.ip_hash


def test_only_administrators_change_a_form(form, api_client, admin, manager_a):
    url = f"/api/v1/comms/forms/{form.key}"
    assert api_client(manager_a).patch(url, {"name": "x"}, content_type="application/json").status_code == 403
    assert api_client(None).patch(url, {"name": "x"}, content_type="application/json").status_code == 401
    page = api_client(admin).patch(url, {"is_active": False, "rate_per_hour": 5}, content_type="application/json")
    assert page.status_code == 200 and page.json()["is_active"] is False
    form.refresh_from_db()
    assert (form.is_active, form.rate_per_hour, form.name) == (False, 5, "API")
    assert api_client(admin).patch(url, {"rate_per_hour": 0}, content_type="application/json").status_code == 422
    missing = api_client(admin).patch("/api/v1/comms/forms/nope", {"name": "x"}, content_type="application/json")
    assert missing.status_code == 404


def test_staff_list_submissions_within_their_reach(form, api_client, admin, agent_a, agent_b):
    _post(form, {"token": _token(form), "answers": {"name": "آوا"}})
    _post(form, {"token": _token(form), "answers": {"name": "بات"}, "website": "x"})
    url = f"/api/v1/comms/forms/{form.key}/submissions"
    everything = api_client(admin).get(url).json()
    assert [row["status"] for row in everything] == ["spam", "accepted"]
    assert [row["data"]["name"] for row in api_client(agent_a).get(url).json()] == ["آوا"]
    assert api_client(agent_b).get(url).json() == []
    assert len(api_client(admin).get(url + "?status=spam").json()) == 1
    assert api_client(None).get(url).status_code == 401


def test_a_huge_submission_is_413_not_a_server_error(form):
    page = _post(form, {"token": _token(form), "answers": {"name": "x" * (3 * 1024 * 1024)}})
    assert page.status_code == 413 and page.json()["error"]["code"] == "too_large"
    assert page["Access-Control-Allow-Origin"] == SHOP
    hosted = Client().post(f"/comms/forms/f/{form.key}/", {"name": "x" * (3 * 1024 * 1024), "token": _token(form)})
    assert hosted.status_code == 400
    assert not FormSubmission.objects.exists()
