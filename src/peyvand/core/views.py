"""Pages and endpoints that belong to no one domain: health check, home dashboard."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from peyvand.core.http import current_user
from peyvand.customers.page_queries import stage_counts
from peyvand.customers.selectors import customer_list_page, interactions_recent


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "unhealthy", whatever its class
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    newest = customer_list_page(user=user, order="newest", limit=8, related=("owner",))
    return render(
        request,
        "core/home.html",
        {
            "recent_interactions": interactions_recent(user=user, limit=10),
            "recent_customers": newest.items,
            "stage_counts": stage_counts(user=user),
        },
    )
