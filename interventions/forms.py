"""Forms of the pages: editing an own entry, rejecting an entry."""

from django import forms
from django.conf import settings
from django.contrib.gis import forms as gis_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from leaflet.forms.widgets import LeafletWidget

from interventions import validation
from interventions.models import (
    NOTE_MAX_LENGTH,
    Category,
    Intervention,
    InterventionType,
    Outcome,
    Partner,
    Theme,
)
from interventions.selectors import nomenclature_items

REJECTION_COMMENT_MAX_LENGTH = 1000


class EntryForm(forms.ModelForm):
    """The shared form on a page, for a mediator correcting an entry not yet validated.

    The map widget works in EPSG:4326 and the field stores the point in the
    working CRS.
    """

    location = gis_forms.PointField(
        label=_("location"),
        srid=settings.WORKING_SRID,
        widget=LeafletWidget(),
    )
    occurred_at = forms.DateTimeField(
        label=_("time"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )

    class Meta:
        model = Intervention
        fields = [
            "location",
            "occurred_at",
            "duration_minutes",
            "category",
            "type",
            "themes",
            "partners",
            "outcome",
            "people_count",
            "intensity",
            "note",
        ]
        widgets = {
            "themes": forms.CheckboxSelectMultiple,
            "partners": forms.CheckboxSelectMultiple,
            "intensity": forms.RadioSelect(choices=[(1, "1"), (2, "2"), (3, "3")]),
            "note": forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        }

    def __init__(self, *args, csp_nonce="", **kwargs):
        super().__init__(*args, **kwargs)
        # ModelForm validation writes the cleaned values into the instance, so the
        # stored point is kept to tell whether the mediator moved it.
        self.stored_location = self.instance.location.clone()
        organisation_id = self.instance.organisation_id
        for name, model in (
            ("category", Category),
            ("type", InterventionType),
            ("themes", Theme),
            ("partners", Partner),
            ("outcome", Outcome),
        ):
            self.fields[name].queryset = nomenclature_items(model, organisation_id)
        # django-leaflet writes an inline script that needs the page's CSP nonce.
        self.fields["location"].widget.csp_nonce = csp_nonce
        self.fields["note"].help_text = _(
            "Never write names, addresses, phone numbers or anything that identifies "
            "a person."
        )

    def clean_location(self):
        point = self.cleaned_data["location"]
        wgs84 = point.transform(4326, clone=True)
        validation.check_point_wgs84(wgs84)
        return point

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        validation.check_occurred_at(value)
        return value

    def clean(self):
        cleaned = super().clean()
        category, kind = cleaned.get("category"), cleaned.get("type")
        if category and kind and kind.category.code != category.code:
            self.add_error(
                "type",
                ValidationError(
                    _(
                        "The type “%(type)s” does not belong to the category "
                        "“%(category)s”."
                    )
                    % {"type": kind.label, "category": category.label}
                ),
            )
        return cleaned

    def submission_fields(self):
        """Return the cleaned values in the shape the capture services take."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields["outcome"] = data.get("outcome")
        fields["themes"] = list(data["themes"])
        fields["partners"] = list(data["partners"])
        fields["location_accuracy_m"] = self.instance.location_accuracy_m
        fields["location_method"] = self.instance.location_method
        if self.stored_location.distance(data["location"]) > 0.001:
            # Moved by hand on the map: the phone's accuracy no longer applies.
            fields["location_accuracy_m"] = None
            fields["location_method"] = Intervention.LocationMethod.MAP_TAP
        fields["status"] = Intervention.Status.SUBMITTED
        if self.instance.status == Intervention.Status.DRAFT:
            fields["status"] = Intervention.Status.DRAFT
        return fields


class RejectionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the mediator"),
        max_length=REJECTION_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Say what to correct. The mediator sees this comment."),
        error_messages={
            "required": _("Write a comment for the mediator to reject an entry."),
            "max_length": _(
                "The comment has %(show_value)d characters; the limit is "
                "%(limit_value)d. Shorten it."
            ),
        },
    )

    def clean_comment(self):
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise ValidationError(_("Write what the mediator should correct."))
        return comment
