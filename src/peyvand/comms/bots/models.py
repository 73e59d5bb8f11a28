"""The records of messenger bots."""

from __future__ import annotations
