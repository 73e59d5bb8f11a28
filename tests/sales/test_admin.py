"""The Django admin for sales: the catalogue, competitors and pipelines are kept there; deals are only shown."""

import pytest
from django.test import Client

from factories import CustomerFactory
from peyvand.sales.models import Competitor, Pipeline, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_every_sales_page_of_the_admin_opens(admin_client_, pipeline, make_deal, team_a):
    deal = make_deal(customer=CustomerFactory(team=team_a))
    for url in (
        "/admin/sales/product/",
        "/admin/sales/product/add/",
        "/admin/sales/pipeline/",
        f"/admin/sales/pipeline/{pipeline.pk}/change/",
        "/admin/sales/competitor/",
        "/admin/sales/deal/",
        f"/admin/sales/deal/{deal.pk}/change/",
    ):
        assert admin_client_.get(url).status_code == 200, url


def test_a_product_added_in_the_admin_gets_its_sku_normalised_and_checked(admin_client_):
    data = {"name": "سوئیچ", "sku": " sw-24 ", "kind": "product", "unit": "عدد", "unit_price": 100, "unit_cost": 80}
    response = admin_client_.post("/admin/sales/product/add/", {**data, "vat_applies": "on", "is_active": "on"})
    assert response.status_code == 302
    assert Product.objects.get().sku == "SW-24"
    again = admin_client_.post("/admin/sales/product/add/", {**data, "sku": "SW-24"})
    assert again.status_code == 200
    assert Product.objects.count() == 1


def test_a_competitor_added_in_the_admin_is_listed_once(admin_client_):
    assert admin_client_.post("/admin/sales/competitor/add/", {"name": "همکاران سیستم"}).status_code == 302
    assert admin_client_.post("/admin/sales/competitor/add/", {"name": "همکاران  سيستم"}).status_code == 200
    assert Competitor.objects.count() == 1
    assert Competitor.objects.get().key


def test_the_admin_action_moves_the_default_to_another_pipeline(admin_client_, pipeline, other_pipeline):
    response = admin_client_.post(
        "/admin/sales/pipeline/", {"action": "make_default", "_selected_action": [other_pipeline.pk]}
    )
    assert response.status_code == 302
    assert list(Pipeline.objects.filter(is_default=True)) == [other_pipeline]


def test_deals_cannot_be_changed_in_the_admin(admin_client_, make_deal, team_a):
    deal = make_deal(customer=CustomerFactory(team=team_a), amount=10)
    admin_client_.post(f"/admin/sales/deal/{deal.pk}/change/", {"amount": 99})
    deal.refresh_from_db()
    assert deal.amount == 10
    assert admin_client_.get("/admin/sales/deal/add/").status_code == 403
