"""Messenger bots: Telegram, and Bale or any other Bot-API-compatible messenger, onto the timeline and tickets."""
