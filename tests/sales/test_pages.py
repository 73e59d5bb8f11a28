"""The sales pages through the test client: board, moves, list, detail, forms, decision-makers and products,
each scoped to what the user may see and writing through the services."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import CustomerFactory, OrganizationFactory
from peyvand.sales import views
from peyvand.sales.models import Deal, DealContact, Product
from peyvand.sales.services import deal_update

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "fa") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-deal-id="(\d+)"', html)]


def column_of(html: str, stage_id: int) -> str:
    """The markup of one board column, up to the next column."""
    start = html.index(f'data-stage-id="{stage_id}" data-outcome=')
    end = html.find('<section class="pv-column', start)
    return html[start : end if end != -1 else len(html)]


@pytest.mark.parametrize(
    "name,args",
    [
        ("sales:board", []),
        ("sales:deals", []),
        ("sales:deal_detail", [1]),
        ("sales:deal_edit", [1]),
        ("sales:deal_create", []),
        ("sales:products", []),
        ("sales:product_create", []),
    ],
)
def test_every_sales_page_needs_a_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_navigation_leads_to_the_board(agent_a):
    response = client_for(agent_a).get(reverse("home"))
    assert f'href="{reverse("sales:board")}"' in response.content.decode()
    assert client_for(agent_a).get("/sales/").url == reverse("sales:board")


def test_the_board_shows_each_stage_with_its_count_sums_and_cards(agent_a, customer_a, customer_b, make_deal, stages):
    mine = make_deal(
        customer=customer_a,
        stage="introduction",
        amount=12_000_000,
        title="سرور",
        expected_close_date=dt.date(2027, 1, 5),
        next_step="تماس",
        next_step_due_at=timezone.now() - dt.timedelta(days=1),
    )
    make_deal(customer=customer_a, stage="introduction", amount=8_000_000, title="شبکه")
    theirs = make_deal(customer=customer_b, stage="introduction", amount=99_000_000)

    response = client_for(agent_a).get(reverse("sales:board"))
    html = response.content.decode()

    assert response.status_code == 200
    assert theirs.pk not in card_ids(html)
    first = column_of(html, stages["introduction"].pk)
    assert "آشنایی و معرفی" in first
    assert re.search(r'pv-column-count"[^>]*>۲</span>', first)
    # 20,000,000 Rials is 2,000,000 Tomans, weighted at 10 %: 200,000 Tomans; Persian digits in fa.
    assert "۲٬۰۰۰٬۰۰۰" in first
    assert "۲۰۰٬۰۰۰" in first
    assert "۱۴۰۵/۱۰/۱۵" in first  # 2027-01-05, Jalali
    assert f'href="{reverse("customers:detail", args=[customer_a.pk])}"' in first
    card = first[first.index(f'data-deal-id="{mine.pk}"') :]
    assert "pv-overdue" in card[: card.index("</li>")]
    # The stages run in pipeline order in the markup; the page direction (rtl in fa) puts the first on the right.
    assert html.index(f'data-stage-id="{stages["introduction"].pk}"') < html.index(
        f'data-stage-id="{stages["lost"].pk}"'
    )
    assert 'dir="rtl"' in html


def test_the_board_is_left_to_right_in_english(agent_a, customer_a, make_deal):
    make_deal(customer=customer_a, amount=10_000_000)
    html = client_for(agent_a, "en").get(reverse("sales:board")).content.decode()
    assert 'dir="ltr"' in html
    assert "Introduction" in html
    assert "1,000,000 Toman" in html


def test_a_column_shows_its_first_deals_and_says_how_many_more(agent_a, customer_a, make_deal, stages, monkeypatch):
    monkeypatch.setattr(views, "BOARD_LIMIT", 2)
    for i in range(5):
        make_deal(customer=customer_a, title=f"deal {i}")
    html = client_for(agent_a, "en").get(reverse("sales:board")).content.decode()
    column = column_of(html, stages["introduction"].pk)
    assert len(card_ids(column)) == 2
    assert "3 more" in column


def test_the_board_chooses_between_pipelines(agent_a, customer_a, other_pipeline, pipeline):
    html = client_for(agent_a, "en").get(reverse("sales:board")).content.decode()
    assert 'id="board-pipeline"' in html
    other = client_for(agent_a, "en").get(reverse("sales:board"), {"pipeline": other_pipeline.pk}).content.decode()
    assert "Start" in other
    assert "Introduction" not in other


def test_the_board_columns_alone_for_the_boards_script(agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    response = client_for(agent_a).get(reverse("sales:board"), headers={"X-Board-Fragment": "columns"})
    html = response.content.decode()
    assert card_ids(html) == [deal.pk]
    assert "<html" not in html


def test_a_move_from_the_board_answers_json_and_moves_the_deal(agent_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    response = client_for(agent_a, "en").post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"version": deal.version, "stage_id": stages["approval"].pk},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert "Decision-maker approval" in response.json()["message"]
    deal.refresh_from_db()
    assert deal.stage == stages["approval"]
    assert deal.version == 2


def test_the_move_to_control_works_without_the_script(agent_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    response = client_for(agent_a).post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"version": deal.version, "stage_id": stages["negotiation"].pk, "next": reverse("sales:board")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:board")
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]


def test_a_move_never_redirects_off_the_site(agent_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    response = client_for(agent_a).post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"version": deal.version, "stage_id": stages["negotiation"].pk, "next": "https://example.com/"},
    )
    assert response["Location"] == reverse("sales:board")


def test_a_stale_move_answers_409_with_a_message_in_the_page_language(agent_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a, title="سرور")
    deal_update(deal=deal, by=agent_a, version=1, data={"amount": 5})  # someone else, meanwhile

    response = client_for(agent_a).post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"version": 1, "stage_id": stages["approval"].pk},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert "سرور" in response.json()["message"]
    assert response.json()["version"] == 2
    english = client_for(agent_a, "en").post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"version": 1, "stage_id": stages["approval"].pk},
        headers={"Accept": "application/json"},
    )
    assert "Someone else changed the deal" in english.json()["message"]
    deal.refresh_from_db()
    assert deal.stage == stages["introduction"]


def test_a_lost_move_needs_a_reason_and_may_name_the_competitor(agent_a, customer_a, make_deal, stages, competitor):
    deal = make_deal(customer=customer_a)
    client = client_for(agent_a, "en")
    url = reverse("sales:deal_move", args=[deal.pk])
    refused = client.post(url, {"version": 1, "stage_id": stages["lost"].pk}, headers={"Accept": "application/json"})
    assert refused.status_code == 422
    assert "Say why the deal was lost." in refused.json()["message"]

    lost = client.post(
        url,
        {"version": 1, "stage_id": stages["lost"].pk, "lost_reason": "price", "lost_to_id": competitor.pk},
        headers={"Accept": "application/json"},
    )
    assert lost.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.lost_to) == (stages["lost"], "price", competitor)


def test_the_board_offers_the_competitors_in_the_lost_dialog(agent_a, competitor):
    html = client_for(agent_a).get(reverse("sales:board")).content.decode()
    assert 'id="lost-dialog"' in html
    assert competitor.name in html


def test_an_agent_cannot_move_or_see_another_teams_deal(agent_a, customer_b, make_deal, stages):
    deal = make_deal(customer=customer_b)
    client = client_for(agent_a)
    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 404
    assert client.get(reverse("sales:deal_edit", args=[deal.pk])).status_code == 404
    moved = client.post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"version": 1, "stage_id": stages["won"].pk},
        headers={"Accept": "application/json"},
    )
    assert moved.status_code == 404
    assert client.post(reverse("sales:deal_move", args=[deal.pk]), {"version": 1}).status_code == 404
    deal.refresh_from_db()
    assert deal.stage == stages["introduction"]


def test_the_deal_list_filters_by_pipeline_stage_owner_and_status(
    agent_a, manager_a, customer_a, customer_b, make_deal, stages
):
    first = make_deal(customer=customer_a, stage="introduction")
    won = make_deal(customer=customer_a, stage="won", closed_at=timezone.now())
    managers = make_deal(customer=customer_a, owner=manager_a, stage="approval")
    theirs = make_deal(customer=customer_b)
    client = client_for(agent_a)
    url = reverse("sales:deals")

    def listed(**params) -> set[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        return {int(pk) for pk in re.findall(r'href="/sales/deals/(\d+)/"', response.content.decode())}

    assert listed() == {first.pk, won.pk, managers.pk}
    assert theirs.pk not in listed()
    assert listed(status="won") == {won.pk}
    assert listed(status="open") == {first.pk, managers.pk}
    assert listed(stage=stages["approval"].pk) == {managers.pk}
    assert listed(owner=manager_a.pk) == {managers.pk}
    assert listed(pipeline=stages["won"].pipeline_id, status="lost") == set()


def test_the_customer_page_lists_the_customers_deals_in_the_readers_scope(agent_a, agent_b, customer_a, make_deal):
    other = CustomerFactory(team=customer_a.team, owner=agent_a)
    open_deal = make_deal(customer=customer_a, title="ارتقای شبکه", amount=5_000_000)
    won = make_deal(customer=customer_a, title="پشتیبانی سالانه", stage="won", closed_at=timezone.now())
    elsewhere = make_deal(customer=other, title="معاملهٔ دیگر")
    page = client_for(agent_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    section = page[page.index('id="customer-deals"') :]
    section = section[: section.index("</section>")]
    assert set(re.findall(r'data-deal-id="(\d+)"', section)) == {str(open_deal.pk), str(won.pk)}
    assert str(elsewhere.pk) not in section
    # The list it links to shows that customer's deals only.
    listed = client_for(agent_a).get(reverse("sales:deals"), {"customer": customer_a.pk}).content.decode()
    assert {int(pk) for pk in re.findall(r'href="/sales/deals/(\d+)/"', listed)} == {open_deal.pk, won.pk}
    # Another team's agent does not get the page at all.
    assert client_for(agent_b).get(reverse("customers:detail", args=[customer_a.pk])).status_code == 404


def test_the_deal_list_is_paginated(agent_a, customer_a, make_deal, settings):
    settings.PEYVAND_PAGE_SIZE = 2
    deals = [make_deal(customer=customer_a) for _ in range(3)]
    client = client_for(agent_a, "en")
    first = client.get(reverse("sales:deals"))
    html = first.content.decode()
    assert f"/sales/deals/{deals[2].pk}/" in html
    assert f"/sales/deals/{deals[0].pk}/" not in html
    next_link = re.search(r'href="\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    second = client.get(reverse("sales:deals") + "?" + next_link).content.decode()
    assert f"/sales/deals/{deals[0].pk}/" in second
    expired = client.get(reverse("sales:deals"), {"cursor": "nonsense"})
    assert expired.status_code == 200


def test_the_deal_page_shows_its_fields_and_links_to_the_customer(agent_a, customer_a, make_deal, competitor):
    deal = make_deal(
        customer=customer_a,
        stage="lost",
        amount=30_000_000,
        closed_at=timezone.now(),
        lost_reason="قیمت بالا",
        lost_to=competitor,
    )
    html = client_for(agent_a).get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert deal.title in html
    assert "۳٬۰۰۰٬۰۰۰" in html
    assert "قیمت بالا" in html
    assert competitor.name in html
    assert f'href="{reverse("customers:detail", args=[customer_a.pk])}"' in html


def test_decision_makers_are_added_and_removed_on_the_deal_page(agent_a, team_a, make_deal):
    org = OrganizationFactory(team=team_a, owner=agent_a)
    person = CustomerFactory(team=team_a, owner=agent_a, organization=org)
    deal = make_deal(customer=org)
    client = client_for(agent_a, "en")
    page = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert person.display_name in page

    added = client.post(
        reverse("sales:deal_contact_add", args=[deal.pk]), {"contact_id": person.pk, "role": "decision_maker"}
    )
    assert added.status_code == 302
    assert DealContact.objects.get(deal=deal).contact == person
    assert "Decision maker" in client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()

    refused = client.post(reverse("sales:deal_contact_add", args=[deal.pk]), {"contact_id": person.pk, "role": "boss"})
    assert refused.status_code == 422

    removed = client.post(reverse("sales:deal_contact_remove", args=[deal.pk, person.pk]))
    assert removed.status_code == 302
    assert not DealContact.objects.filter(deal=deal).exists()
    again = client.post(reverse("sales:deal_contact_remove", args=[deal.pk, person.pk]))
    assert again.status_code == 404


def test_the_customer_page_offers_a_new_deal(agent_a, customer_a):
    html = client_for(agent_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert f"{reverse('sales:deal_create')}?customer={customer_a.pk}" in html


def test_a_deal_is_created_from_the_form_through_the_services(agent_a, customer_a, stages):
    client = client_for(agent_a)
    url = reverse("sales:deal_create") + f"?customer={customer_a.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "customer": customer_a.pk,
            "title": "۲۰ دستگاه سرور",
            "pipeline": stages["introduction"].pipeline_id,
            "stage": stages["negotiation"].pk,
            "amount": "۱٬۲۵۰٬۰۰۰",
            "expected_close_date": "1405/10/15",
            "owner_id": agent_a.pk,
            "team_id": agent_a.team_id,
            "next_step": "ارسال پیش‌فاکتور",
            "next_step_due_date": "1405/09/20",
            "next_step_due_time": "09:30",
        },
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    assert deal.amount == 12_500_000  # Tomans typed, Rials stored
    assert deal.stage == stages["negotiation"]
    assert deal.expected_close_date == dt.date(2027, 1, 5)
    assert timezone.localtime(deal.next_step_due_at).strftime("%H:%M") == "09:30"
    assert deal.customer.interactions.filter(subject__contains="۲۰ دستگاه سرور").exists()


def test_the_new_deal_form_shows_the_services_errors(agent_a, customer_a):
    client = client_for(agent_a, "en")
    response = client.post(
        reverse("sales:deal_create"), {"customer": customer_a.pk, "title": "x", "amount": "-5", "owner_id": ""}
    )
    assert response.status_code == 200
    assert "An amount cannot be negative." in response.content.decode() or "whole number" in response.content.decode()
    assert not Deal.objects.exists()


def test_no_deal_for_another_teams_customer(agent_a, customer_b):
    client = client_for(agent_a)
    assert client.get(reverse("sales:deal_create"), {"customer": customer_b.pk}).status_code == 404
    assert client.post(reverse("sales:deal_create"), {"customer": customer_b.pk, "title": "x"}).status_code == 404
    assert client.get(reverse("sales:deal_create")).status_code == 404


def test_the_edit_form_saves_through_the_services(agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a, amount=10)
    client = client_for(agent_a)
    form = client.get(reverse("sales:deal_edit", args=[deal.pk])).content.decode()
    assert 'name="version" value="1"' in form
    response = client.post(
        reverse("sales:deal_edit", args=[deal.pk]),
        {"version": 1, "title": "سرور جدید", "amount": "500", "owner_id": agent_a.pk, "team_id": agent_a.team_id},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.version) == ("سرور جدید", 5000, 2)


def test_a_stale_edit_shows_the_conflict_and_keeps_the_input(agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a, title="سرور")
    client = client_for(agent_a, "en")
    deal_update(deal=deal, by=agent_a, version=1, data={"title": "Their title"})  # someone else, meanwhile

    typed = {"version": 1, "title": "My title", "amount": "700", "owner_id": agent_a.pk, "team_id": agent_a.team_id}
    response = client.post(reverse("sales:deal_edit", args=[deal.pk]), typed)
    html = response.content.decode()

    assert response.status_code == 409
    assert "Someone else changed this deal while you were editing it" in html
    assert 'value="My title"' in html
    assert 'value="700"' in html
    assert "Their title" in html  # what is stored now, beside the kept input
    assert 'name="version" value="2"' in html
    deal.refresh_from_db()
    assert deal.title == "Their title"

    # Saving again is a deliberate write over the other change.
    typed["version"] = 2
    assert client.post(reverse("sales:deal_edit", args=[deal.pk]), typed).status_code == 302
    deal.refresh_from_db()
    assert deal.title == "My title"


def test_products_are_listed_and_searched_for_everyone(agent_a):
    Product.objects.create(name="سرور HP", sku="SRV-1", unit_price=10_000_000)
    Product.objects.create(name="پشتیبانی سالانه", sku="SUP-1", kind="service")
    client = client_for(agent_a)
    html = client.get(reverse("sales:products")).content.decode()
    assert "سرور HP" in html and "پشتیبانی سالانه" in html
    assert "۱٬۰۰۰٬۰۰۰" in html
    assert reverse("sales:product_create") not in html  # read-only for an agent
    found = client.get(reverse("sales:products"), {"q": "srv"}).content.decode()
    assert "سرور HP" in found and "پشتیبانی سالانه" not in found


def test_an_agent_cannot_add_or_change_products_and_is_told_why(agent_a):
    product = Product.objects.create(name="سرور", unit_price=10)
    client = client_for(agent_a, "en")
    for response in (
        client.get(reverse("sales:product_create")),
        client.post(reverse("sales:product_create"), {"name": "x", "kind": "product"}),
        client.post(reverse("sales:product_edit", args=[product.pk]), {"name": "y", "kind": "product"}),
    ):
        assert response.status_code == 403
        assert "Only a manager or an administrator" in response.content.decode()
    assert Product.objects.get().name == "سرور"
    assert Product.objects.count() == 1


def test_a_manager_adds_and_changes_products(manager_a):
    client = client_for(manager_a, "en")
    assert reverse("sales:product_create") in client.get(reverse("sales:products")).content.decode()
    created = client.post(
        reverse("sales:product_create"),
        {
            "name": "Server",
            "sku": "srv-۱",
            "kind": "product",
            "unit": "piece",
            "unit_price": "1,000",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    product = Product.objects.get()
    assert (product.sku, product.unit_price, product.is_active, product.vat_applies) == ("SRV-1", 10_000, True, False)

    duplicate = client.post(reverse("sales:product_create"), {"name": "Other", "sku": "SRV-1", "kind": "product"})
    assert duplicate.status_code == 200
    assert "Another product already has this SKU." in duplicate.content.decode()

    edited = client.post(
        reverse("sales:product_edit", args=[product.pk]),
        {"name": "Server G2", "sku": "SRV-1", "kind": "product", "unit_price": "2000", "vat_applies": "on"},
    )
    assert edited.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.unit_price, product.is_active, product.vat_applies) == (
        "Server G2",
        20_000,
        False,
        True,
    )
