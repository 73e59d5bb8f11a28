"""The sales forecast page: the weighted pipeline by Jalali month and the revenue forecast, as charts and tables."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from peyvand.core.http import current_user, query_int
from peyvand.core.money import RIALS_PER_UNIT
from peyvand.sales import forecast, selectors
from peyvand.sales.forecast_api import pipeline_month_dict, revenue_dict


def _bounded(value: int | None, default: int, low: int, high: int) -> int:
    return default if value is None else min(max(value, low), high)


@login_required
@require_GET
def forecast_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    pipelines = list(selectors.pipeline_list())
    wanted = query_int(request.GET, "pipeline")
    chosen = next((p for p in pipelines if p.pk == wanted), None)
    months = _bounded(query_int(request.GET, "months"), forecast.DEFAULT_HORIZON, 1, forecast.MAX_HORIZON)
    holdout = _bounded(query_int(request.GET, "holdout"), forecast.DEFAULT_HOLDOUT, 0, forecast.MAX_HOLDOUT)
    pipeline = forecast.pipeline_forecast(user=user, pipeline_id=chosen.pk if chosen else None)
    revenue = forecast.revenue_forecast(user=user, months=months, holdout=holdout)
    unit = str(getattr(settings, "PEYVAND_MONEY_UNIT", "rial")).lower()
    # What the charts' script reads (json_script: data, never code, so the page keeps its strict CSP).
    chart_data: dict[str, Any] = {
        "rials_per_unit": RIALS_PER_UNIT.get(unit, 1),
        "unit": _("Toman") if unit == "toman" else _("Rial"),
        "pipeline": [pipeline_month_dict(line) for line in [*pipeline.months, pipeline.undated] if line.count],
        "revenue": revenue_dict(revenue),
        "text": {
            "total": _("Total of open deals"),
            "weighted": _("Weighted by stage"),
            "actual": _("Revenue"),
            "forecast": _("Forecast"),
            "interval": _("%(percent)d%% prediction interval") % {"percent": round(revenue.interval * 100)},
            "held_back": _("Predicted for the held-back months"),
            "month_to_date": _("This month so far"),
            "empty": _("Nothing to show yet."),
        },
    }
    context = {
        "pipelines": pipelines,
        "chosen": chosen,
        "months": months,
        "holdout": holdout,
        "month_choices": [3, 6, 9, 12, 18, 24],
        "holdout_choices": [0, 3, 6, 12],
        "pipeline": pipeline,
        "revenue": revenue,
        "note": chart_data["revenue"]["note"],
        "interval_percent": round(revenue.interval * 100),
        "forecast_total": sum(m.revenue for m in revenue.forecast),
        "chart_data": chart_data,
    }
    return render(request, "sales/forecast.html", context)
