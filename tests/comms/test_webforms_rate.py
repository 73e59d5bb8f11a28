"""A web form's per-address limit is one count in the site's cache whichever way the answers come (the hosted page
or the JSON endpoint), and a cache that does not answer loses no visitor's submission."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.utils import timezone

from peyvand.comms.webforms.models import FormAction, FormSubmission, SpamReason, SubmissionStatus, WebForm
from peyvand.comms.webforms.services import form_create, form_token
from peyvand.core import counting
from peyvand.sales.models import Lead

pytestmark = pytest.mark.django_db

FIELDS = [{"key": "name", "label_fa": "نام", "type": "text", "maps_to": "last_name", "required": True}]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form(admin, team_a):
    return form_create(
        by=admin,
        data={"name": "دمو", "title_fa": "درخواست دمو", "fields": FIELDS, "action": FormAction.LEAD,
              "lead_team_id": team_a.pk, "rate_per_hour": 2, "min_fill_seconds": 0},
    )  # fmt: skip


def _token(form: WebForm) -> str:
    return form_token(form=form, now=timezone.now() - timedelta(seconds=30))


def _by_page(form: WebForm, name: str, address: str = "203.0.113.9") -> int:
    page = Client(REMOTE_ADDR=address).post(f"/comms/forms/f/{form.key}/", {"name": name, "token": _token(form)})
    return page.status_code


def _by_api(form: WebForm, name: str, address: str = "203.0.113.9") -> int:
    page = Client(REMOTE_ADDR=address).post(
        f"/api/v1/comms/forms/{form.key}/submissions",
        {"token": _token(form), "answers": {"name": name}},
        content_type="application/json",
    )
    return page.status_code


def test_the_hosted_page_and_the_json_endpoint_count_against_one_limit(form):
    assert _by_page(form, "یک") == 200
    assert _by_api(form, "دو") == 201
    # The third from that address is over the hourly limit of two, whichever way it comes.
    assert _by_api(form, "سه") == 201
    assert _by_page(form, "چهار") == 200
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == ["دو", "یک"]
    spam = FormSubmission.objects.filter(status=SubmissionStatus.SPAM)
    assert {row.spam_reason for row in spam} == {SpamReason.RATE_LIMIT} and spam.count() == 2
    # Another address has its own count.
    assert _by_api(form, "پنج", address="203.0.113.10") == 201
    assert Lead.objects.count() == 3


def test_a_flood_beyond_three_times_the_limit_is_dropped_across_both_paths(form):
    for n in range(6):
        (_by_page if n % 2 else _by_api)(form, f"n{n}")
    assert FormSubmission.objects.count() == 6
    assert _by_page(form, "هفت") == 200 and _by_api(form, "هشت") == 201
    # Answered alike, but no longer stored: a flood cannot fill the database.
    assert FormSubmission.objects.count() == 6


class DownCache(LocMemCache):
    def __init__(self) -> None:
        super().__init__("down", {})

    def add(self, *args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("cache server unreachable")


def test_a_cache_that_does_not_answer_loses_no_submission(form, monkeypatch):
    monkeypatch.setattr(counting, "cache", DownCache())
    for n in range(3):
        assert _by_page(form, f"p{n}") == 200
    assert Lead.objects.count() == 3
    assert set(FormSubmission.objects.values_list("status", flat=True)) == {SubmissionStatus.ACCEPTED}
