"""Audit events for logins, failed logins and lockouts."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts.audit import record_event
from accounts.models import AuditEvent


def _account_organisation_id(username):
    """Return the organisation id of the account `username`, for its admins."""
    if not username:
        return None
    user_model = get_user_model()
    return (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username})
        .values_list("organisation_id", flat=True)
        .first()
    )


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender, request, user, **kwargs):
    record_event(
        user, AuditEvent.Action.LOGIN, request=request, details={"method": "session"}
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` with asterisks;
    # only the username is kept.
    username = str(credentials.get(get_user_model().USERNAME_FIELD, "") or "")
    record_event(
        None,
        AuditEvent.Action.LOGIN_FAILED,
        request=request,
        username=username,
        organisation_id=_account_organisation_id(username),
    )


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    record_event(
        None,
        AuditEvent.Action.LOCKOUT,
        request=request,
        username=username or "",
        organisation_id=_account_organisation_id(username),
    )
