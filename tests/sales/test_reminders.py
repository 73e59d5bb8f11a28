"""Reminders: activities coming due and deals whose next step is overdue, each sent once (however often and by
however many workers the run happens), in the page and by e-mail through a real SMTP server."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from peyvand.accounts.models import Notification
from peyvand.sales.models import Activity
from peyvand.sales.services import deal_update
from peyvand.sales.services.activities import activity_cancel, activity_create, activity_update
from peyvand.sales.services.reminders import STALE_AFTER, reminders_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "crm@example.ir"
    return smtp_server


@pytest.fixture
def mailable(agent_a):
    agent_a.email = "agent.a@example.ir"
    agent_a.save()
    return agent_a


def at(**delta) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


def plan(by, **fields):
    data = {"subject": "تماس با آقای رضایی", "due_at": at(hours=1), **fields}
    return activity_create(by=by, data=data)


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --- activities -------------------------------------------------------------------------------------------


def test_a_due_reminder_is_sent_once_in_the_page_and_by_mail(smtp, mailable, customer_a):
    activity = plan(mailable, kind="call", customer_id=customer_a.pk, remind_minutes_before=15, location="تلفن")
    # Not yet: the reminder is due 15 minutes before the activity.
    assert reminders_send(now=activity.remind_at - dt.timedelta(minutes=1))["activities"] == 0
    assert reminders_send(now=activity.remind_at)["activities"] == 1
    # Run again (a second worker, the next minute): nothing more.
    assert reminders_send(now=activity.remind_at + dt.timedelta(minutes=1))["activities"] == 0
    notice = Notification.objects.get(user=mailable)
    assert notice.kind == "activity_reminder"
    assert "تماس با آقای رضایی" in notice.title
    assert customer_a.display_name in notice.body
    assert notice.url == f"/sales/activities/{activity.pk}/"
    assert notice.emailed_at is not None
    activity.refresh_from_db()
    assert activity.reminded_at is not None
    assert smtp.received.wait(5)
    [message] = smtp.emails()
    assert message["X-Envelope-To"] == "agent.a@example.ir"
    assert message["From"] == "crm@example.ir"
    assert "تماس با آقای رضایی" in message["Subject"]
    text = body_of(message)
    assert customer_a.display_name in text
    assert f"/sales/activities/{activity.pk}/" in text


def test_the_reminder_is_written_in_the_sites_language(mailable, settings):
    settings.LANGUAGE_CODE = "en"
    activity = plan(mailable, subject="Call", remind_minutes_before=0)
    reminders_send(now=activity.due_at)
    assert Notification.objects.get().title == "Reminder: Call"


def test_two_runs_at_once_send_each_reminder_once(mailable):
    activities = [plan(mailable, due_at=at(minutes=5 + n)) for n in range(3)]
    now = at(minutes=10)
    results = [reminders_send(now=now), reminders_send(now=now)]
    assert sum(r["activities"] for r in results) == 3
    assert Notification.objects.filter(kind="activity_reminder").count() == 3
    assert not Activity.objects.filter(pk__in=[a.pk for a in activities], reminded_at__isnull=True).exists()


def test_a_claimed_row_is_not_sent_again(mailable, monkeypatch):
    """What keeps two workers apart: the row is claimed by a conditional UPDATE, and the worker whose UPDATE
    finds it claimed already (another worker got there between the read and the write) sends nothing."""
    activity = plan(mailable, remind_minutes_before=0)
    from peyvand.sales.services import reminders

    real_filter = Activity.objects.filter

    def claimed_in_between(*args, **kwargs):
        # The other worker claims the row just after this one has read it as due.
        if kwargs.get("pk") == activity.pk and "reminded_at__isnull" in kwargs:
            Activity.objects.all().update(reminded_at=timezone.now())
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(reminders.Activity.objects, "filter", claimed_in_between)
    assert reminders_send(now=activity.due_at)["activities"] == 0
    assert not Notification.objects.exists()


def test_no_reminder_for_done_cancelled_or_reminderless_activities(mailable):
    done = plan(mailable, remind_minutes_before=0)
    Activity.objects.filter(pk=done.pk).update(status="done")
    cancelled = plan(mailable, remind_minutes_before=0)
    activity_cancel(activity=cancelled, by=mailable)
    plan(mailable, remind_minutes_before=None)
    assert reminders_send(now=at(hours=2))["activities"] == 0
    assert not Notification.objects.exists()


def test_a_stale_reminder_is_skipped(mailable):
    activity = plan(mailable, due_at=at(days=-2), remind_minutes_before=0)
    assert reminders_send()["activities"] == 0
    assert reminders_send(now=activity.due_at + STALE_AFTER - dt.timedelta(minutes=1))["activities"] == 1


def test_moving_the_due_time_owes_the_reminder_again(mailable):
    activity = plan(mailable, remind_minutes_before=0)
    reminders_send(now=activity.due_at)
    activity = activity_update(activity=activity, by=mailable, data={"due_at": at(days=1)})
    assert activity.reminded_at is None
    assert reminders_send(now=activity.due_at)["activities"] == 1
    assert Notification.objects.filter(kind="activity_reminder").count() == 2


def test_an_assignee_without_an_address_gets_the_notice_only(smtp, agent_a):
    agent_a.email = ""
    agent_a.save()
    activity = plan(agent_a, remind_minutes_before=0)
    assert reminders_send(now=activity.due_at)["activities"] == 1
    assert Notification.objects.get().emailed_at is None
    assert smtp.messages == []


def test_a_mail_server_that_is_down_loses_no_notice(mailable, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    activity = plan(mailable, remind_minutes_before=0)
    assert reminders_send(now=activity.due_at)["activities"] == 1
    notice = Notification.objects.get()
    assert notice.emailed_at is None


# --- deals' next steps ------------------------------------------------------------------------------------


def test_an_overdue_next_step_is_reminded_once_to_the_owner(smtp, mailable, customer_a, make_deal):
    deal = make_deal(customer=customer_a, owner=mailable, next_step="ارسال پیش‌فاکتور", next_step_due_at=at(hours=-1))
    assert reminders_send()["deal_next_steps"] == 1
    assert reminders_send()["deal_next_steps"] == 0
    notice = Notification.objects.get(kind="deal_next_step_overdue")
    assert notice.user == mailable
    assert deal.title in notice.title
    assert "ارسال پیش‌فاکتور" in notice.body
    assert notice.url == f"/sales/deals/{deal.pk}/"
    deal.refresh_from_db()
    assert deal.next_step_reminded_at is not None
    # A reminder is not an edit: an open form on the deal is not made stale by it.
    assert deal.version == 1
    assert smtp.received.wait(5)
    assert deal.title in smtp.emails()[0]["Subject"]


def test_a_next_step_not_yet_due_or_on_a_closed_deal_is_not_reminded(mailable, customer_a, make_deal):
    make_deal(customer=customer_a, owner=mailable, next_step="تماس", next_step_due_at=at(hours=1))
    make_deal(customer=customer_a, owner=mailable, stage="won", next_step="تماس", next_step_due_at=at(hours=-1))
    ownerless = make_deal(customer=customer_a, next_step="تماس", next_step_due_at=at(hours=-1))
    type(ownerless).objects.filter(pk=ownerless.pk).update(owner=None)
    assert reminders_send()["deal_next_steps"] == 0
    assert not Notification.objects.exists()


def test_a_new_due_time_for_the_next_step_is_reminded_again(mailable, customer_a, make_deal):
    deal = make_deal(customer=customer_a, owner=mailable, next_step="تماس", next_step_due_at=at(hours=-1))
    reminders_send()
    deal.refresh_from_db()
    deal_update(deal=deal, by=mailable, version=deal.version, data={"next_step_due_at": at(hours=-0.5)})
    deal.refresh_from_db()
    assert deal.next_step_reminded_at is None
    assert reminders_send()["deal_next_steps"] == 1
    assert Notification.objects.filter(kind="deal_next_step_overdue").count() == 2


# --- contracts --------------------------------------------------------------------------------------------


def test_the_run_reminds_of_renewals_and_expires_contracts(monkeypatch):
    from peyvand.sales.services import reminders

    calls = []
    monkeypatch.setattr(reminders, "contract_renewals_remind", lambda *, now: calls.append(("remind", now)) or 2)
    monkeypatch.setattr(reminders, "contracts_expire", lambda *, today: calls.append(("expire", today)) or 1)
    # One in the morning in Tehran is still the day before in UTC: the contracts' day is Tehran's.
    now = dt.datetime(2026, 12, 22, 1, 0, tzinfo=ZoneInfo("Asia/Tehran"))
    counts = reminders_send(now=now)
    assert calls == [("remind", now), ("expire", dt.date(2026, 12, 22))]
    assert (counts["contract_renewals"], counts["contracts_expired"]) == (2, 1)


def test_a_failure_in_one_kind_of_reminder_does_not_hold_back_the_others(mailable, monkeypatch, caplog):
    from peyvand.sales.services import reminders

    def broken(**kwargs):
        raise RuntimeError("contracts table is locked")

    monkeypatch.setattr(reminders, "contract_renewals_remind", broken)
    activity = plan(mailable, remind_minutes_before=0)
    counts = reminders_send(now=activity.due_at)
    assert counts["activities"] == 1
    assert "Sending contract reminders failed" in caplog.text


def test_no_reminder_for_an_activity_of_a_deleted_customer(mailable, customer_a):
    activity = plan(mailable, customer_id=customer_a.pk, remind_minutes_before=0)
    type(customer_a).objects.filter(pk=customer_a.pk).update(deleted_at=timezone.now())
    assert reminders_send(now=activity.due_at)["activities"] == 0
