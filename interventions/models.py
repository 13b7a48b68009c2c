import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interventions.querysets import InterventionQuerySet

NOTE_MAX_LENGTH = 280


class NomenclatureItem(models.Model):
    """A value of the shared form, editable by an administrator.

    Rows with no organisation form the default nomenclature that every
    organisation uses; an organisation may add its own rows.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("organisation"),
        help_text=_("Empty for the default nomenclature shared by all organisations."),
    )
    code = models.SlugField(_("code"), max_length=80)
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "label"]

    def __str__(self):
        return self.label


class Category(NomenclatureItem):
    class Meta(NomenclatureItem.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="category_unique_code")
        ]


class InterventionType(NomenclatureItem):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="types", verbose_name=_("category")
    )

    class Meta(NomenclatureItem.Meta):
        verbose_name = _("intervention type")
        verbose_name_plural = _("intervention types")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="type_unique_code")
        ]


class Theme(NomenclatureItem):
    class Meta(NomenclatureItem.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="theme_unique_code")
        ]


class Partner(NomenclatureItem):
    class Meta(NomenclatureItem.Meta):
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="partner_unique_code")
        ]


class Outcome(NomenclatureItem):
    class Meta(NomenclatureItem.Meta):
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="outcome_unique_code")
        ]


class Intervention(models.Model):
    """One field entry. Its UUID is made by the phone, so a resent entry is recognised."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        VALIDATED = "validated", _("validated")
        REJECTED = "rejected", _("rejected")

    class LocationMethod(models.TextChoices):
        GPS = "gps", _("GPS")
        MAP_TAP = "map_tap", _("map tap")
        ADDRESS = "address", _("address")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="interventions",
        verbose_name=_("organisation"),
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="interventions",
        verbose_name=_("mediator"),
    )
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    location = models.PointField(_("location"), srid=settings.WORKING_SRID)
    location_accuracy_m = models.FloatField(
        _("location accuracy (m)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    location_method = models.CharField(
        _("location method"),
        max_length=20,
        choices=LocationMethod.choices,
        default=LocationMethod.MAP_TAP,
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    type = models.ForeignKey(
        InterventionType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("type"),
    )
    themes = models.ManyToManyField(Theme, blank=True, verbose_name=_("themes"))
    partners = models.ManyToManyField(
        Partner, blank=True, verbose_name=_("partners mobilised")
    )
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome"),
    )
    people_count = models.PositiveSmallIntegerField(
        _("number of people"), default=1, validators=[MaxValueValidator(1000)]
    )
    intensity = models.PositiveSmallIntegerField(
        _("intensity"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("1 low, 2 medium, 3 high."),
    )
    note = models.CharField(
        _("note"),
        max_length=NOTE_MAX_LENGTH,
        blank=True,
        help_text=_("Short and factual. Never write names or personal details."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.SUBMITTED,
        db_index=True,
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    outside_territories = models.BooleanField(
        _("outside every territory"),
        default=False,
        help_text=_("Set when the point lies in none of the organisation's territories."),
    )
    is_demo = models.BooleanField(
        _("demonstration data"),
        default=False,
        help_text=_("Loaded from open data to demonstrate the service, not a real entry."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = InterventionQuerySet.as_manager()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["organisation", "occurred_at"]),
            models.Index(fields=["organisation", "status"]),
            # Serves the check, made on every page, of whether the organisation
            # has demonstration entries.
            models.Index(
                fields=["organisation"],
                condition=Q(is_demo=True),
                name="intervention_demo_by_org",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(intensity__gte=1) & Q(intensity__lte=3),
                name="intervention_intensity_1_to_3",
            )
        ]

    def __str__(self):
        return f"{self.category} – {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def is_editable(self):
        return self.status in {self.Status.DRAFT, self.Status.SUBMITTED, self.Status.REJECTED}
