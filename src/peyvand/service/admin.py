"""Django admin of the service desk: each area registers its models in its own module, loaded here."""

from peyvand.service import kb_admin, ticket_admin  # noqa: F401  (registration happens on import)
