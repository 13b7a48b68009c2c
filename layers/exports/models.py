import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """One export asked from the page or the API, written to disk in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("user"),
    )
    layer = models.CharField(_("layer"), max_length=60)
    format = models.CharField(_("format"), max_length=20)
    srid = models.PositiveIntegerField(_("SRID"))
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    total_features = models.PositiveBigIntegerField(_("features to write"), null=True)
    written_features = models.PositiveBigIntegerField(_("features written"), default=0)
    file_path = models.CharField(_("file"), max_length=500, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), null=True)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.layer}.{self.format} EPSG:{self.srid} ({self.status})"

    @property
    def is_finished(self):
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self):
        """Share of the features written, 0 to 100, or None before counting."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total_features:
            return None
        return min(100, int(100 * self.written_features / self.total_features))

    @property
    def file_name(self):
        return self.file_path.rsplit("/", 1)[-1] if self.file_path else ""
