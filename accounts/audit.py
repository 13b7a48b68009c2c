"""Record audit events: exports, report downloads, validations, rejections, imports, logins."""

import logging

from accounts.models import AuditEvent

logger = logging.getLogger(__name__)


def record_event(
    user,
    action,
    *,
    target="",
    details=None,
    request=None,
    username=None,
    organisation_id=None,
):
    """Insert one audit event and return it.

    `details` contains JSON-ready values such as the filters used; `request`, when
    given, supplies the client address. `username` and `organisation_id` name
    the account concerned when no user is logged in (a failed login).
    """
    authenticated = user is not None and user.is_authenticated
    if authenticated:
        username = user.get_username()
        organisation_id = getattr(user, "organisation_id", None)
    event = AuditEvent.objects.create(
        user=user if authenticated else None,
        username=(username or "")[:150],
        organisation_id=organisation_id,
        action=action,
        target=str(target)[:255],
        details=details or {},
        ip_address=client_address(request),
    )
    logger.info(
        "audit %s by %s on %s", action, event.username or "-", event.target or "-"
    )
    return event


def client_address(request):
    """The address the request came from, as django-axes sees it, or None.

    django-axes takes REMOTE_ADDR unless AXES_CLIENT_IP_CALLABLE is set, so a
    deployment behind a proxy sets that one setting for both lockouts and the
    audit log.
    """
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(getattr(request, "_request", request)) or None
