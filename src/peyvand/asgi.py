"""ASGI entry point (uvicorn, daphne); real-time channels attach here in later modules."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
application = get_asgi_application()
