"""Template helpers for the account pages."""
