"""The default pipeline a fresh installation gets (its migration, and that migration undone), pipelines through
the API in Persian and English, and the list of competitors."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from peyvand.sales.models import Competitor, Pipeline, Stage
from peyvand.sales.services import pipeline_set_default

pytestmark = pytest.mark.django_db

DEFAULT_STAGES = [
    ("introduction", 10, "open"),
    ("needs_proposal", 25, "open"),
    ("negotiation", 50, "open"),
    ("approval", 75, "open"),
    ("contract", 90, "open"),
    ("won", 100, "won"),
    ("lost", 0, "lost"),
]


def test_the_default_pipeline_has_the_seven_stages_in_order(api_client, agent_a):
    [pipeline] = api_client(agent_a).get("/api/v1/pipelines").json()
    assert pipeline["is_default"] is True
    assert [(s["code"], s["probability"], s["outcome"]) for s in pipeline["stages"]] == DEFAULT_STAGES
    assert [s["position"] for s in pipeline["stages"]] == [1, 2, 3, 4, 5, 6, 7]
    assert pipeline["name"] == "فروش"
    assert pipeline["stages"][0]["name"] == pipeline["stages"][0]["name_fa"] == "آشنایی و معرفی"


def test_stage_names_are_shown_in_english_to_an_english_client(api_client, agent_a):
    [pipeline] = api_client(agent_a).get("/api/v1/pipelines", headers={"Accept-Language": "en"}).json()
    assert pipeline["name"] == "Sales"
    assert [s["name"] for s in pipeline["stages"]][::3] == ["Introduction", "Decision-maker approval", "Lost"]
    assert pipeline["stages"][0]["name_fa"] == "آشنایی و معرفی"


def _migration():
    return importlib.import_module("peyvand.sales.migrations.0002_add_default_pipeline")


def test_the_default_pipeline_migration_is_reversible():
    migration = _migration()
    # Called as the migration runs them; the schema editor is not needed by either direction.
    migration.backwards(apps, None)
    assert not Pipeline.objects.exists()
    assert not Stage.objects.exists()
    migration.forwards(apps, None)
    pipeline = Pipeline.objects.get()
    assert pipeline.is_default
    assert [(s.code, s.probability, s.outcome) for s in pipeline.stages.order_by("position")] == DEFAULT_STAGES
    # Run again it adds nothing: an installation that already has pipelines keeps its own.
    migration.forwards(apps, None)
    assert Stage.objects.count() == 7


def test_the_migration_leaves_other_pipelines_alone_when_undone(other_pipeline):
    _migration().backwards(apps, None)
    assert list(Pipeline.objects.all()) == [other_pipeline]


def test_exactly_one_pipeline_is_the_default(pipeline, other_pipeline):
    pipeline_set_default(pipeline=other_pipeline)
    assert list(Pipeline.objects.filter(is_default=True)) == [other_pipeline]
    pipeline_set_default(pipeline=pipeline)
    assert list(Pipeline.objects.filter(is_default=True)) == [pipeline]


def test_a_pipeline_without_an_open_stage_cannot_be_the_default(pipeline):
    empty = Pipeline.objects.create(name="خالی")
    with pytest.raises(ValidationError, match="open stage"):
        pipeline_set_default(pipeline=empty)
    assert Pipeline.objects.get(is_default=True) == pipeline


# --- competitors ----------------------------------------------------------------------------------------


def test_staff_add_competitors_once_however_the_name_is_written(api_client, agent_a):
    client = api_client(agent_a)
    response = client.post("/api/v1/competitors", {"name": "شرکت  داده‌پردازان"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "شرکت داده‌پردازان"
    again = client.post("/api/v1/competitors", {"name": "شركت داده پردازان"}, content_type="application/json")
    assert again.status_code == 422
    assert set(again.json()["error"]["fields"]) == {"name"}
    assert Competitor.objects.count() == 1


def test_competitors_are_listed_and_searched(api_client, agent_a):
    client = api_client(agent_a)
    for name in ("همکاران سیستم", "داده‌پردازان", "Rayvarz"):
        client.post("/api/v1/competitors", {"name": name}, content_type="application/json")
    assert [c["name"] for c in client.get("/api/v1/competitors").json()] == sorted(
        ["همکاران سیستم", "داده‌پردازان", "Rayvarz"]
    )
    assert [c["name"] for c in client.get("/api/v1/competitors", {"q": "همکاران"}).json()] == ["همکاران سیستم"]
    assert [c["name"] for c in client.get("/api/v1/competitors", {"q": "rayv"}).json()] == ["Rayvarz"]


def test_a_competitor_needs_a_name(api_client, agent_a):
    response = api_client(agent_a).post("/api/v1/competitors", {"name": " ؟ "}, content_type="application/json")
    assert set(response.json()["error"]["fields"]) == {"name"}
