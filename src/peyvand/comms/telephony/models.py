"""The records of telephony."""

from __future__ import annotations
