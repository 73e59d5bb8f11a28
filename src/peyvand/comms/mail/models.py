"""The records of e-mail."""

from __future__ import annotations
