"""The records of live chat."""

from __future__ import annotations
