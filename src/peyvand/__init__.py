"""Peyvand: a Persian-first, bilingual customer relationship management system."""

__version__ = "0.1.0"
