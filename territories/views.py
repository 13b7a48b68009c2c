"""Pages: the list of territory sets, and the upload -> preview -> confirm import."""

import logging
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import record_event
from accounts.permissions import (
    TERRITORY_IMPORT_ROLES,
    TERRITORY_ROLES,
    role_required,
)
from territories.errors import TerritoryImportError
from territories.forms import ImportOptionsForm, UploadForm, import_kwargs
from territories.importer import import_territories
from territories.models import TerritorySet
from territories.sources import inspect_fields
from territories.uploads import create_upload, get_upload

logger = logging.getLogger(__name__)

VIEW_ROLES = TERRITORY_ROLES
IMPORT_ROLES = TERRITORY_IMPORT_ROLES
# Tolerance, in metres, of the outlines drawn on the preview map.
PREVIEW_SIMPLIFY_M = 2.0


@role_required(*VIEW_ROLES)
def territory_set_index(request):
    sets = (
        TerritorySet.objects.visible_to(request.user)
        .select_related("organisation")
        .annotate(territory_count=Count("territories"))
        .order_by("organisation__name", "slug", "-version")
    )
    today = timezone.localdate()
    groups = []
    for (organisation, slug), versions in groupby(
        sets, key=lambda s: (s.organisation, s.slug)
    ):
        versions = list(versions)
        for version in versions:
            version.is_current = (
                version.valid_to is None or version.valid_to >= today
            ) and (version.valid_from is None or version.valid_from <= today)
        groups.append(
            {"organisation": organisation, "slug": slug, "versions": versions}
        )
    return render(
        request,
        "territories/index.html",
        {"groups": groups, "can_import": _can_import(request.user)},
    )


@role_required(*IMPORT_ROLES)
def import_upload(request):
    set_slugs = _set_slugs(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, set_slugs=set_slugs)
    if request.method == "POST" and form.is_valid():
        try:
            upload = create_upload(
                form.cleaned_data["file"], user=request.user, options=form.options()
            )
        except TerritoryImportError as exc:
            logger.warning("upload rejected for user %s: %s", request.user.pk, exc)
            form.add_error("file", str(exc))
        else:
            return redirect("territories:import-preview", upload_id=upload.id)
    return render(
        request,
        "territories/import_form.html",
        {"form": form, "max_upload_mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)},
    )


@role_required(*IMPORT_ROLES)
def import_preview(request, upload_id):
    upload = _user_upload(upload_id, request.user)
    layers, fields = inspect_fields(upload.dataset_path, upload.options.get("layer"))
    form_kwargs = {
        "set_slugs": _set_slugs(request.user),
        "fields": fields,
        "layers": layers,
    }
    if request.method == "POST":
        form = ImportOptionsForm(request.POST, **form_kwargs)
        if form.is_valid():
            upload.meta["options"] = form.options()
            upload.save()
            return redirect("territories:import-preview", upload_id=upload.id)

    report, error, fields_report = None, None, None
    try:
        report = import_territories(
            upload.dataset_path,
            organisation=request.user.organisation,
            dry_run=True,
            file_name=upload.meta["file_name"],
            **import_kwargs(upload.options),
        )
        fields_report = report
    except TerritoryImportError as exc:
        logger.info("preview of upload %s failed: %s", upload.id, exc)
        error = str(exc)
        fields_report = getattr(exc, "report", None)
    if request.method != "POST":
        form = ImportOptionsForm(
            initial=_initial_options(upload.options, fields_report), **form_kwargs
        )
    context = {
        "upload": upload,
        "form": form,
        "report": report,
        "error": error,
        "fields_report": fields_report,
        "geojson": report.to_geojson(simplify_m=PREVIEW_SIMPLIFY_M) if report else None,
        "tile_url": settings.BASEMAP_TILE_URL,
        "tile_attribution": settings.BASEMAP_ATTRIBUTION,
    }
    return render(request, "territories/import_preview.html", context)


@require_POST
@role_required(*IMPORT_ROLES)
def import_confirm(request, upload_id):
    upload = _user_upload(upload_id, request.user)
    try:
        report = import_territories(
            upload.dataset_path,
            organisation=request.user.organisation,
            file_name=upload.meta["file_name"],
            **import_kwargs(upload.options),
        )
    except TerritoryImportError as exc:
        logger.warning("import of upload %s failed: %s", upload.id, exc)
        messages.error(request, str(exc))
        return redirect("territories:import-preview", upload_id=upload.id)

    territory_set = report.territory_set
    record_event(
        request.user,
        "import",
        target=f"{territory_set.slug} v{territory_set.version}",
        details={
            "territory_set_id": territory_set.pk,
            "file": upload.meta["file_name"],
            "layer": report.layer,
            "crs": report.crs,
            "encoding": report.encoding,
            "features": report.feature_count,
            "imported": report.imported_count,
            "repaired": len(report.repaired),
            "rejected": len(report.rejected),
            "attached": report.attached,
            "outside": report.outside,
        },
        request=request,
    )
    upload.delete()
    messages.success(
        request,
        _("%(set)s imported: %(count)d territories, %(attached)d entries attached.")
        % {
            "set": territory_set,
            "count": report.imported_count,
            "attached": report.attached,
        },
    )
    return redirect("territories:index")


@require_POST
@role_required(*IMPORT_ROLES)
def import_cancel(request, upload_id):
    _user_upload(upload_id, request.user).delete()
    messages.info(request, _("Import cancelled; the uploaded file was deleted."))
    return redirect(reverse("territories:index"))


def _initial_options(options, report):
    """Return the form's initial options, with the fields the importer chose selected."""
    initial = dict(options)
    if report is None:
        return initial
    for role, source, chosen in (
        ("code_field", report.code_field_source, report.code_field),
        ("name_field", report.name_field_source, report.name_field),
    ):
        if not initial.get(role) and source == "guessed":
            initial[role] = chosen
    return initial


def _user_upload(upload_id, user):
    upload = get_upload(upload_id, user)
    if upload is None:
        raise Http404(
            _("This upload does not exist or has expired; upload the file again.")
        )
    return upload


def _set_slugs(user):
    return list(
        TerritorySet.objects.visible_to(user)
        .filter(organisation_id=user.organisation_id)
        .order_by("slug")
        .values_list("slug", flat=True)
        .distinct()
    )


def _can_import(user):
    return user.is_superuser or user.role in IMPORT_ROLES
