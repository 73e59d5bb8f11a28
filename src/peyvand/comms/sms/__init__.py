"""SMS: Iranian gateways (Kavenegar, SMS.ir) and a console backend, delivery reports, inbound SMS, Persian
segment counting, opt-out keywords."""
