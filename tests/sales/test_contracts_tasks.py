"""The contracts' background work: renewal reminders (to the owner, or the team's managers; once per contract)
and expiry (or automatic renewal) of contracts past their end."""

import datetime as dt

import pytest
from django.utils import timezone

from factories import UserFactory
from peyvand.accounts.models import Notification, Role
from peyvand.sales.models import Contract
from peyvand.sales.services.contracts import contract_renewals_remind, contracts_expire

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_contract(customer_a):
    def make(*, end, start=None, status="active", notice=30, **fields):
        return Contract.objects.create(
            number=f"CT-T-{Contract.objects.count() + 1:05d}",
            title=fields.pop("title", "نگهداری شبکه"),
            customer=fields.pop("customer", customer_a),
            status=status,
            start_date=start or end - dt.timedelta(days=364),
            end_date=end,
            value=1000,
            renewal_notice_days=notice,
            owner=fields.pop("owner", customer_a.owner),
            team=fields.pop("team", customer_a.team),
            **fields,
        )

    return make


def test_owner_is_reminded_once_when_the_end_is_within_the_notice(make_contract, agent_a):
    due = make_contract(end=TODAY + dt.timedelta(days=30))
    not_yet = make_contract(end=TODAY + dt.timedelta(days=31))
    draft = make_contract(end=TODAY + dt.timedelta(days=5), status="draft")
    ended = make_contract(end=TODAY - dt.timedelta(days=1))
    assert contract_renewals_remind(now=NOW) == 1
    [notice] = Notification.objects.filter(user=agent_a)
    assert notice.kind == "contract_renewal"
    assert due.number in notice.title
    assert notice.url == f"/sales/contracts/{due.pk}/"
    due.refresh_from_db()
    assert due.renewal_reminded_at == NOW
    for other in (not_yet, draft, ended):
        other.refresh_from_db()
        assert other.renewal_reminded_at is None
    # A second run the same day, or the next, reminds no one again.
    assert contract_renewals_remind(now=NOW) == 0
    assert contract_renewals_remind(now=NOW + dt.timedelta(days=1)) == 1  # only not_yet has come due
    assert Notification.objects.filter(user=agent_a).count() == 2


def test_each_contract_has_its_own_notice_length(make_contract):
    short = make_contract(end=TODAY + dt.timedelta(days=8), notice=7)
    long = make_contract(end=TODAY + dt.timedelta(days=80), notice=90)
    assert contract_renewals_remind(now=NOW) == 1
    short.refresh_from_db()
    long.refresh_from_db()
    assert short.renewal_reminded_at is None
    assert long.renewal_reminded_at is not None


def test_without_an_owner_the_teams_managers_are_reminded(make_contract, manager_a, team_a_sub, agent_a_sub):
    # A sub-team with no manager of its own: the managers of the team above are told.
    make_contract(end=TODAY + dt.timedelta(days=3), owner=None, team=team_a_sub)
    other_manager = UserFactory(role=Role.MANAGER, team=manager_a.team)
    assert contract_renewals_remind(now=NOW) == 1
    assert set(Notification.objects.values_list("user_id", flat=True)) == {manager_a.pk, other_manager.pk}
    assert not Notification.objects.filter(user=agent_a_sub).exists()


def test_expired_contracts_expire_and_auto_renewing_ones_renew(make_contract, customer_a):
    plain = make_contract(end=TODAY - dt.timedelta(days=1))
    still_running = make_contract(end=TODAY)
    renewing = make_contract(start=dt.date(2025, 5, 1), end=dt.date(2026, 5, 30), auto_renew=True)
    assert contracts_expire(today=TODAY) == 2
    plain.refresh_from_db()
    still_running.refresh_from_db()
    renewing.refresh_from_db()
    assert plain.status == "expired"
    assert still_running.status == "active"
    assert renewing.status == "renewed"
    renewal = Contract.objects.get(renewed_from=renewing)
    assert renewal.status == "active"
    assert renewal.start_date == dt.date(2026, 5, 31)
    assert renewal.end_date == renewal.start_date + (renewing.end_date - renewing.start_date)
    assert renewal.auto_renew
    assert renewal.number != renewing.number
    subjects = list(customer_a.interactions.values_list("subject", flat=True))
    assert any(plain.number in s for s in subjects)
    assert any(renewal.number in s for s in subjects)
    # Nothing left to do on a second run.
    assert contracts_expire(today=TODAY) == 0


def test_a_long_outage_renews_until_the_term_covers_today(make_contract):
    weekly = make_contract(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 7), auto_renew=True)
    contracts_expire(today=TODAY)
    current = Contract.objects.get(status="active", auto_renew=True)
    assert current.start_date <= TODAY <= current.end_date
    assert Contract.objects.filter(status="renewed").count() >= 3
    weekly.refresh_from_db()
    assert weekly.status == "renewed"


def test_a_renewal_is_reminded_of_in_its_turn(make_contract, agent_a):
    make_contract(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31), auto_renew=True, notice=40)
    contracts_expire(today=TODAY)
    assert contract_renewals_remind(now=NOW) == 1
    [notice] = Notification.objects.filter(user=agent_a)
    assert "CT-" in notice.title


def test_tasks_default_to_today(make_contract):
    make_contract(end=timezone.localdate() - dt.timedelta(days=2))
    assert contracts_expire() == 1
