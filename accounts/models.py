from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.querysets import (
    AuditEventQuerySet,
    ClientQuerySet,
    OrganisationQuerySet,
    ScopedUserManager,
)


class Organisation(models.Model):
    """A mediation provider: the tenant that every other row belongs to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Client(models.Model):
    """A collectivité or a bailleur that an organisation works for.

    Its perimeter is a set of territories: client viewers see aggregates of the
    entries attached to those territories and nothing else.
    """

    class Kind(models.TextChoices):
        COLLECTIVITE = "collectivite", _("local authority")
        BAILLEUR = "bailleur", _("social landlord")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="clients",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    perimeter = models.ManyToManyField(
        "territories.Territory",
        blank=True,
        related_name="clients",
        verbose_name=_("perimeter"),
        help_text=_("Territories whose entries this client may see in aggregate."),
    )

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="client_unique_name_per_organisation"
            )
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        MEDIATOR = "mediator", _("mediator")
        COORDINATOR = "coordinator", _("coordinator")
        ANALYST = "analyst", _("analyst")
        CLIENT_VIEWER = "client_viewer", _("client viewer")
        ADMIN = "admin", _("administrator")

    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.MEDIATOR
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("client"),
        help_text=_("Required for client viewers: the client whose perimeter they see."),
    )

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        if self.role == self.Role.CLIENT_VIEWER and self.client_id is None:
            raise ValidationError({"client": _("A client viewer needs a client.")})
        if self.client_id is not None and self.organisation_id is not None:
            if self.client.organisation_id != self.organisation_id:
                raise ValidationError(
                    {"client": _("The client belongs to another organisation.")}
                )
        if not self.is_superuser and self.organisation_id is None:
            raise ValidationError({"organisation": _("Choose the user's organisation.")})

    @property
    def is_provider_staff(self):
        """True for the provider's own roles, who may see individual entries."""
        return self.role in {
            self.Role.MEDIATOR,
            self.Role.COORDINATOR,
            self.Role.ANALYST,
            self.Role.ADMIN,
        }


class AuditEventChangeRejected(Exception):
    """Raised on an attempt to change or delete a recorded audit event."""


class AuditEvent(models.Model):
    """An audited action: its user, time, target and filters. Rows are only inserted.

    `save` rejects updates and `delete` rejects deletions; a database trigger
    (migration 0004) rejects UPDATE and DELETE statements as well, except the
    update that Django's SET_NULL makes when the user or organisation is
    deleted (the username stays).
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOCKOUT = "lockout", _("login lockout")
        EXPORT = "export", _("export")
        REPORT_DOWNLOAD = "report_download", _("report download")
        VALIDATION = "validation", _("validation")
        REJECTION = "rejection", _("rejection")
        IMPORT = "import", _("territory import")

    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    target = models.CharField(_("target"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at"]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEventChangeRejected(
                f"audit event {self.pk} was not saved: "
                "recorded events cannot be changed."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEventChangeRejected(
            f"audit event {self.pk} was not deleted: recorded events cannot be deleted."
        )
