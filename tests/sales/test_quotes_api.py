"""The quotes API as a client uses it: draft a quote from the catalogue, change the draft with the version read,
revise it, reject or accept it (an accepted quote becomes an order), read the PDF; bad lines are refused per
field and nothing is half-written; another team's quote does not exist for you."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from factories import CustomerFactory
from peyvand.customers.models import Interaction
from peyvand.sales.models import Order, Product, Quote, QuoteLine, QuoteStatus

pytestmark = pytest.mark.django_db


def in_fa(message, **values):
    """A timeline subject as the service writes it: in the site's language (Persian) for a request without one."""
    with translation.override("fa"):
        return translation.gettext(message) % values


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


@pytest.fixture
def server(db):
    return Product.objects.create(
        name="سرور HP DL380", sku="SRV-1", unit="دستگاه", unit_price=1_250_000_000, unit_cost=900_000_000
    )


@pytest.fixture
def support(db):
    # A service without VAT (e.g. an exempt training course).
    return Product.objects.create(name="آموزش", kind="service", unit="ساعت", unit_price=3_000_000, vat_applies=False)


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def patch(client, url, data, **extra):
    return client.patch(url, data, content_type="application/json", **extra)


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error["fields"]


def quote_events(quote_id):
    quote_type = ContentType.objects.get_for_model(Quote)
    return list(Interaction.objects.filter(related_type=quote_type, related_id=str(quote_id)).order_by("id"))


def make_quote(client, customer, lines, **fields):
    response = post(client, "/api/v1/quotes", {"customer_id": customer.pk, "lines": lines, **fields})
    assert response.status_code == 201, response.content
    return response.json()


# --- create and read --------------------------------------------------------------------------------------


def test_agent_drafts_a_quote_priced_from_the_catalogue(client_a, agent_a, team_a, customer_a, server, support):
    body = make_quote(
        client_a,
        customer_a,
        [
            {"product_id": server.pk, "quantity": 2, "discount_percent": "5"},
            {"product_id": support.pk, "quantity": "1.5"},
            {"description": "نصب و راه‌اندازی", "quantity": 1, "unit_price": 50_000_000},
        ],
        title="پیشنهاد سرور",
        valid_until="1405/10/15",
        notes="بر اساس نیازسنجی فنی",
        terms="پرداخت ۵۰٪ پیش از تحویل",
    )
    assert body["status"] == "draft"
    assert body["revision"] == 1
    assert body["number"].startswith("Q-")
    assert body["display_number"] == body["number"]
    assert body["owner_id"] == agent_a.pk and body["team_id"] == team_a.pk
    assert body["valid_until"] == dt.date(2027, 1, 5).isoformat()
    assert body["version"] == 1
    first, second, third = body["lines"]
    # 2 × 1,250,000,000 = 2,500,000,000; 5 % off = 125,000,000; VAT 10 % of the rest.
    assert (first["description"], first["unit"], first["unit_price"]) == ("سرور HP DL380", "دستگاه", 1_250_000_000)
    assert (first["gross_amount"], first["discount_amount"], first["net_amount"]) == (
        2_500_000_000,
        125_000_000,
        2_375_000_000,
    )
    assert first["vat_amount"] == 237_500_000
    assert (second["net_amount"], second["vat_amount"], second["vat_applies"]) == (4_500_000, 0, False)
    assert Decimal(second["quantity"]) == Decimal("1.5")
    assert (third["net_amount"], third["vat_amount"]) == (50_000_000, 5_000_000)
    assert body["gross_total"] == 2_500_000_000 + 4_500_000 + 50_000_000
    assert body["discount_total"] == 125_000_000
    assert body["net_total"] == 2_375_000_000 + 4_500_000 + 50_000_000
    assert body["vat_total"] == 237_500_000 + 5_000_000
    assert body["total"] == body["net_total"] + body["vat_total"]
    assert body["vat_rate_bp"] == 1000
    stored = Quote.objects.get(pk=body["id"])
    assert stored.cost_total == 1_800_000_000  # 2 × the server's cost; the others cost nothing
    assert [event.subject for event in quote_events(stored.pk)] == [
        in_fa("Quote created: %(number)s %(title)s", number=stored.number, title="پیشنهاد سرور")
    ]


def test_numbers_follow_each_other_and_persian_words_are_given(client_a, customer_a, server):
    one = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    two = make_quote(client_a, customer_a, [{"description": "x", "unit_price": 1_250_000, "vat_applies": False}])
    assert int(two["number"].rsplit("-", 1)[1]) == int(one["number"].rsplit("-", 1)[1]) + 1
    assert two["total"] == 1_250_000
    assert two["total_in_words"] == "یک میلیون و دویست و پنجاه هزار"
    english = client_a.get(f"/api/v1/quotes/{two['id']}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["total_in_words"] == "one million two hundred fifty thousand"


def test_list_filters_by_customer_status_and_latest(client_a, agent_a, team_a, server):
    first_customer = CustomerFactory(team=team_a, owner=agent_a)
    second_customer = CustomerFactory(team=team_a, owner=agent_a)
    a = make_quote(client_a, first_customer, [{"product_id": server.pk}])
    b = make_quote(client_a, second_customer, [{"product_id": server.pk}])
    revised = post(client_a, f"/api/v1/quotes/{a['id']}/revise").json()

    ids = [q["id"] for q in client_a.get(f"/api/v1/quotes?customer_id={first_customer.pk}").json()["items"]]
    assert ids == [revised["id"], a["id"]]
    latest = [q["id"] for q in client_a.get("/api/v1/quotes?latest=true").json()["items"]]
    assert latest == [revised["id"], b["id"]]
    superseded = [q["id"] for q in client_a.get("/api/v1/quotes?status=superseded").json()["items"]]
    assert superseded == [a["id"]]
    page = client_a.get("/api/v1/quotes?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client_a.get(f"/api/v1/quotes?limit=2&cursor={page['next_cursor']}").json()
    assert [q["id"] for q in rest["items"]] == [a["id"]]


def test_a_lapsed_quote_is_listed_as_expired(client_a, customer_a, server):
    quote = make_quote(
        client_a, customer_a, [{"product_id": server.pk}], issue_date="2024-01-01", valid_until="2024-01-31"
    )
    assert quote["is_expired"] is True
    assert [q["id"] for q in client_a.get("/api/v1/quotes?status=expired").json()["items"]] == [quote["id"]]
    assert client_a.get("/api/v1/quotes?status=draft").json()["items"] == []


# --- permissions ------------------------------------------------------------------------------------------


def test_another_teams_agent_sees_no_quote(api_client, client_a, agent_b, customer_a, server):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    other = api_client(agent_b)
    assert other.get(f"/api/v1/quotes/{quote['id']}").status_code == 404
    assert other.get(f"/api/v1/quotes/{quote['id']}/pdf").status_code == 404
    assert post(other, f"/api/v1/quotes/{quote['id']}/accept").status_code == 404
    assert post(other, f"/api/v1/quotes/{quote['id']}/revise").status_code == 404
    assert post(other, f"/api/v1/quotes/{quote['id']}/reject", {"reason": "x"}).status_code == 404
    assert post(other, f"/api/v1/quotes/{quote['id']}/send", {"to": "a@example.com"}).status_code == 404
    assert patch(other, f"/api/v1/quotes/{quote['id']}", {"version": 1, "title": "x"}).status_code == 404
    assert other.get("/api/v1/quotes").json()["items"] == []
    assert Quote.objects.get(pk=quote["id"]).status == QuoteStatus.DRAFT


def test_a_quote_for_another_teams_customer_is_refused_like_a_missing_one(api_client, agent_b, customer_a, server):
    fields = error_fields(
        post(
            api_client(agent_b), "/api/v1/quotes", {"customer_id": customer_a.pk, "lines": [{"product_id": server.pk}]}
        )
    )
    assert "customer_id" in fields
    assert not Quote.objects.exists()


def test_a_manager_sees_the_quotes_of_the_team(api_client, client_a, manager_a, customer_a, server):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    assert api_client(manager_a).get(f"/api/v1/quotes/{quote['id']}").status_code == 200


def test_anonymous_callers_are_refused(api_client):
    assert api_client(None).get("/api/v1/quotes").status_code == 401


# --- bad input --------------------------------------------------------------------------------------------


def test_bad_lines_are_named_by_index_and_field_and_nothing_is_written(client_a, customer_a, server):
    response = post(
        client_a,
        "/api/v1/quotes",
        {
            "customer_id": customer_a.pk,
            "lines": [
                {"product_id": server.pk, "quantity": -1},
                {"product_id": server.pk, "discount_percent": 150},
                {"product_id": 999_999},
                {"description": "بدون قیمت"},
                {"product_id": server.pk, "unit_price": -5},
            ],
        },
    )
    fields = error_fields(response)
    expected = {
        "lines.0.quantity",
        "lines.1.discount_percent",
        "lines.2.product_id",
        "lines.3.unit_price",
        "lines.4.unit_price",
    }
    assert expected <= set(fields)
    # An unknown product also leaves its line without a description and a price; nothing else is wrong.
    assert set(fields) - expected <= {"lines.2.description", "lines.2.unit_price"}
    assert not Quote.objects.exists() and not QuoteLine.objects.exists()
    assert not Interaction.objects.exists()


def test_a_quote_needs_lines_and_a_validity_after_its_date(client_a, customer_a, server):
    assert "lines" in error_fields(post(client_a, "/api/v1/quotes", {"customer_id": customer_a.pk, "lines": []}))
    fields = error_fields(
        post(
            client_a,
            "/api/v1/quotes",
            {
                "customer_id": customer_a.pk,
                "lines": [{"product_id": server.pk}],
                "issue_date": "1405/10/15",
                "valid_until": "1405/10/01",
            },
        )
    )
    assert set(fields) == {"valid_until"}


def test_unknown_fields_and_a_deal_of_another_customer_are_refused(
    client_a, agent_a, team_a, customer_a, server, make_deal
):
    fields = error_fields(
        post(
            client_a,
            "/api/v1/quotes",
            {"customer_id": customer_a.pk, "lines": [{"product_id": server.pk, "colour": "red"}]},
        )
    )
    assert "lines.0.colour" in fields
    other = CustomerFactory(team=team_a, owner=agent_a)
    deal = make_deal(customer=other)
    fields = error_fields(
        post(
            client_a,
            "/api/v1/quotes",
            {"customer_id": customer_a.pk, "deal_id": deal.pk, "lines": [{"product_id": server.pk}]},
        )
    )
    assert set(fields) == {"deal_id"}


# --- changing a draft -------------------------------------------------------------------------------------


def test_a_draft_is_changed_with_the_version_read_and_its_lines_replaced(client_a, customer_a, server, support):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}, {"product_id": support.pk}])
    response = patch(
        client_a,
        f"/api/v1/quotes/{quote['id']}",
        {"version": 1, "title": "نسخه تازه", "lines": [{"product_id": support.pk, "quantity": 2}]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["title"] == "نسخه تازه"
    assert [line["description"] for line in body["lines"]] == ["آموزش"]
    assert body["total"] == 6_000_000
    assert QuoteLine.objects.filter(quote_id=quote["id"]).count() == 1

    stale = patch(client_a, f"/api/v1/quotes/{quote['id']}", {"version": 1, "title": "دیر"})
    fields = error_fields(stale, status=409, code="conflict")
    assert "version" in fields
    assert Quote.objects.get(pk=quote["id"]).title == "نسخه تازه"


def test_bad_lines_in_a_change_keep_the_old_ones(client_a, customer_a, server):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    fields = error_fields(
        patch(
            client_a,
            f"/api/v1/quotes/{quote['id']}",
            {"version": 1, "lines": [{"product_id": server.pk, "quantity": 0}]},
        )
    )
    assert set(fields) == {"lines.0.quantity"}
    stored = Quote.objects.get(pk=quote["id"])
    assert stored.version == 1 and stored.lines.count() == 1 and stored.total == quote["total"]


def test_a_sent_quote_is_not_changed_but_revised(client_a, customer_a, server):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    Quote.objects.filter(pk=quote["id"]).update(status=QuoteStatus.SENT)
    assert "status" in error_fields(patch(client_a, f"/api/v1/quotes/{quote['id']}", {"version": 1, "title": "x"}))


# --- revisions --------------------------------------------------------------------------------------------


def test_revising_makes_the_next_revision_and_supersedes_the_old(client_a, customer_a, server, support):
    quote = make_quote(
        client_a,
        customer_a,
        [{"product_id": server.pk}],
        title="اول",
        issue_date="2026-11-01",
        valid_until="2026-11-15",
    )
    response = post(
        client_a,
        f"/api/v1/quotes/{quote['id']}/revise",
        {"lines": [{"product_id": server.pk, "discount_percent": "10"}]},
    )
    assert response.status_code == 201, response.content
    new = response.json()
    assert new["number"] == quote["number"] and new["revision"] == 2
    assert new["display_number"] == f"{quote['number']}/2"
    assert new["previous_id"] == quote["id"] and new["status"] == "draft" and new["title"] == "اول"
    assert new["discount_total"] == 125_000_000
    # Valid for as long as the revision it replaces: two weeks from today.
    assert new["valid_until"] == (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    old = client_a.get(f"/api/v1/quotes/{quote['id']}").json()
    assert old["status"] == "superseded" and old["next_id"] == new["id"]
    assert old["total"] == quote["total"]  # what was offered stays on record
    subjects = [event.subject for event in quote_events(new["id"])]
    assert subjects == [in_fa("Quote revised: %(number)s, revision %(revision)s", number=quote["number"], revision=2)]

    # Only the latest revision moves on.
    assert "status" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/revise"))
    assert "status" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/accept"))
    assert "status" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/send", {"to": "a@example.com"}))

    third = post(client_a, f"/api/v1/quotes/{new['id']}/revise", {"title": "سوم"}).json()
    assert third["revision"] == 3 and third["title"] == "سوم"
    assert [line["discount_percent"] for line in third["lines"]] == [new["lines"][0]["discount_percent"]]
    assert third["total"] == new["total"]


# --- decisions --------------------------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_writes_it_to_the_timeline(client_a, customer_a, server):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    assert "reason" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/reject", {"reason": "  "}))
    response = post(client_a, f"/api/v1/quotes/{quote['id']}/reject", {"reason": "قیمت رقیب کمتر بود"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rejected" and body["decided_at"]
    assert body["rejected_reason"] == "قیمت رقیب کمتر بود"
    event = quote_events(quote["id"])[-1]
    assert (
        event.subject == in_fa("Quote rejected: %(number)s", number=quote["number"])
        and "قیمت رقیب کمتر بود" in event.body
    )
    assert "status" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/accept"))
    # A rejected proposal can still be revised into a better one.
    assert post(client_a, f"/api/v1/quotes/{quote['id']}/revise").status_code == 201


def test_an_expired_quote_cannot_be_accepted(client_a, customer_a, server):
    quote = make_quote(
        client_a, customer_a, [{"product_id": server.pk}], issue_date="2024-01-01", valid_until="2024-01-31"
    )
    assert "status" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/accept"))
    assert Quote.objects.get(pk=quote["id"]).status == QuoteStatus.DRAFT
    assert not Order.objects.exists()


def test_accepting_a_quote_places_the_order_with_its_lines(client_a, customer_a, server, support, make_deal):
    deal = make_deal(customer=customer_a)
    quote = make_quote(
        client_a,
        customer_a,
        [{"product_id": server.pk, "quantity": 3, "discount_percent": "2.5"}, {"product_id": support.pk}],
        deal_id=deal.pk,
    )
    response = post(client_a, f"/api/v1/quotes/{quote['id']}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "accepted" and body["decided_at"]
    order = Order.objects.get(pk=body["order_id"])
    assert order.quote_id == quote["id"] and order.customer_id == customer_a.pk and order.deal_id == deal.pk
    assert (order.net_total, order.vat_total, order.total) == (quote["net_total"], quote["vat_total"], quote["total"])
    assert [(line.description, line.net_amount) for line in order.lines.all()] == [
        (line["description"], line["net_amount"]) for line in quote["lines"]
    ]
    assert in_fa("Quote accepted: %(number)s", number=quote["number"]) in [
        event.subject for event in quote_events(quote["id"])
    ]
    # Accepting twice is refused, and makes no second order.
    assert "status" in error_fields(post(client_a, f"/api/v1/quotes/{quote['id']}/accept"))
    assert Order.objects.count() == 1


# --- the PDF ----------------------------------------------------------------------------------------------


def test_the_pdf_is_served_as_a_pdf(client_a, customer_a, server):
    quote = make_quote(client_a, customer_a, [{"product_id": server.pk}])
    response = client_a.get(f"/api/v1/quotes/{quote['id']}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f"{quote['number']}.pdf" in response["Content-Disposition"]
