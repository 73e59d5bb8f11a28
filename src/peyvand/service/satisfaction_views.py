"""Satisfaction pages: the public answer page a customer reaches by link (no login), and the results for managers
and administrators (per agent, team, category and month, and the latest answers)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.core.http import current_user, query_int
from peyvand.core.jalali import current_month, parse_date
from peyvand.service import satisfaction_selectors as results
from peyvand.service.models import TicketSatisfaction
from peyvand.service.satisfaction import MAX_COMMENT, SCORES, answer_window, satisfaction_answer
from peyvand.service.services.settings import service_settings

# The five answers, worst first, with the face each shows.
FACES = (
    (1, "bi-emoji-angry", _lazy("Very unhappy")),
    (2, "bi-emoji-frown", _lazy("Unhappy")),
    (3, "bi-emoji-neutral", _lazy("Neither")),
    (4, "bi-emoji-smile", _lazy("Happy")),
    (5, "bi-emoji-laughing", _lazy("Very happy")),
)


def _row_or_404(token: str) -> TicketSatisfaction:
    row = TicketSatisfaction.objects.select_related("ticket").filter(token=token[:64]).first()
    if row is None:
        raise Http404(_("This link is not valid."))
    return row


@never_cache
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's answer page: public, the unguessable token in the link is the only key."""
    row = _row_or_404(token)
    window = answer_window(row)
    errors: dict[str, list[str]] = {}
    saved = False
    status = 200
    score = row.score
    comment = row.comment
    if request.method == "POST":
        score = query_int(request.POST, "score")
        comment = (request.POST.get("comment") or "")[: MAX_COMMENT + 1]
        try:
            row = satisfaction_answer(token=row.token, score=score, comment=comment)
        except ValidationError as exc:
            errors = exc.message_dict
            status = 422
        except TicketSatisfaction.DoesNotExist:
            raise Http404(_("This link is not valid.")) from None
        else:
            saved = True
    context = {
        "row": row,
        "ticket": row.ticket,
        "faces": FACES,
        "score": score,
        "comment": comment,
        "errors": errors,
        "saved": saved,
        "is_open": window.is_open(),
        "closes_at": window.closes_at,
        "max_comment": MAX_COMMENT,
        "scores": SCORES,
    }
    response = render(request, "service/satisfaction_feedback.html", context, status=status)
    # The link is a key: search engines are not to keep it, whoever it was forwarded to.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _date(params: QueryDict, name: str) -> dt.date | None:
    text = (params.get(name) or "").strip()[:20]
    if not text:
        return None
    try:
        return parse_date(text)
    except (ValueError, TypeError):
        return None


@login_required
@require_GET
def satisfaction_results(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not results.can_read_satisfaction(user):
        raise PermissionDenied(_("Only managers and administrators see the satisfaction results."))
    date_from = _date(request.GET, "from")
    date_to = _date(request.GET, "to")
    if date_from is None and date_to is None and "from" not in request.GET:
        # By default the last twelve Jalali months, this one included.
        date_from = current_month(timezone.now()).shifted(-11).first_day
    low = service_settings().low_satisfaction
    period = {"date_from": date_from, "date_to": date_to}
    context = {
        "overall": results.satisfaction_overall(user=user, low_score=low, **period),
        "by_agent": results.satisfaction_by(user=user, group="agent", low_score=low, **period),
        "by_team": results.satisfaction_by(user=user, group="team", low_score=low, **period),
        "by_category": results.satisfaction_by(user=user, group="category", low_score=low, **period),
        "by_month": results.satisfaction_by_month(user=user, **period),
        "latest": results.satisfaction_latest(user=user),
        "low_score": low,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(request, "service/satisfaction.html", context)
