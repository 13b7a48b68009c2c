"""Reject request bodies larger than the configured limits before they are read."""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class RequestSizeLimitMiddleware:
    """Return 413 when Content-Length exceeds the limit for the request's content type.

    Multipart uploads (territory files) may reach MAX_UPLOAD_SIZE; every other
    body, such as the JSON of the sync API, DATA_UPLOAD_MAX_MEMORY_SIZE. Django
    applies the latter to form fields only, and DRF reads JSON bodies without
    it, hence this check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.content_type == "multipart/form-data":
            limit = settings.MAX_UPLOAD_SIZE
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            logger.warning(
                "request body of %s bytes rejected on %s: limit %s bytes",
                length,
                request.path,
                limit,
            )
            return self._reject(request, length, limit)
        return self.get_response(request)

    def _reject(self, request, length, limit):
        message = _(
            "The request body is %(size)s, more than the limit of %(limit)s; "
            "send a smaller file or split the request."
        ) % {"size": filesizeformat(length), "limit": filesizeformat(limit)}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(
            message, status=413, content_type="text/plain; charset=utf-8"
        )
