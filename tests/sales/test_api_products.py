"""The product catalogue through the API: every member of staff reads it, managers and administrators keep it;
prices are whole, non-negative Rials and a SKU, when given, is one product's only."""

import pytest

from peyvand.sales.models import Product

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]["fields"]


SERVER = {
    "name": "سرور رک‌مونت",
    "sku": " srv-r740 ",
    "kind": "product",
    "unit": "عدد",
    "unit_price": 4_500_000_000,
    "unit_cost": 3_900_000_000,
    "vat_applies": True,
    "description": "۲ پردازنده، ۱۲۸ گیگ حافظه",
}


def test_a_manager_adds_a_product_and_any_staff_member_reads_it(api_client, manager_a, agent_b):
    response = post(api_client(manager_a), "/api/v1/products", SERVER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sku"] == "SRV-R740"
    assert (body["unit_price"], body["unit_cost"], body["currency"]) == (4_500_000_000, 3_900_000_000, "IRR")
    assert body["is_active"] is True
    reader = api_client(agent_b)
    assert reader.get(f"/api/v1/products/{body['id']}").json() == body
    assert [item["id"] for item in reader.get("/api/v1/products").json()["items"]] == [body["id"]]


def test_a_service_with_the_defaults(api_client, admin):
    body = post(api_client(admin), "/api/v1/products", {"name": "ساعت مشاوره", "kind": "service"}).json()
    assert (body["kind"], body["sku"], body["unit_price"], body["vat_applies"]) == ("service", "", 0, True)


def test_an_agent_cannot_add_or_change_a_product(api_client, agent_a, manager_a):
    client = api_client(agent_a)
    assert error_fields(post(client, "/api/v1/products", SERVER), 403, "forbidden") == {}
    assert not Product.objects.exists()
    product = post(api_client(manager_a), "/api/v1/products", SERVER).json()
    error_fields(patch(client, f"/api/v1/products/{product['id']}", {"unit_price": 1}), 403, "forbidden")
    assert Product.objects.get().unit_price == SERVER["unit_price"]


def test_a_negative_price_or_cost_is_refused_naming_each_field(api_client, manager_a):
    client = api_client(manager_a)
    response = post(client, "/api/v1/products", {**SERVER, "unit_price": -1, "unit_cost": -10})
    assert set(error_fields(response)) == {"unit_price", "unit_cost"}
    assert not Product.objects.exists()
    product = post(client, "/api/v1/products", SERVER).json()
    assert set(error_fields(patch(client, f"/api/v1/products/{product['id']}", {"unit_price": -5}))) == {"unit_price"}
    assert set(error_fields(post(client, "/api/v1/products", {**SERVER, "unit_price": 99.5}))) == {"unit_price"}


def test_a_sku_is_unique_when_given_whatever_its_case(api_client, manager_a):
    client = api_client(manager_a)
    assert post(client, "/api/v1/products", SERVER).status_code == 201
    assert set(error_fields(post(client, "/api/v1/products", {**SERVER, "sku": "SRV-r740"}))) == {"sku"}
    # Products without a code are many.
    for name in ("نصب", "آموزش"):
        assert post(client, "/api/v1/products", {"name": name, "kind": "service"}).status_code == 201
    other = post(client, "/api/v1/products", {"name": "سوئیچ", "sku": "SW-1"}).json()
    assert set(error_fields(patch(client, f"/api/v1/products/{other['id']}", {"sku": "srv-r740"}))) == {"sku"}
    # Its own SKU again is no clash.
    assert patch(client, f"/api/v1/products/{other['id']}", {"sku": "sw-1"}).status_code == 200


def test_patch_changes_only_the_fields_sent(api_client, manager_a):
    client = api_client(manager_a)
    product = post(client, "/api/v1/products", SERVER).json()
    body = patch(client, f"/api/v1/products/{product['id']}", {"unit_price": 4_800_000_000, "is_active": False}).json()
    assert (body["unit_price"], body["is_active"]) == (4_800_000_000, False)
    assert (body["name"], body["unit_cost"], body["sku"]) == (SERVER["name"], SERVER["unit_cost"], "SRV-R740")


def test_a_name_is_required(api_client, manager_a):
    client = api_client(manager_a)
    assert set(error_fields(post(client, "/api/v1/products", {"kind": "service"}))) == {"name"}
    assert set(error_fields(post(client, "/api/v1/products", {"name": "  "}))) == {"name"}


def test_the_list_filters_by_text_kind_and_whether_it_is_sold_and_pages(api_client, manager_a, agent_a):
    manager = api_client(manager_a)
    server = post(manager, "/api/v1/products", SERVER).json()
    install = post(manager, "/api/v1/products", {"name": "نصب و راه‌اندازی", "kind": "service"}).json()
    old = post(manager, "/api/v1/products", {"name": "سرور قدیمی", "is_active": False}).json()
    client = api_client(agent_a)

    def ids(**query):
        response = client.get("/api/v1/products", query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [server["id"], install["id"], old["id"]]
    assert ids(q="سرور") == [server["id"], old["id"]]
    assert ids(q="srv") == [server["id"]]
    assert ids(kind="service") == [install["id"]]
    assert ids(is_active="false") == [old["id"]]
    first = client.get("/api/v1/products", {"limit": 2}).json()
    rest = client.get("/api/v1/products", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [server["id"], install["id"], old["id"]]
    assert rest["next_cursor"] is None


def test_an_unknown_product_is_404(api_client, agent_a):
    assert error_fields(api_client(agent_a).get("/api/v1/products/987654"), 404, "not_found") == {}
