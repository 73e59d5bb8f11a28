"""The service desk's demo: a configured desk and a year of tickets whose stored figures agree with the working
calendar, numbered so that tickets made afterwards continue the sequence."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from peyvand.sales.services.numbering import next_number
from peyvand.service.calendar import working_calendar
from peyvand.service.models import (
    OPEN_STATUSES,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketSatisfaction,
    TicketStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", customers=150, seed=7, stdout=StringIO(), stderr=StringIO())


def test_the_demo_configures_the_desk_and_fills_a_year(seeded):
    assert TicketCategory.objects.filter(parent__isnull=False).exists()
    assert RoutingRule.objects.count() == 4 and SlaPolicy.objects.count() == 4
    tickets = Ticket.objects.all()
    assert tickets.count() > 500
    first, last = tickets.order_by("created_at").first(), tickets.order_by("created_at").last()
    assert (last.created_at - first.created_at).days > 300
    assert tickets.filter(status__in=OPEN_STATUSES).exists()
    assert tickets.filter(status=TicketStatus.CLOSED).exists()
    assert TicketSatisfaction.objects.filter(score__isnull=False).exists()
    # Saturdays are busier than Fridays (the forecast's weekly season).
    by_weekday = dict(
        tickets.values_list("created_at__week_day").annotate(n=Count("id")).values_list("created_at__week_day", "n")
    )
    assert by_weekday.get(7, 0) > 3 * by_weekday.get(6, 0)  # Django: Sunday 1 … Saturday 7


def test_the_stored_figures_agree_with_the_calendar(seeded):
    calendar = working_calendar()
    answered = Ticket.objects.filter(first_responded_at__isnull=False, resolved_at__isnull=False)[:50]
    assert answered
    for ticket in answered:
        assert calendar.minutes_between(ticket.created_at, ticket.first_responded_at) == ticket.first_response_minutes
        assert calendar.minutes_between(ticket.created_at, ticket.resolved_at) == ticket.resolution_minutes
        assert ticket.resolution_breached == (ticket.resolution_minutes > ticket.sla_policy.resolution_minutes)


def test_tickets_made_after_the_demo_continue_its_numbers(seeded):
    numbers = set(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == Ticket.objects.count()
    assert next_number("ticket") not in numbers


def test_a_second_run_adds_no_second_year(seeded):
    before = Ticket.objects.count()
    call_command("seed_demo", customers=0, stdout=StringIO(), stderr=StringIO())
    assert Ticket.objects.count() == before
