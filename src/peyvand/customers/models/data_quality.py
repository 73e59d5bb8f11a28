"""Customer data coming in and kept clean: import jobs with their rejected rows, saved column mappings,
suspected duplicates, and merges that can be undone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Team
from peyvand.core.models import TimeStampedModel

__all__ = [
    "CustomerMerge",
    "DuplicateCandidate",
    "DuplicateKind",
    "DuplicateSource",
    "DuplicateStatus",
    "ExportFormat",
    "ExportJob",
    "ExportStatus",
    "ImportJob",
    "ImportMapping",
    "ImportRowError",
    "ImportStatus",
    "OnDuplicate",
]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing customer")
    CREATE = "create", _("Create a new customer anyway")


class ImportMapping(TimeStampedModel):
    """A saved choice of which column is which field, reused for files of the same shape."""

    name = models.CharField(_("name"), max_length=100)
    columns = models.JSONField(_("columns"), default=dict)  # normalised header → field key
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("shared with team")
    )

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["created_by", "name"], name="import_mapping_name_once")]

    def __str__(self) -> str:
        return self.name


class ImportJob(TimeStampedModel):
    """One file being imported: what was read, how columns map, and how far it has got. Rows are committed
    in batches; `last_committed_line` is where a resumed run goes on from."""

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("team")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_format = models.CharField(_("format"), max_length=8)  # csv, xlsx
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    header_line = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)  # the header row as read
    mapping = models.JSONField(default=dict)  # column index (as text) → field key
    on_duplicate = models.CharField(
        _("when the customer exists"), max_length=8, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("rejected"), default=0)
    last_committed_line = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name


class ImportRowError(models.Model):
    """A row that was not imported: its line in the file, the column at fault and why, and the row as read
    (for the file of rejected rows, ready to fix and import again)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=500)
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="import_error_line")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.line} {self.message}"


class DuplicateKind(models.TextChoices):
    CERTAIN = "certain", _("Certain")  # the same phone, e-mail or national code
    PROBABLE = "probable", _("Probable")  # similar names in the same city or organisation


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not a duplicate")


class DuplicateSource(models.TextChoices):
    SAVE = "save", _("On save")
    IMPORT = "import", _("On import")
    SCAN = "scan", _("Periodic scan")


class DuplicateCandidate(TimeStampedModel):
    """Two customers that may be one; `first` is always the lower id, so a pair is stored once."""

    first = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=DuplicateKind.choices)
    reasons = models.JSONField(_("reasons"), default=list)  # phone, email, national_id, name
    score = models.FloatField(_("score"), default=0)  # 0–100
    status = models.CharField(_("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    found_by = models.CharField(_("found"), max_length=8, choices=DuplicateSource.choices)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "kind", "-score"], name="duplicate_queue")]

    def __str__(self) -> str:
        return f"{self.first_id}~{self.second_id}"


class CustomerMerge(TimeStampedModel):
    """`merged` folded into `survivor`: which side each field came from, the survivor as it was, and every
    related row moved, so that the merge can be undone."""

    survivor = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="merges_received")
    merged = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="merges_given")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    candidate = models.ForeignKey(DuplicateCandidate, null=True, blank=True, on_delete=models.SET_NULL)
    chosen = models.JSONField(default=dict)  # field → "survivor" | "merged"
    survivor_before = models.JSONField(default=dict)  # the survivor's snapshot before the merge
    moved = models.JSONField(default=dict)  # "app_label.model" → [ids moved from merged to survivor]
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.merged_id}→{self.survivor_id}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel (XLSX)")
    CSV = "csv", _("CSV")


class ExportJob(TimeStampedModel):
    """An export too large for one request, written by the worker to a file only `by` may download. The
    filters are kept as asked, so the job exports what the list showed then; the file is removed at
    `expires_at`."""

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("by"))
    filters = models.JSONField(_("filters"), default=dict)  # ExportFilters as plain JSON
    file_format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    language = models.CharField(max_length=10, blank=True)  # the asker's language: sheet direction, headers
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["by", "-id"], name="export_job_by_recent")]

    def __str__(self) -> str:
        return self.file_name or f"export {self.pk}"
