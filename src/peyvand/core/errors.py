"""Errors every module's services may raise beside Django's ValidationError and PermissionDenied."""

from __future__ import annotations


class ConflictError(Exception):
    """The record changed since the caller read it: their write would overwrite someone else's.

    The API answers it with 409 `conflict` (`fields.version` names the version the record is at now); the caller
    reads the record again and retries. Pages show the message and the record as it is now.
    """

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.message = message
        self.current_version = current_version
