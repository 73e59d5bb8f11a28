"""Telephony: PBX events (Asterisk AMI, a generic webhook), the caller's pop-up, the call log, routing hints,
click-to-call."""
