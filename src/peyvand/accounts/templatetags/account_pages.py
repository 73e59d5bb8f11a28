"""Display filters for the log-in pages."""

from __future__ import annotations

import datetime as dt
import math

from django import template

register = template.Library()


@register.filter
def minutes(value: object) -> int:
    """Whole minutes in a timedelta, rounded up so a lock-out never ends later than the page says."""
    if isinstance(value, dt.timedelta):
        return max(1, math.ceil(value.total_seconds() / 60))
    return 0
