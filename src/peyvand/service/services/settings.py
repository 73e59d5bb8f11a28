"""The service desk's settings row: read (made on first use) and changed by an administrator."""

from __future__ import annotations

from peyvand.service.models import ServiceSettings


def service_settings() -> ServiceSettings:
    """The one settings row, made with the defaults the first time it is asked for."""
    row = ServiceSettings.objects.order_by("id").first()
    if row is None:
        row = ServiceSettings.objects.create()
    return row
