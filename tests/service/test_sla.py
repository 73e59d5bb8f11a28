"""The SLA clocks: which policy applies, due times in business time across holidays, the first reply, waiting,
resolving and reopening."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from peyvand.core.jalali import parse_date
from peyvand.customers.models import Tier
from peyvand.service.models import Holiday, SlaPolicy, TicketStatus
from peyvand.service.sla import policy_for, sla_apply, sla_on_first_reply, sla_on_status

TEHRAN = ZoneInfo("Asia/Tehran")


def at(jalali: str, clock: str = "08:00") -> datetime:
    return datetime.combine(parse_date(jalali), time.fromisoformat(clock), TEHRAN)


@pytest.fixture
def make_policy(db):
    def make(name="پیش‌فرض", *, position=0, conditions=None, first=60, resolution=480, **fields):
        return SlaPolicy.objects.create(
            name=name,
            position=position,
            conditions=conditions or {},
            first_response_minutes=first,
            resolution_minutes=resolution,
            **fields,
        )

    return make


@pytest.fixture
def nowruz(db):
    for day in ("1404/12/29", "1405/01/01", "1405/01/02", "1405/01/03", "1405/01/04", "1405/01/12", "1405/01/13"):
        Holiday.objects.create(date=parse_date(day), name="تعطیل رسمی")


def test_the_first_matching_active_policy_in_position_order_applies(make_policy, make_ticket, customer_a):
    urgent = make_policy("فوری", position=0, conditions={"priority": ["urgent"]}, first=15, resolution=120)
    gold = make_policy("طلایی", position=1, conditions={"customer_tier": ["gold"]}, first=30, resolution=240)
    make_policy("غیرفعال", position=2, conditions={}, is_active=False)
    rest = make_policy("بقیه", position=3, conditions={})
    customer_a.tier = Tier.GOLD
    customer_a.save()
    assert policy_for(make_ticket(customer=customer_a, priority="urgent")) == urgent
    assert policy_for(make_ticket(customer=customer_a, priority="normal")) == gold
    assert policy_for(make_ticket(contact_name="ناشناس", priority="normal")) == rest


def test_a_category_condition_covers_its_sub_categories(
    make_policy, make_ticket, technical, installation, billing_category
):
    technical_policy = make_policy("فنی", position=0, conditions={"category": [technical.pk]})
    assert policy_for(make_ticket(category=installation)) == technical_policy
    assert policy_for(make_ticket(category=billing_category)) is None


def test_without_a_matching_policy_there_are_no_due_times(make_policy, make_ticket):
    make_policy(conditions={"kind": ["complaint"]})
    ticket = make_ticket(kind="question", created_at=at("1405/02/12", "09:00"))
    sla_apply(ticket, now=at("1405/02/12", "09:00"))
    assert ticket.sla_policy is None
    assert ticket.first_response_due_at is None and ticket.resolution_due_at is None


def test_due_times_are_counted_in_business_time_across_nowruz(make_policy, make_ticket, nowruz):
    make_policy(first=120, resolution=360)
    # Wednesday 27 Esfand 1404, 15:00; Thursday is a half day; then Friday (also 29 Esfand) and Nowruz.
    ticket = make_ticket(created_at=at("1404/12/27", "15:00"))
    sla_apply(ticket, now=at("1404/12/27", "15:00"))
    assert ticket.first_response_due_at == at("1404/12/28", "09:00")
    assert ticket.resolution_due_at == at("1405/01/05", "09:00")
    assert not ticket.first_response_breached and not ticket.resolution_breached


def test_a_ticket_arriving_on_a_holiday_starts_counting_at_the_next_opening(make_policy, make_ticket, nowruz):
    make_policy(first=30, resolution=480)
    ticket = make_ticket(created_at=at("1405/01/12", "10:00"))
    sla_apply(ticket, now=at("1405/01/12", "10:00"))
    assert ticket.first_response_due_at == at("1405/01/15", "08:30")
    assert ticket.resolution_due_at == at("1405/01/15", "16:00")


def test_changing_the_priority_and_applying_again_gives_the_new_targets(make_policy, make_ticket):
    make_policy("فوری", position=0, conditions={"priority": ["urgent"]}, first=15, resolution=60)
    normal = make_policy("عادی", position=1, first=120, resolution=960)
    ticket = make_ticket(priority="normal", created_at=at("1405/02/12", "08:00"))
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    assert ticket.sla_policy == normal and ticket.first_response_due_at == at("1405/02/12", "10:00")
    ticket.priority = "urgent"
    ticket.sla_warned_at = at("1405/02/12", "09:00")
    sla_apply(ticket, now=at("1405/02/12", "08:20"))
    assert ticket.sla_policy.name == "فوری"
    assert ticket.first_response_due_at == at("1405/02/12", "08:15")
    assert ticket.first_response_breached  # 08:20 is already past the new due time
    assert ticket.sla_warned_at is None  # the new due time has its own warning


def test_the_first_reply_stores_business_minutes_and_whether_it_was_late(make_policy, make_ticket):
    make_policy(first=60)
    on_time = make_ticket(created_at=at("1405/02/09", "15:30"))
    sla_apply(on_time, now=at("1405/02/09", "15:30"))
    # Half an hour on Wednesday, 20 minutes on Thursday morning.
    sla_on_first_reply(on_time, at=at("1405/02/10", "08:20"))
    assert on_time.first_responded_at == at("1405/02/10", "08:20")
    assert on_time.first_response_minutes == 50
    assert not on_time.first_response_breached

    late = make_ticket(created_at=at("1405/02/09", "15:30"))
    sla_apply(late, now=at("1405/02/09", "15:30"))
    sla_on_first_reply(late, at=at("1405/02/10", "09:00"))
    assert late.first_response_minutes == 90
    assert late.first_response_breached
    # A second reply changes nothing.
    sla_on_first_reply(late, at=at("1405/02/12", "09:00"))
    assert late.first_responded_at == at("1405/02/10", "09:00")


def test_waiting_for_the_customer_stops_the_resolution_clock(make_policy, make_ticket):
    make_policy(first=60, resolution=480)
    ticket = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.IN_PROGRESS)
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    assert ticket.resolution_due_at == at("1405/02/12", "16:00")
    sla_on_status(ticket, old=TicketStatus.IN_PROGRESS, new=TicketStatus.WAITING, at=at("1405/02/12", "10:00"))
    assert ticket.paused_at == at("1405/02/12", "10:00")
    # Back the next morning at 10:00: six hours on Saturday and two on Sunday were stopped.
    sla_on_status(ticket, old=TicketStatus.WAITING, new=TicketStatus.IN_PROGRESS, at=at("1405/02/13", "10:00"))
    assert ticket.paused_at is None
    assert ticket.paused_minutes == 480
    assert ticket.resolution_due_at == at("1405/02/13", "16:00")
    assert not ticket.resolution_breached


def test_resolving_stores_the_minutes_worked_less_the_pauses(make_policy, make_ticket):
    make_policy(first=60, resolution=480)
    ticket = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.IN_PROGRESS)
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    sla_on_status(ticket, old=TicketStatus.IN_PROGRESS, new=TicketStatus.WAITING, at=at("1405/02/12", "10:00"))
    # Resolved straight from waiting, on Sunday at 12:00: the pause ends there too.
    sla_on_status(ticket, old=TicketStatus.WAITING, new=TicketStatus.RESOLVED, at=at("1405/02/13", "12:00"))
    assert ticket.resolved_at == at("1405/02/13", "12:00")
    assert ticket.paused_minutes == 600
    assert ticket.resolution_minutes == 120  # 08:00-10:00 on Saturday
    assert not ticket.resolution_breached


def test_resolving_late_marks_the_breach(make_policy, make_ticket):
    make_policy(first=60, resolution=120)
    ticket = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.IN_PROGRESS)
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    sla_on_status(ticket, old=TicketStatus.IN_PROGRESS, new=TicketStatus.RESOLVED, at=at("1405/02/12", "11:00"))
    assert ticket.resolution_minutes == 180
    assert ticket.resolution_breached


def test_reopening_runs_the_clock_again_with_the_due_time_moved_by_the_time_resolved(make_policy, make_ticket):
    make_policy(first=60, resolution=480)
    ticket = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.IN_PROGRESS)
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    sla_on_status(ticket, old=TicketStatus.IN_PROGRESS, new=TicketStatus.RESOLVED, at=at("1405/02/12", "12:00"))
    ticket.sla_warned_at = ticket.escalated_at = at("1405/02/12", "11:00")
    # Reopened the next day at 12:00: eight business hours passed while it was resolved.
    sla_on_status(ticket, old=TicketStatus.RESOLVED, new=TicketStatus.REOPENED, at=at("1405/02/13", "12:00"))
    assert ticket.resolved_at is None
    assert ticket.resolution_minutes is None
    assert not ticket.resolution_breached
    assert ticket.paused_minutes == 480
    assert ticket.resolution_due_at == at("1405/02/13", "16:00")
    assert ticket.sla_warned_at is None and ticket.escalated_at is None
    # Resolved again at 13:00 Sunday: four hours on Saturday and one on Sunday of work.
    sla_on_status(ticket, old=TicketStatus.REOPENED, new=TicketStatus.RESOLVED, at=at("1405/02/13", "13:00"))
    assert ticket.resolution_minutes == 300
    assert not ticket.resolution_breached


def test_closing_an_open_ticket_resolves_it_too(make_policy, make_ticket):
    make_policy(first=60, resolution=480)
    ticket = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.IN_PROGRESS)
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    sla_on_status(ticket, old=TicketStatus.IN_PROGRESS, new=TicketStatus.CLOSED, at=at("1405/02/12", "09:00"))
    assert ticket.resolved_at == ticket.closed_at == at("1405/02/12", "09:00")
    assert ticket.resolution_minutes == 60
    # Closing a resolved ticket later keeps the resolution.
    ticket2 = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.RESOLVED)
    ticket2.resolved_at = at("1405/02/12", "09:00")
    ticket2.resolution_minutes = 60
    sla_on_status(ticket2, old=TicketStatus.RESOLVED, new=TicketStatus.CLOSED, at=at("1405/02/19", "09:00"))
    assert ticket2.resolved_at == at("1405/02/12", "09:00") and ticket2.resolution_minutes == 60
    assert ticket2.closed_at == at("1405/02/19", "09:00")


def test_a_deleted_policy_leaves_due_times_that_still_move_with_a_pause(make_policy, make_ticket):
    policy = make_policy(first=60, resolution=480)
    ticket = make_ticket(created_at=at("1405/02/12", "08:00"), status=TicketStatus.IN_PROGRESS)
    sla_apply(ticket, now=at("1405/02/12", "08:00"))
    ticket.save()
    policy.delete()
    ticket.refresh_from_db()
    sla_on_status(ticket, old=TicketStatus.IN_PROGRESS, new=TicketStatus.WAITING, at=at("1405/02/12", "10:00"))
    sla_on_status(ticket, old=TicketStatus.WAITING, new=TicketStatus.IN_PROGRESS, at=at("1405/02/12", "11:00"))
    assert ticket.resolution_due_at == at("1405/02/13", "09:00")


# --- through the ticket API -------------------------------------------------------------------------------


def test_a_ticket_opened_through_the_api_gets_its_policys_due_times(
    api_client, agent_a, agent_b, customer_a, make_policy
):
    from peyvand.service.calendar import working_calendar
    from peyvand.service.models import Ticket

    make_policy("فوری", position=0, conditions={"priority": ["urgent"]}, first=15, resolution=120)
    normal = make_policy("عادی", position=1, first=60, resolution=480)
    client = api_client(agent_a)
    response = client.post(
        "/api/v1/tickets",
        {"subject": "اینترنت قطع است", "customer_id": customer_a.pk, "priority": "normal"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    calendar = working_calendar()
    assert body["sla_policy_id"] == normal.pk
    assert ticket.first_response_due_at == calendar.add_minutes(ticket.created_at, 60)
    assert ticket.resolution_due_at == calendar.add_minutes(ticket.created_at, 480)
    # An agent of another team does not learn the ticket exists.
    assert api_client(agent_b).get(f"/api/v1/tickets/{ticket.pk}").status_code == 404
