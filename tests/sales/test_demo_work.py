"""The demo's day-to-day sales data: leads from several sources (some converted to the demo deals), activities
on both sides of today, contracts for the best customers, and this period's targets, made once."""

import jdatetime
import pytest
from django.utils import timezone

from factories import CustomerFactory
from peyvand.customers.demo import ensure_staff
from peyvand.sales.demo_work import seed_sales_work
from peyvand.sales.models import Activity, Contract, Lead, LeadStatus, Target
from peyvand.sales.services.orders import order_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return ensure_staff()


def test_it_fills_the_agenda_leads_contracts_and_targets_once(staff, make_deal):
    agent = staff.users["agent"]
    customers = [CustomerFactory(team=agent.team, owner=agent) for _ in range(5)]
    for customer in customers[:3]:
        make_deal(customer=customer, owner=agent, team=agent.team)
        order_create(
            by=agent, customer_id=customer.pk, lines=[{"description": "خدمات", "quantity": 1, "unit_price": 90_000_000}]
        )

    summary = seed_sales_work(seed=7, staff=staff)

    assert summary is not None
    assert Lead.objects.count() == summary.leads == 60
    converted = Lead.objects.filter(status=LeadStatus.CONVERTED)
    assert converted.count() == 3  # one per demo deal there is
    assert all(lead.converted_deal.customer_id == lead.converted_customer_id for lead in converted)
    assert len({lead.source for lead in Lead.objects.all()}) > 3
    today = timezone.localdate()
    planned = Activity.objects.filter(status="planned")
    assert planned.filter(due_at__date__gt=today).exists()  # on the calendar ahead
    assert Activity.objects.filter(status="done", due_at__date__lt=today).exists()  # done in the past
    assert not Activity.objects.filter(due_at__date__gt=today, reminded_at__isnull=False).exists()
    assert Contract.objects.count() == summary.contracts == 3  # the customers who bought
    for contract in Contract.objects.all():  # the status agrees with the end date
        assert contract.status == ("expired" if contract.end_date < today else "active")
    month = jdatetime.date.fromgregorian(date=today)
    monthly = Target.objects.filter(user=agent, period="month", jalali_year=month.year, period_number=month.month)
    assert monthly.count() == 1 and monthly.get().amount % 10_000_000 == 0
    assert Target.objects.filter(team=staff.teams["sales"]).count() == 2

    assert seed_sales_work(seed=7, staff=staff) is None  # a second run adds nothing
    assert Lead.objects.count() == 60
