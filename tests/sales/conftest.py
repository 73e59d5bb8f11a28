"""Sales fixtures: the default pipeline the migration made, a second pipeline, and a quick way to make deals."""

import importlib

import pytest
from django.apps import apps

from peyvand.sales.models import Competitor, Deal, Pipeline, Stage


@pytest.fixture(autouse=True)
def pipeline(db):
    """The default pipeline, as the data migration leaves it; made again by the migration's own code should a
    transactional test elsewhere have emptied the database."""
    found = Pipeline.objects.filter(is_default=True).first()
    if found is None:
        importlib.import_module("peyvand.sales.migrations.0002_add_default_pipeline").forwards(apps, None)
        found = Pipeline.objects.get(is_default=True)
    return found


@pytest.fixture
def stages(pipeline):
    """The default pipeline's stages by code: introduction … contract, won, lost."""
    return {stage.code: stage for stage in pipeline.stages.all()}


@pytest.fixture
def other_pipeline(db):
    other = Pipeline.objects.create(name="پروژه‌ها", name_en="Projects")
    Stage.objects.create(pipeline=other, code="start", name="شروع", name_en="Start", position=1, probability=20)
    Stage.objects.create(
        pipeline=other, code="done", name="موفق", name_en="Won", position=2, probability=100, outcome="won"
    )
    return other


@pytest.fixture
def competitor(db):
    return Competitor.objects.create(name="شرکت رقیب", key="شرکترقیب")


@pytest.fixture
def make_deal(pipeline, stages):
    """make_deal(customer=…, owner=…, stage="introduction", amount=…): a deal stored directly, for set-ups."""

    def make(*, customer, owner=None, team=None, stage="introduction", amount=0, **fields):
        return Deal.objects.create(
            title=fields.pop("title", "فروش سرور"),
            customer=customer,
            pipeline=pipeline,
            stage=stages[stage],
            amount=amount,
            owner=owner if owner is not None else customer.owner,
            team=team if team is not None else customer.team,
            **fields,
        )

    return make
