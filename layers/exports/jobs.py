"""Export jobs: created by a request, written by a background thread, polled by the page."""

import datetime as dt
import logging
import threading
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.exceptions import LayerError
from layers.exports.errors import ExportError
from layers.exports.models import ExportJob
from layers.exports.scope import ExportScope
from layers.exports.services import (
    ExportOptions,
    check_export,
    check_filters_visible,
    export_directory,
    record_export,
    run_export,
)
from layers.filters import LayerFilters

logger = logging.getLogger(__name__)


def filters_from_dict(data):
    """Rebuild LayerFilters from `LayerFilters.as_dict()`."""
    values = {}
    for key, value in data.items():
        if key in ("start", "end"):
            values[key] = dt.date.fromisoformat(value) if value else None
        elif isinstance(value, list):
            values[key] = tuple(value)
        else:
            values[key] = value
    return LayerFilters(**values)


def export_job_create(*, user, layer, export_format, srid, filters, options, request=None):
    """Check the request, record it in the audit log and queue the job.

    The job starts in a background thread once the transaction commits.
    Raises ExportError (ExportPermissionError for a role that may not export
    the layer) before anything is written.
    """
    scope = ExportScope.for_user(user)
    check_export(scope, layer, export_format, srid)
    check_filters_visible(scope, filters)
    job = ExportJob.objects.create(
        organisation_id=user.organisation_id,
        user=user,
        layer=layer,
        format=export_format,
        srid=srid,
        filters=filters.as_dict(),
        options=options.as_dict(),
    )
    record_export(
        scope, layer, export_format, srid, filters, options, request=request, job=str(job.pk)
    )
    transaction.on_commit(lambda: start_export_job(job.pk))

    return job


def start_export_job(job_id):
    """Run the job in a daemon thread and return the thread.

    NOTE: a thread dies with its worker process (a gunicorn restart or
    timeout) and leaves the job "running". A task queue such as Celery would
    survive that, at the cost of a broker to run.
    """
    thread = threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"export-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _run_in_thread(job_id):
    close_old_connections()
    try:
        export_job_run(job_id)
    finally:
        connection.close()


def export_job_run(job_id):
    """Write the file of one job, keeping its progress and outcome in the job row."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now()
    )

    def progress(written, total):
        ExportJob.objects.filter(pk=job_id).update(
            written_features=written, total_features=total
        )

    try:
        result = run_export(
            scope=ExportScope.for_user(job.user),
            layer=job.layer,
            export_format=job.format,
            srid=job.srid,
            filters=filters_from_dict(job.filters),
            options=ExportOptions(**job.options),
            directory=Path(export_directory()) / str(job.pk),
            progress=progress,
        )
    except (ExportError, LayerError) as error:
        logger.error("export job %s failed: %s", job_id, error)
        _finish(job_id, ExportJob.Status.FAILED, error=str(error))
    except ValidationError as error:
        logger.error("export job %s failed: %s", job_id, error)
        _finish(job_id, ExportJob.Status.FAILED, error=" ".join(error.messages))
    except Exception:
        logger.exception("export job %s failed", job_id)
        _finish(
            job_id,
            ExportJob.Status.FAILED,
            error=_(
                "The export failed because of a server error; the administrators can "
                "find the details in the server log."
            ),
        )
    else:
        _finish(
            job_id,
            ExportJob.Status.DONE,
            file_path=str(result.path),
            file_size=result.path.stat().st_size,
            written_features=result.feature_count,
            total_features=result.feature_count,
            messages=[str(message) for message in result.messages],
        )


def _finish(job_id, status, **fields):
    ExportJob.objects.filter(pk=job_id).update(
        status=status, finished_at=timezone.now(), **fields
    )
