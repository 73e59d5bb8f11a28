"""Settings for an outbox worker run as a real process by the fault test: the site's own, with a short lease so
the test need not wait two minutes for a killed worker's messages to be taken again, and quick retries."""

from peyvand.settings import *  # noqa: F403

PEYVAND_OUTBOX_LEASE_SECONDS = 6
PEYVAND_OUTBOX_SEND_TIMEOUT = 1
PEYVAND_OUTBOX_POLL_SECONDS = 0.2
PEYVAND_OUTBOX_RETRY_SECONDS = 1
PEYVAND_QUIET_HOURS = ""
