"""The records of web forms."""

from __future__ import annotations
