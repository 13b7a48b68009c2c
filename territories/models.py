from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from territories.querysets import TerritoryQuerySet, TerritorySetQuerySet


class TerritorySet(models.Model):
    """One version of a layer of polygons: the 2015 QPV, the districts of a city.

    Importing a set again under the same slug creates a new version; earlier
    versions stay in the database with their validity dates.
    """

    class Kind(models.TextChoices):
        COMMUNE = "commune", _("commune")
        DISTRICT = "district", _("district")
        QPV = "qpv", _("QPV priority neighbourhood")
        IRIS = "iris", _("IRIS")
        LANDLORD_ESTATE = "landlord_estate", _("landlord estate")
        PATROL_SECTOR = "patrol_sector", _("patrol sector")

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="territory_sets",
        verbose_name=_("organisation"),
    )
    slug = models.SlugField(_("slug"), max_length=80)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    source = models.TextField(_("source"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_derived = models.BooleanField(
        _("derived"),
        default=False,
        help_text=_(
            "The polygons were computed from other data, not published as such."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TerritorySetQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory set")
        verbose_name_plural = _("territory sets")
        ordering = ["organisation", "slug", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug", "version"],
                name="territory_set_unique_version",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="territory_set_valid_period",
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"


class Territory(models.Model):
    territory_set = models.ForeignKey(
        TerritorySet,
        on_delete=models.CASCADE,
        related_name="territories",
        verbose_name=_("territory set"),
    )
    code = models.CharField(_("code"), max_length=80)
    name = models.CharField(_("name"), max_length=255)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    properties = models.JSONField(_("source attributes"), default=dict, blank=True)
    geom = models.MultiPolygonField(_("geometry"), srid=settings.WORKING_SRID)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["territory_set", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory_set", "code"], name="territory_unique_code_per_set"
            ),
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="territory_geom_is_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Attachment(models.Model):
    """Link from an intervention to the territory that covers it.

    There is at most one row per intervention and territory set, so totals per
    set never count an entry twice. territories/attachment.py documents the
    rule that picks the territory for a point on a shared edge.
    """

    # No index of their own on the two columns below: the unique constraint
    # (intervention, territory_set) and the index (territory, intervention)
    # start with them, and every extra index slows down re-attachment.
    intervention = models.ForeignKey(
        "interventions.Intervention",
        on_delete=models.CASCADE,
        related_name="attachments",
        db_index=False,
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    territory_set = models.ForeignKey(
        TerritorySet, on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "territory_set"],
                name="attachment_one_territory_per_set",
            )
        ]
        indexes = [models.Index(fields=["territory", "intervention"])]
