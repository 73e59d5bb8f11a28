"""Counting hits in fixed time windows in the site's cache, so that several processes sharing one cache (Redis)
count together: the live chat's flood guard and the web forms' per-address limit."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

__all__ = ["window_hit"]

# A key that vanishes between add and incr every time, this many times in a row, is a cache that keeps nothing.
_TRIES = 3


def window_hit(key: str, *, timeout: int) -> int:
    """Count one hit on `key` and return how many it has now, this one included; a new key lives `timeout` s.

    Both steps are single atomic operations on a shared cache: `add` creates the key only if it is missing, and
    `incr` adds one where it is. So of many processes hitting a fresh window at once exactly one gets 1 and the
    others 2, 3, …; and a key that expires between the failed add and the incr (incr raises ValueError) is
    created again by the next add rather than overwritten with 1, which would lose the hits of whoever recreated
    it first. A cache that cannot be reached counts nothing (0): a guard must not turn away every visitor."""
    try:
        for _attempt in range(_TRIES):
            if cache.add(key, 1, timeout=timeout):
                return 1
            try:
                return int(cache.incr(key))
            except ValueError:
                continue
    except Exception:
        logger.warning("rate counter %s: the cache did not answer; not counted", key, exc_info=True)
        return 0
    logger.warning("rate counter %s: the cache keeps no key; not counted", key)
    return 0
