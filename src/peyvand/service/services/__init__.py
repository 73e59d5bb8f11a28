"""Writes of the service desk: tickets and their categories, history, the desk's settings (one module each)."""
