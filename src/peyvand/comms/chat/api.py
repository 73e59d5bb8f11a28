"""HTTP API of live chat under /api/v1/comms/chat/: the conversations the caller may see and their transcripts."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router

from peyvand.comms.chat import selectors
from peyvand.comms.chat.models import ChatSession
from peyvand.comms.chat.schemas import ChatFiltersIn, ChatSessionDetail, ChatSessionPage
from peyvand.core.http import AuthedRequest
from peyvand.core.pagination import paginate
from peyvand.customers.selectors import customers_visible_to

router = Router(tags=["Live chat"])


def _hide_customers(user: Any, sessions: list[ChatSession]) -> None:
    """A visitor matched to a customer the caller cannot see shows as not matched."""
    ids = {s.customer_id for s in sessions if s.customer_id is not None}
    visible = set(customers_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for session in sessions:
        if session.customer_id not in visible:
            session.customer_id = None


@router.get("/sessions", response=ChatSessionPage, summary="Chats you may see (your teams'), newest first")
def chat_session_list(request: AuthedRequest, filters: Query[ChatFiltersIn]) -> Any:
    sessions = selectors.chat_sessions_visible_to(request.auth)
    if filters.status:
        sessions = sessions.filter(status=filters.status)
    if filters.customer_id:
        sessions = sessions.filter(customer_id=filters.customer_id)
    page = paginate(sessions, order=("-id",), cursor=filters.cursor, limit=filters.limit)
    _hide_customers(request.auth, page.items)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/sessions/{int:session_id}", response=ChatSessionDetail, summary="One chat with its transcript")
def chat_session_get(request: AuthedRequest, session_id: int) -> Any:
    session = selectors.chat_session_get(user=request.auth, pk=session_id)
    _hide_customers(request.auth, [session])
    return session
