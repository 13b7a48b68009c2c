import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """Report the PostgreSQL and PostGIS versions, or 503 when the database is unreachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), postgis_lib_version()")
            postgres_version, postgis_version = cursor.fetchone()
    except DatabaseError as error:
        logger.error("health check failed: %s", error)
        return JsonResponse(
            {"status": "unavailable", "error": "database unreachable"}, status=503
        )
    return JsonResponse(
        {"status": "ok", "database": postgres_version, "postgis": postgis_version}
    )


@login_required
def home(request):
    return render(request, "home.html")
