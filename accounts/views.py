from django.conf import settings
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.forms import AuditFilterForm
from accounts.models import AuditEvent

AUDIT_PAGE_SIZE = 50


@permissions.role_required(*permissions.AUDIT_ROLES)
def audit_log(request):
    """Audit events of the admin's organisation, newest first, with filters."""
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.visible_to(request.user).select_related("organisation")
    if form.is_bound and form.is_valid():
        events = form.apply(events)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def lockout_message():
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return _(
        "Too many failed login attempts: this account is locked for %(minutes)s "
        "minutes from this address. Try again later or ask your administrator "
        "to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """Return the response to a login attempt that django-axes blocked.

    Set as AXES_LOCKOUT_CALLABLE.

    Pages get the login page with the message, the API a JSON error; both 429.
    """
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    context = {
        "lockout_message": message,
        "next": request.POST.get("next", ""),
        "username": request.POST.get("username", ""),
    }
    return render(request, "registration/login.html", context, status=429)
