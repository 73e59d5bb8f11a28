"""Order pages through the test client: list, new order with the line editor, detail with delivery, invoicing
and cancelling; another team's order is a 404, and the 360° page shows the customer's value and documents."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.core.money import RIALS_PER_UNIT, format_money
from peyvand.sales.models import Invoice, Order
from peyvand.sales.services.customer_value import ranking_recompute
from peyvand.sales.services.invoices import invoice_create, invoice_create_from_order
from peyvand.sales.services.orders import order_create

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def line_rows(*rows, prefix="lines"):
    """The line editor's formset fields for `rows` (dicts of row fields)."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


@pytest.fixture
def order(agent_a, customer_a):
    return order_create(
        by=agent_a, customer_id=customer_a.pk, lines=[{"description": "سرور", "quantity": 2, "unit_price": 1_000_000}]
    )


@pytest.mark.parametrize(
    "name,args",
    [
        ("sales:orders", []),
        ("sales:order_create", []),
        ("sales:order_detail", [1]),
        ("sales:invoices", []),
        ("sales:invoice_create", []),
        ("sales:invoice_detail", [1]),
        ("sales:customer_ranking", []),
    ],
)
def test_every_billing_page_needs_a_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_order_list_shows_visible_orders_only(agent_a, agent_b, order):
    html = client_for(agent_a).get(reverse("sales:orders")).content.decode()
    assert order.number in html
    assert order.number not in client_for(agent_b).get(reverse("sales:orders")).content.decode()


def test_the_order_list_in_persian_is_rtl_with_persian_digits(agent_a, order):
    response = client_for(agent_a, "fa").get(reverse("sales:orders"))
    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert format_money(order.total, lang="fa") in html


def test_placing_an_order_from_its_page(agent_a, customer_a):
    client = client_for(agent_a)
    page = client.get(reverse("sales:order_create") + f"?customer={customer_a.pk}")
    assert page.status_code == 200
    assert 'name="lines-TOTAL_FORMS"' in page.content.decode()
    assert "peyvand/line-editor.js" in page.content.decode()
    response = client.post(
        reverse("sales:order_create"),
        {
            "customer": customer_a.pk,
            "owner_id": agent_a.pk,
            "team_id": agent_a.team_id,
            "ordered_on": "",
            **line_rows(
                {"description": "نصب", "quantity": "۲", "unit_price": "500000", "vat_applies": "on"},
                {"description": "آموزش", "quantity": "1", "unit_price": "100000"},
                {"vat_applies": "on"},
            ),
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:order_detail", args=[order.pk])
    # Prices are typed in the site's money unit (Toman or Rial) and stored in Rials; the empty row is dropped.
    per_unit = RIALS_PER_UNIT[str(django_settings.PEYVAND_MONEY_UNIT)]
    assert order.net_total == (2 * 500_000 + 100_000) * per_unit
    assert order.vat_total == 2 * 500_000 * per_unit // 10
    assert order.lines.count() == 2


def test_a_future_order_date_is_shown_on_its_field(agent_a, customer_a):
    response = client_for(agent_a).post(
        reverse("sales:order_create"),
        {
            "customer": customer_a.pk,
            "ordered_on": "2999-01-01",
            **line_rows({"description": "نصب", "quantity": "1", "unit_price": "5"}),
        },
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "ordered_on" in form.errors
    assert not Order.objects.exists()


def test_a_bad_line_is_shown_on_its_row_and_nothing_is_saved(agent_a, customer_a):
    response = client_for(agent_a).post(
        reverse("sales:order_create"),
        {"customer": customer_a.pk, **line_rows({"description": "نصب", "quantity": "-1", "unit_price": "5"})},
    )
    assert response.status_code == 422
    assert "The quantity must be more than zero." in response.content.decode()
    assert not Order.objects.exists()


def test_an_order_for_an_unseen_customer_is_a_404(agent_b, customer_a):
    assert client_for(agent_b).get(reverse("sales:order_create") + f"?customer={customer_a.pk}").status_code == 404


def test_another_teams_order_is_a_404(agent_b, order):
    client = client_for(agent_b)
    assert client.get(reverse("sales:order_detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("sales:order_cancel", args=[order.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("sales:order_fulfil", args=[order.pk])).status_code == 404
    assert client.post(reverse("sales:order_invoice", args=[order.pk])).status_code == 404
    assert Order.objects.get(pk=order.pk).status == "confirmed"


def test_deliver_invoice_and_cancel_from_the_order_page(agent_a, order):
    client = client_for(agent_a)
    detail = client.get(reverse("sales:order_detail", args=[order.pk]))
    assert detail.status_code == 200
    assert order.number in detail.content.decode()
    client.post(reverse("sales:order_fulfil", args=[order.pk]))
    assert Order.objects.get(pk=order.pk).status == "fulfilled"
    response = client.post(reverse("sales:order_invoice", args=[order.pk]), {"issue_date": "", "due_date": ""})
    invoice = Invoice.objects.get(order=order)
    assert response["Location"] == reverse("sales:invoice_detail", args=[invoice.pk])
    # Cancelling without a reason is sent back with the error next to the field.
    refused = client.post(reverse("sales:order_cancel", args=[order.pk]), {"reason": ""})
    assert refused.status_code == 422
    assert "Say why the order is cancelled." in refused.content.decode()
    client.post(reverse("sales:order_cancel", args=[order.pk]), {"reason": "انصراف"})
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_the_360_page_shows_value_and_documents_with_overdue_in_red(agent_a, customer_a, order):
    invoice_create_from_order(order=order, by=agent_a)
    today = timezone.localdate()
    late = invoice_create(
        by=agent_a,
        data={
            "customer_id": customer_a.pk,
            "lines": [{"description": "x", "unit_price": 100}],
            "issue_date": today - dt.timedelta(days=60),
            "due_date": today - dt.timedelta(days=30),
        },
    )
    ranking_recompute()
    html = client_for(agent_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'id="customer-value"' in html
    assert f'data-value="revenue">{format_money(2_000_000, lang="en")}' in html
    assert "Rank 1" in html
    assert 'id="customer-documents"' in html
    assert order.number in html
    assert late.number in html
    assert html.count('data-overdue="1"') == 1


def test_a_customer_without_purchases_says_so(agent_a, customer_a):
    html = client_for(agent_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert "No purchases yet." in html
    assert "No orders or invoices yet." in html


def test_the_admin_shows_orders_invoices_payments_and_values_read_only(admin, agent_a, order):
    invoice = invoice_create_from_order(order=order, by=agent_a)
    ranking_recompute()
    client = Client()
    client.force_login(admin)
    for url in (
        "/admin/sales/order/",
        f"/admin/sales/order/{order.pk}/change/",
        "/admin/sales/invoice/",
        f"/admin/sales/invoice/{invoice.pk}/change/",
        "/admin/sales/payment/",
        "/admin/sales/customervalue/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/sales/order/add/").status_code == 403
