"""The service desk's dashboard (measures, as KPI cards, charts and tables) and the staffing page (ticket volume
forecast and the agents needed per day).

Every member of staff may open the dashboard: its figures are those of the tickets they may see (an agent: their
own and their team's; a manager: their teams'; an administrator: all). The staffing page plans people, so it is
for managers and administrators only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from peyvand.accounts.models import Role, Team, User
from peyvand.core.http import current_user, query_int
from peyvand.core.jalali import current_month, format_date
from peyvand.service import staffing
from peyvand.service.measures import (
    GROUPS,
    Figures,
    Measures,
    monthly_trend,
    open_by_status_totals,
    parse_period,
    period_of_months,
    ticket_measures,
)
from peyvand.service.measures_api import can_plan, forecast_dict, staffing_dict
from peyvand.service.models import TicketKind, TicketStatus

# How many months back the period picker offers, and how many the trend chart shows.
PICKER_MONTHS = 24
TREND_MONTHS = 12


def _teams_for(user: User) -> list[Team]:
    """The teams a user may filter by: all for an administrator, their team and its sub-teams for a manager,
    their own team for an agent."""
    if user.is_admin_role:
        return list(Team.objects.order_by("path"))
    if user.team is None:
        return []
    if user.role == Role.MANAGER:
        return list(user.team.subtree().order_by("path"))
    return [user.team]


def _chosen_team(request: HttpRequest, teams: list[Team]) -> Team | None:
    wanted = query_int(request.GET, "team")
    return next((team for team in teams if team.pk == wanted), None)


def _group_labels() -> dict[str, str]:
    return {"team": _("Team"), "agent": _("Agent"), "category": _("Category"), "month": _("Month")}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    errors: dict[str, str] = {}
    try:
        period = parse_period(request.GET.get("period"))
    except ValidationError as error:
        errors["period"] = " ".join(error.message_dict.get("period", []))
        period = period_of_months(current_month())
    group = request.GET.get("group") or "team"
    if group not in GROUPS:
        group = "team"
    teams = _teams_for(user)
    team = _chosen_team(request, teams)
    team_id = team.pk if team else None
    by_team = ticket_measures(user=user, period=period, group="team", team_id=team_id)
    table = by_team if group == "team" else ticket_measures(user=user, period=period, group=group, team_id=team_id)
    last_month = period.months[-1]
    # The period's own month needs no second reading when the period is that one month.
    same = period == period_of_months(last_month)
    trend = monthly_trend(
        user=user,
        last=last_month,
        months=TREND_MONTHS,
        team_id=team_id,
        last_figures=by_team.total if same else None,
    )
    this_month = current_month()
    picker = [this_month.shifted(-n) for n in range(PICKER_MONTHS)]
    chart_data = _dashboard_chart_data(by_team, trend)
    context = {
        "period": period,
        "period_key": period.key,
        "picker": picker,
        "picker_keys": {month.key for month in picker},
        "errors": errors,
        "teams": teams,
        "team": team,
        "group": group,
        "groups": _group_labels(),
        "group_label": _group_labels()[group],
        "total": _row(by_team.total),
        "rows": [_row(line) for line in table.groups],
        "table_total": _row(table.total),
        "chart_data": chart_data,
        "scope_note": _scope_note(user),
    }
    return render(request, "service/dashboard.html", context)


def minutes_text(value: float | None) -> str:
    """Business minutes as people read them: «45 min», «3 h 20 min», «2 d 1 h» (a working day is not 24 hours,
    so days are counted as 8-hour days), «—» for none."""
    if value is None:
        return "—"
    minutes = round(value)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 8 * 3:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest} if rest else _("%(h)d h") % {"h": hours}
    days, hours = divmod(hours, 8)
    return _("%(d)d working days %(h)d h") % {"d": days, "h": hours}


def _row(line: Figures) -> dict[str, Any]:
    """A line of figures with its times as text, for the KPI cards and tables."""
    return {
        **line.as_dict(),
        "first_response_median_text": minutes_text(line.first_response_median),
        "first_response_avg_text": minutes_text(line.first_response_avg),
        "resolution_median_text": minutes_text(line.resolution_median),
        "resolution_avg_text": minutes_text(line.resolution_avg),
    }


def _scope_note(user: User) -> str:
    if user.is_admin_role:
        return _("Figures of every ticket.")
    if user.role == Role.MANAGER:
        return _("Figures of the tickets of your team and its sub-teams, and those assigned to you.")
    return _("Figures of your team's tickets and those assigned to you.")


def _dashboard_chart_data(by_team: Measures, trend: list[Figures]) -> dict[str, Any]:
    labels = dict(TicketStatus.choices)
    open_counts = open_by_status_totals(by_team)
    return {
        "open": [{"status": key, "label": str(labels[key]), "count": n} for key, n in open_counts.items()],
        "teams": [
            {"label": line.label, "created": line.created, "resolved": line.resolved, "open": line.open}
            for line in by_team.groups
        ],
        "trend": [
            {
                "label": line.label,
                "created": line.created,
                "resolved": line.resolved,
                "sla_percent": line.sla_percent,
                "csat_avg": line.csat_avg,
            }
            for line in trend
        ],
        "text": {
            "tickets": _("Tickets"),
            "created": _("Arrived"),
            "resolved": _("Resolved"),
            "open": _("Open now"),
            "sla": _("SLA met (%)"),
            "empty": _("Nothing to show yet."),
        },
    }


# --- staffing -------------------------------------------------------------------------------------------


def _number(request: HttpRequest, name: str, default: float, low: float, high: float) -> tuple[float, str | None]:
    text = (request.GET.get(name) or "").strip()
    if not text:
        return default, None
    try:
        value = float(text)
    except ValueError:
        return default, _("Enter a number.")
    if not low <= value <= high:
        return default, _("Enter a number from %(low)s to %(high)s.") % {"low": f"{low:g}", "high": f"{high:g}"}
    return value, None


@login_required
@require_GET
def staffing_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not can_plan(user):
        raise PermissionDenied(_("The staffing plan is for managers and administrators."))
    errors: dict[str, str] = {}
    inputs: dict[str, float] = {}
    limits = {
        "days": (14, 1, staffing.MAX_FORECAST_DAYS),
        "target_minutes": (staffing.DEFAULT_TARGET_SECONDS / 60, 1, 7 * 24 * 60),
        "target_percent": (staffing.DEFAULT_TARGET_PERCENT, 1, 99.9),
        "aht_minutes": (staffing.handling_minutes(), 0.5, 1440),
    }
    for name, (default, low, high) in limits.items():
        inputs[name], error = _number(request, name, default, low, high)
        if error:
            errors[name] = error
    teams = _teams_for(user)
    team = _chosen_team(request, teams)
    kind = request.GET.get("kind") or ""
    if kind and kind not in TicketKind.values:
        errors["kind"] = _("Choose a kind from the list.")
        kind = ""
    plan = staffing.staffing_plan(
        user=user,
        days=int(inputs["days"]),
        target_seconds=round(inputs["target_minutes"] * 60),
        target_percent=inputs["target_percent"],
        aht_minutes=inputs["aht_minutes"],
        team_id=team.pk if team else None,
        kind=kind or None,
    )
    data = staffing_dict(plan)
    volume = data["forecast"]
    # The chart shows the last eight weeks of history: enough to see the week's shape beside the forecast.
    chart = dict(forecast_dict(plan.volume), history=volume["history"][-56:])
    chart["text"] = {
        "actual": _("Tickets"),
        "forecast": _("Forecast"),
        "interval": _("%(percent)d%% prediction interval") % {"percent": round(plan.volume.interval * 100)},
        "held_back": _("Predicted for the held-back days"),
        "agents": _("Agents needed"),
        "empty": _("Nothing to show yet."),
    }
    chart["agents"] = [{"day": line["day"], "agents": line["agents"]} for line in data["days"]]
    context = {
        "plan": plan,
        "days": data["days"],
        "volume": volume,
        "inputs": inputs,
        "errors": errors,
        "teams": teams,
        "team": team,
        "kind": kind,
        "kinds": TicketKind.choices,
        "chart_data": _jsonable(chart),
        "peak": max((line["agents"] for line in data["days"]), default=0),
        "interval_percent": round(plan.volume.interval * 100),
    }
    return render(request, "service/staffing.html", context)


def _jsonable(value: Any) -> Any:
    """Dates as ISO text for the page's JSON block (json_script takes what DjangoJSONEncoder takes, but the
    chart takes them as text); a day's figures get the day's label in the reader's calendar."""
    if isinstance(value, dict):
        out = {key: _jsonable(item) for key, item in value.items()}
        if isinstance(value.get("day"), dt.date):
            out["label"] = format_date(value["day"])
        return out
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
