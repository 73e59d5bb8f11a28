"""Template helpers for the customer pages."""
