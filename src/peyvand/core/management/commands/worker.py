"""`peyvand worker`: run queued background tasks (imports, scans, sending) until stopped."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker


class Command(DatabaseWorker):
    help = "Run Peyvand's background tasks from the database queue (start one or more beside the web server)."
