"""Channels: one outbox for every outgoing message, and the ways customers reach us (e-mail, SMS, telephony,
live chat, web forms, messenger bots), all written to the customer's timeline."""
