"""The export page: a form that queues a job, the user's jobs with their progress, downloads."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import role_required
from layers.exports.catalogue import AGGREGATE_ROLES, layers_for
from layers.exports.errors import ExportError, ExportPermissionError
from layers.exports.forms import ExportForm
from layers.exports.jobs import export_job_create
from layers.exports.models import ExportJob
from layers.exports.scope import ExportScope
from layers.exports.writers import WRITERS

# Coordinators, analysts, administrators and client viewers (aggregated layers only).
PAGE_ROLES = AGGREGATE_ROLES
RECENT_JOBS = 20


@role_required(*PAGE_ROLES)
@require_http_methods(["GET", "POST"])
def export_index(request):
    scope = ExportScope.for_user(request.user)
    form = ExportForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = export_job_create(
                user=request.user,
                layer=data["layer"],
                export_format=data["format"],
                srid=data["srid"],
                filters=data["filters"],
                options=data["options"],
                request=request,
            )
        except ExportPermissionError as error:
            raise PermissionDenied(str(error)) from error
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Export queued; the file appears below when it is ready."))
            return redirect(f"{reverse('exports:index')}?job={job.pk}")

    jobs = ExportJob.objects.filter(user=request.user)[:RECENT_JOBS]
    context = {
        "form": form,
        "jobs": jobs,
        "highlight": request.GET.get("job", ""),
        "suppresses_small_counts": scope.suppresses_small_counts,
        "small_count_threshold": settings.SMALL_COUNT_THRESHOLD,
        "layer_formats": {spec.name: list(spec.formats) for spec in layers_for(scope)},
    }
    return render(request, "exports/index.html", context)


def job_file_response(job):
    """FileResponse of a finished job's file, or Http404."""
    if job.status != ExportJob.Status.DONE:
        raise Http404(_("This export is not finished."))
    path = Path(job.file_path)
    if not path.is_file():
        raise Http404(_("The file of this export was deleted; run the export again."))
    writer = WRITERS.get(job.format)
    media_type = writer.media_type if writer else "image/tiff"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=job.file_name, content_type=media_type
    )


@role_required(*PAGE_ROLES)
@require_GET
def export_download(request, job_id):
    job = get_object_or_404(ExportJob, pk=job_id, user=request.user)
    return job_file_response(job)
