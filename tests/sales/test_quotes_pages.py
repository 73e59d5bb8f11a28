"""The quote pages through the test client: the line editor's rows in and out, per-row errors, editing a draft,
revising, sending, accepting and rejecting, the PDF download, the 360° section; another team's quote is a 404."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from factories import CustomerFactory
from peyvand.customers.models import CustomerEmail
from peyvand.sales.line_forms import LineEditor
from peyvand.sales.models import Order, Product, Quote, QuoteStatus
from peyvand.sales.services.quotes import quote_create

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def product(db):
    return Product.objects.create(name="Router", unit="pc", unit_price=2_000_000)


@pytest.fixture
def quote(agent_a, customer_a, product):
    return quote_create(by=agent_a, data={"customer_id": customer_a.pk, "lines": [{"product_id": product.pk}]})


def rows(*lines: dict[str, str], initial: int = 0) -> dict[str, str]:
    """The line editor's POSTed fields for these rows."""
    data = {"lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": str(initial)}
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


# --- the shared line editor -------------------------------------------------------------------------------


def test_the_editor_turns_rows_into_lines_and_skips_blank_rows(settings, product):
    settings.PEYVAND_MONEY_UNIT = "toman"
    editor = LineEditor(
        rows(
            {"product": str(product.pk), "quantity": "۲", "vat_applies": "on"},
            {"description": "", "quantity": "1"},  # a spare row nobody filled
            {"description": "Installation", "quantity": "1.5", "unit_price": "12,500", "discount_percent": "10"},
        )
    )
    assert editor.is_valid()
    assert editor.lines() == [
        {"product_id": product.pk, "quantity": "۲", "vat_applies": True},
        # Typed in Tomans, taken in Rials.
        {
            "description": "Installation",
            "quantity": "1.5",
            "unit_price": 125_000,
            "discount_percent": "10",
            "vat_applies": False,
        },
    ]


def test_the_editor_puts_service_errors_back_on_the_row_they_came_from(agent_a, customer_a, product):
    from django.core.exceptions import ValidationError

    editor = LineEditor(rows({"description": ""}, {"product": str(product.pk), "quantity": "-1"}))
    assert editor.is_valid()
    lines = editor.lines()
    with pytest.raises(ValidationError) as error:
        quote_create(by=agent_a, data={"customer_id": customer_a.pk, "title": "x" * 300, "lines": lines})
    rest = editor.add_service_errors(error.value)
    # lines.0 of the services is the second row on the page (the first was blank and skipped).
    assert editor.formset.forms[1].errors["quantity"]
    assert not editor.formset.forms[0].errors
    assert rest is not None and set(rest.message_dict) == {"title"}


def test_the_editor_shows_a_stored_documents_lines(settings, quote):
    settings.PEYVAND_MONEY_UNIT = "toman"
    from peyvand.sales.line_forms import line_initial

    editor = LineEditor(initial=line_initial(quote.lines.all()))
    form = editor.formset.forms[0]
    assert form.initial["unit_price"] == "200,000" and form.initial["quantity"] == "1"


# --- creating ---------------------------------------------------------------------------------------------


def test_a_quote_is_made_from_the_customers_page(settings, agent_a, customer_a, product):
    settings.PEYVAND_MONEY_UNIT = "toman"
    client = client_for(agent_a)
    page = client.get(reverse("sales:quote_create") + f"?customer={customer_a.pk}")
    assert page.status_code == 200
    assert b"data-line-editor" in page.content and b"line-editor.js" in page.content
    data = {
        "customer": str(customer_a.pk),
        "title": "Network upgrade",
        "issue_date": "2026-11-20",
        "valid_until": "2026-12-20",
        "owner_id": str(agent_a.pk),
        "team_id": str(agent_a.team_id),
        "notes": "Fits the current racks",
        **rows(
            {"product": str(product.pk), "quantity": "2", "vat_applies": "on"},
            {"description": "Setup", "quantity": "1", "unit_price": "50,000"},
        ),
    }
    response = client.post(reverse("sales:quote_create"), data)
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    assert quote.title == "Network upgrade" and quote.notes == "Fits the current racks"
    assert [(line.description, line.net_amount, line.vat_amount) for line in quote.lines.all()] == [
        ("Router", 4_000_000, 400_000),
        ("Setup", 500_000, 0),
    ]
    assert quote.total == 4_900_000


def test_bad_rows_come_back_with_their_errors_and_what_was_typed(agent_a, customer_a, product):
    client = client_for(agent_a)
    data = {
        "customer": str(customer_a.pk),
        **rows(
            {"product": str(product.pk), "quantity": "-3", "vat_applies": "on"},
            {"description": "Consulting", "quantity": "1", "unit_price": "100", "discount_percent": "150"},
        ),
    }
    response = client.post(reverse("sales:quote_create"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The quantity must be more than zero." in html
    assert "A discount is between 0 and 100 percent." in html
    assert 'value="Consulting"' in html and 'value="-3"' in html
    assert not Quote.objects.exists()


def test_a_quote_for_another_teams_customer_cannot_be_started(agent_b, customer_a):
    response = client_for(agent_b).get(reverse("sales:quote_create") + f"?customer={customer_a.pk}")
    assert response.status_code == 404


# --- reading ----------------------------------------------------------------------------------------------


def test_the_quote_page_shows_lines_totals_and_actions(agent_a, quote):
    response = client_for(agent_a).get(reverse("sales:quote_detail", args=[quote.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert quote.number in html and "Router" in html
    for name in ("quote_pdf", "quote_edit", "quote_send", "quote_revise", "quote_accept", "quote_reject"):
        assert reverse(f"sales:{name}", args=[quote.pk]) in html
    assert "two million two hundred thousand" in html


def test_the_persian_page_has_persian_digits(agent_a, quote):
    html = client_for(agent_a, "fa").get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert "۲۲۰٬۰۰۰" in html or "۲٬۲۰۰٬۰۰۰" in html


def test_another_teams_agent_gets_404_everywhere(agent_b, quote):
    client = client_for(agent_b)
    for name in ("quote_detail", "quote_edit", "quote_revise", "quote_pdf", "quote_send"):
        assert client.get(reverse(f"sales:{name}", args=[quote.pk])).status_code == 404, name
    for name in ("quote_accept", "quote_reject"):
        assert client.post(reverse(f"sales:{name}", args=[quote.pk]), {"reason": "x"}).status_code == 404, name
    assert quote.number not in client.get(reverse("sales:quotes")).content.decode()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_the_list_shows_the_latest_revisions_and_filters(agent_a, team_a, quote, product):
    other_customer = CustomerFactory(team=team_a, owner=agent_a)
    other = quote_create(
        by=agent_a, data={"customer_id": other_customer.pk, "title": "Other", "lines": [{"product_id": product.pk}]}
    )
    client = client_for(agent_a)
    html = client.get(reverse("sales:quotes")).content.decode()
    assert quote.number in html and other.number in html
    html = client.get(reverse("sales:quotes") + f"?customer={other_customer.pk}").content.decode()
    assert other.number in html and quote.number not in html
    html = client.get(reverse("sales:quotes") + "?status=accepted").content.decode()
    assert quote.number not in html


def test_the_pdf_downloads(agent_a, quote):
    response = client_for(agent_a).get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{quote.number}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_customer_page_lists_their_quotes(agent_a, customer_a, quote):
    html = client_for(agent_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'id="customer-quotes"' in html
    assert reverse("sales:quote_detail", args=[quote.pk]) in html
    assert reverse("sales:quote_create") + f"?customer={customer_a.pk}" in html


# --- changing ---------------------------------------------------------------------------------------------


def test_a_draft_is_edited_and_its_lines_replaced(agent_a, quote, product):
    client = client_for(agent_a)
    page = client.get(reverse("sales:quote_edit", args=[quote.pk]))
    assert page.status_code == 200 and 'name="lines-0-product"' in page.content.decode()
    data = {
        "version": str(quote.version),
        "title": "Edited",
        "owner_id": str(agent_a.pk),
        "team_id": str(agent_a.team_id),
        **rows({"product": str(product.pk), "quantity": "3", "vat_applies": "on"}, initial=1),
    }
    response = client.post(reverse("sales:quote_edit", args=[quote.pk]), data)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.title == "Edited" and quote.version == 2 and quote.net_total == 6_000_000

    stale = client.post(reverse("sales:quote_edit", args=[quote.pk]), {**data, "version": "1", "title": "Late"})
    assert stale.status_code == 409
    quote.refresh_from_db()
    assert quote.title == "Edited"


def test_revising_from_the_page_makes_revision_two(agent_a, quote, product):
    client = client_for(agent_a)
    assert client.get(reverse("sales:quote_revise", args=[quote.pk])).status_code == 200
    data = {
        "title": "Cheaper",
        "owner_id": str(agent_a.pk),
        "team_id": str(agent_a.team_id),
        **rows({"product": str(product.pk), "quantity": "1", "discount_percent": "10", "vat_applies": "on"}),
    }
    response = client.post(reverse("sales:quote_revise", args=[quote.pk]), data)
    new = Quote.objects.get(previous=quote)
    assert response.status_code == 302 and response["Location"] == reverse("sales:quote_detail", args=[new.pk])
    assert new.revision == 2 and new.discount_total == 200_000
    html = client.get(reverse("sales:quote_detail", args=[new.pk])).content.decode()
    assert reverse("sales:quote_detail", args=[quote.pk]) in html  # the history links back
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUPERSEDED


def test_sending_from_the_page_offers_the_customers_address(settings, agent_a, customer_a, quote):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    CustomerEmail.objects.create(customer=customer_a, email="buyer@example.com", is_primary=True)
    client = client_for(agent_a)
    page = client.get(reverse("sales:quote_send", args=[quote.pk])).content.decode()
    assert 'value="buyer@example.com"' in page
    response = client.post(
        reverse("sales:quote_send", args=[quote.pk]),
        {"to": "buyer@example.com", "subject": "Our quote", "message": "Hello", "lang": "en"},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Our quote"
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_rejecting_without_a_reason_is_refused_on_the_page(agent_a, quote):
    response = client_for(agent_a).post(reverse("sales:quote_reject", args=[quote.pk]), {"reason": ""})
    assert response.status_code == 422
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_accepting_from_the_page_places_the_order(agent_a, quote):
    response = client_for(agent_a).post(reverse("sales:quote_accept", args=[quote.pk]))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    order = Order.objects.get(quote=quote)
    html = client_for(agent_a).get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert reverse("sales:order_detail", args=[order.pk]) in html
