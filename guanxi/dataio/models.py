"""Imports (导入): the uploaded file, its mapping and options, progress, outcome and undo."""

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.dataio.choices import DuplicateAction, ErrorMode, ImportStatus, RowAction


def import_dir() -> Path:
    """Return the folder that keeps uploaded import files and error reports."""
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class ImportRun(models.Model):
    """Hold one import of a spreadsheet into an entity, from upload to result (and undo)."""

    entity = models.CharField(_("entity"), max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="imports",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    original_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(max_length=100)
    file_format = models.CharField(_("format"), max_length=10)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    header = models.JSONField(_("columns"), default=list)
    # One target per column: a form field name, "custom.<key>" or "" (not imported).
    mapping = models.JSONField(_("column mapping"), default=list)
    error_mode = models.CharField(
        _("wrong rows"),
        max_length=20,
        choices=ErrorMode.choices,
        default=ErrorMode.SKIP_BAD_ROWS,
    )
    duplicate_action = models.CharField(
        _("duplicates"),
        max_length=10,
        choices=DuplicateAction.choices,
        default=DuplicateAction.SKIP,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("wrong rows"), default=0)
    message = models.TextField(_("message"), blank=True)
    # The first wrong rows, shown on the result page; all of them are in the error report.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    has_error_report = models.BooleanField(default=False)
    job = models.ForeignKey(
        "core.Job",
        verbose_name=_("background job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="dataio_import_user_idx"),
            models.Index(fields=["entity", "-created_at"], name="dataio_import_entity_idx"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def path(self) -> Path:
        return import_dir() / self.stored_name

    @property
    def error_report_path(self) -> Path:
        return import_dir() / f"{self.stored_name}.errors.csv"

    @property
    def mapped(self) -> bool:
        return any(self.mapping)


class ImportRow(models.Model):
    """Remember one record an import created or changed, so the import can be undone."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=RowAction.choices)
    # For an updated record: the values the import overwrote, by field name.
    before = models.JSONField(null=True, blank=True)
    # The record's version right after the import; a later edit makes undo unsafe.
    version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["run", "action", "object_id"], name="dataio_row_idx")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.row_number}"


class ImportMapping(models.Model):
    """Remember how a user last mapped spreadsheet columns to an entity's fields."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=50)
    # {normalised column header: target}
    columns = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "entity"], name="dataio_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.entity}"
