"""Django in a spawned helper process, and batch work in either process. This module imports nothing of
Django at module level, so a new interpreter can unpickle a call to it before Django is set up; the work
itself is named by its path."""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def run_with_django(target: str, language: str, overrides: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """Set Django up from the same settings module as the parent, give it the parent's values where they
    change results (`overrides`: phone region, time zone) and its language, then call `target`
    ("package.module.function") with the remaining arguments."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
    import django
    from django.conf import settings
    from django.utils import translation

    django.setup()
    for name, value in overrides.items():
        setattr(settings, name, value)
    translation.activate(language)
    module_name, _dot, function = target.rpartition(".")
    return getattr(importlib.import_module(module_name), function)(*args, **kwargs)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cycle collector paused while a batch of work makes objects that nearly all stay alive until
    the batch is done (cleaned rows, their pickles, the rows for the database). The collector runs every
    few hundred new objects and walks all the young ones each time: in an import's batch it was a third of
    cleaning a row and two thirds of unpickling one. Cycles made meanwhile are collected after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
