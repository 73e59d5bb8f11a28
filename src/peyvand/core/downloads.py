"""File downloads that stream on WSGI and ASGI alike: a file made as it is sent, or a finished file read in pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import IO

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

PIECE = 256 * 1024


def streaming_download(
    request: HttpRequest, parts: Iterator[bytes], *, filename: str, content_type: str
) -> StreamingHttpResponse:
    """`parts` sent as they are made, as the attachment `filename` (RFC 6266/5987, so any name works)."""
    response = StreamingHttpResponse(_for_server(request, parts), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Customer records: never kept by a shared cache on the way.
    patch_cache_control(response, private=True, no_store=True)
    return response


def file_download(
    request: HttpRequest, file: IO[bytes], *, filename: str, content_type: str
) -> FileResponse | StreamingHttpResponse:
    """A finished file (closed once sent) as the attachment `filename`, with its length."""
    size = file.seek(0, 2)
    file.seek(0)
    if isinstance(request, ASGIRequest):
        response: FileResponse | StreamingHttpResponse = streaming_download(
            request, _pieces(file), filename=filename, content_type=content_type
        )
        response["Content-Length"] = str(size)
        return response
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    patch_cache_control(response, private=True, no_store=True)
    return response


def stored_file_download(
    request: HttpRequest, file: FieldFile, *, filename: str, content_type: str, missing: str = ""
) -> FileResponse | StreamingHttpResponse:
    """An uploaded file kept in the storage (a ticket's or a contract's), as the attachment `filename`; Http404
    (with `missing`, if given) when the storage has lost it. The caller checks first that the user may see it."""
    try:
        stream = file.open("rb")
    except FileNotFoundError:
        raise (Http404(missing) if missing else Http404()) from None
    response = file_download(request, stream, filename=filename, content_type=content_type)
    # The content was checked on upload; the browser is still told not to second-guess it.
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pieces(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while piece := file.read(PIECE):
            yield piece
    finally:
        file.close()


def _for_server(request: HttpRequest, parts: Iterator[bytes]) -> Iterator[bytes] | AsyncIterator[bytes]:
    # Django serves a synchronous iterator under ASGI by reading it whole into memory first (and the other
    # way round under WSGI), so each server gets the kind it streams. The parts read the database, so under
    # ASGI each one is made in the request's own thread, like the synchronous view that started them.
    if not isinstance(request, ASGIRequest):
        return parts

    def advance() -> bytes | None:
        return next(parts, None)

    async def one_by_one() -> AsyncIterator[bytes]:
        step = sync_to_async(advance, thread_sensitive=True)
        try:
            while (part := await step()) is not None:
                yield part
        finally:
            await sync_to_async(_close, thread_sensitive=True)(parts)

    return one_by_one()


def _close(parts: Iterator[bytes]) -> None:
    close = getattr(parts, "close", None)
    if close is not None:
        close()
