"""Record audit events: exports, report downloads, validations, rejections, imports, logins."""

import logging

from accounts.models import AuditEvent

logger = logging.getLogger(__name__)


def record_event(user, action, *, target="", details=None, request=None):
    """Insert one audit event and return it.

    `details` holds JSON-ready values such as the filters used; `request`, when
    given, supplies the client address.
    """
    authenticated = user is not None and user.is_authenticated
    event = AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        organisation_id=getattr(user, "organisation_id", None) if authenticated else None,
        action=action,
        target=str(target)[:255],
        details=details or {},
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
    logger.info("audit %s by %s on %s", action, event.username or "-", event.target or "-")
    return event
