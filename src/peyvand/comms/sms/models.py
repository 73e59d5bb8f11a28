"""The records of sms."""

from __future__ import annotations
