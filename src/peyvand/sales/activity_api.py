"""HTTP API for activities (tasks, calls, meetings) and staff notifications."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from peyvand.accounts.services import notification_mark_read, notifications_mark_all_read
from peyvand.core.http import AuthedRequest
from peyvand.sales import activity_selectors as selectors
from peyvand.sales.activity_schemas import (
    ActivityCancel,
    ActivityComplete,
    ActivityCreate,
    ActivityFilters,
    ActivityOut,
    ActivityPage,
    ActivityPatch,
    NotificationFilters,
    NotificationOut,
    NotificationPage,
    ReadAllOut,
)
from peyvand.sales.services import activities as services

activities_router = Router(tags=["activities"])
notifications_router = Router(tags=["notifications"])


# --- activities -------------------------------------------------------------------------------------------


@activities_router.get("", response=ActivityPage, summary="List activities, soonest due first")
def activity_list(request: AuthedRequest, filters: Query[ActivityFilters]) -> Any:
    where = selectors.activity_filter(
        due_from=filters.from_,
        due_to=filters.to,
        assigned_to_id=filters.assigned_to,
        team_id=filters.team_id,
        customer_id=filters.customer,
        deal_id=filters.deal,
        lead_id=filters.lead,
        status=filters.status,
        kind=filters.kind,
    )
    page = selectors.activity_list(user=request.auth, where=where, cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@activities_router.post("", response={201: ActivityOut}, summary="Plan a task, call or meeting")
def activity_create(request: AuthedRequest, payload: ActivityCreate) -> Any:
    activity = services.activity_create(by=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, selectors.activity_get(user=request.auth, pk=activity.pk))


@activities_router.get("/{int:activity_id}", response=ActivityOut)
def activity_get(request: AuthedRequest, activity_id: int) -> Any:
    return selectors.activity_get(user=request.auth, pk=activity_id)


@activities_router.patch("/{int:activity_id}", response=ActivityOut, summary="Change a planned activity")
def activity_update(request: AuthedRequest, activity_id: int, payload: ActivityPatch) -> Any:
    activity = selectors.activity_get(user=request.auth, pk=activity_id)
    services.activity_update(activity=activity, by=request.auth, data=payload.model_dump(exclude_unset=True))
    return selectors.activity_get(user=request.auth, pk=activity_id)


@activities_router.post(
    "/{int:activity_id}/complete",
    response=ActivityOut,
    summary="Mark an activity done; it goes on the customer's timeline",
)
def activity_complete(request: AuthedRequest, activity_id: int, payload: ActivityComplete) -> Any:
    activity = selectors.activity_get(user=request.auth, pk=activity_id)
    services.activity_complete(activity=activity, by=request.auth, **payload.model_dump())
    return selectors.activity_get(user=request.auth, pk=activity_id)


@activities_router.post("/{int:activity_id}/cancel", response=ActivityOut, summary="Call off a planned activity")
def activity_cancel(request: AuthedRequest, activity_id: int, payload: ActivityCancel) -> Any:
    activity = selectors.activity_get(user=request.auth, pk=activity_id)
    services.activity_cancel(activity=activity, by=request.auth, reason=payload.reason)
    return selectors.activity_get(user=request.auth, pk=activity_id)


# --- notifications ----------------------------------------------------------------------------------------


@notifications_router.get("", response=NotificationPage, summary="Your notifications, newest first")
def notification_list(request: AuthedRequest, filters: Query[NotificationFilters]) -> Any:
    page = selectors.notification_list(
        user=request.auth, unread=filters.unread, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "unread": selectors.unread_count(request.auth), "next_cursor": page.next_cursor}


@notifications_router.post("/{int:notification_id}/read", response=NotificationOut, summary="Mark one read")
def notification_read(request: AuthedRequest, notification_id: int) -> Any:
    notification = selectors.notifications_of(request.auth).get(pk=notification_id)
    return notification_mark_read(notification=notification, by=request.auth)


@notifications_router.post("/read-all", response=ReadAllOut, summary="Mark all your notifications read")
def notification_read_all(request: AuthedRequest) -> Any:
    marked = notifications_mark_all_read(by=request.auth)
    return {"marked": marked, "unread": selectors.unread_count(request.auth)}
