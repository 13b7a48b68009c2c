"""The export form of the page: layer, format, CRS, the map's filters and options."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from interventions.models import Category
from layers.exports.catalogue import FORMAT_LABELS, SRID_LABELS, SRIDS, layers_for
from layers.exports.errors import ExportError
from layers.exports.services import ExportOptions, check_export, parse_srid
from layers.filters import DAY_KINDS, STATUSES, TIME_SLOTS, LayerFilters

STATUS_LABELS = {
    "draft": _("draft"),
    "submitted": _("submitted"),
    "validated": _("validated"),
    "rejected": _("rejected"),
}
TIME_SLOT_LABELS = {
    "morning": _("morning (6 h to 12 h)"),
    "afternoon": _("afternoon (12 h to 18 h)"),
    "evening": _("evening (18 h to 22 h)"),
    "night": _("night (22 h to 6 h)"),
}
DAY_KIND_LABELS = {"weekday": _("weekdays"), "weekend": _("weekends")}

# Filter fields of the form, named as LayerFilters.from_query reads them.
FILTER_FIELDS = (
    "start",
    "end",
    "category",
    "territory_set",
    "territory",
    "status",
    "time_slot",
    "day_kind",
)


class ExportForm(forms.Form):
    layer = forms.ChoiceField(label=_("Layer"))
    format = forms.ChoiceField(
        label=_("Format"), choices=[(key, label) for key, label in FORMAT_LABELS.items()]
    )
    srid = forms.ChoiceField(
        label=_("Coordinate reference system"),
        choices=[(str(srid), SRID_LABELS[srid]) for srid in SRIDS],
        initial="2154",
        help_text=_("GeoJSON is always written in WGS84 (EPSG:4326), as RFC 7946 requires."),
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.MultipleChoiceField(
        label=_("Categories"), required=False, widget=forms.CheckboxSelectMultiple
    )
    territory_set = forms.ChoiceField(label=_("Territory set"), required=False)
    territory = forms.CharField(
        label=_("Territory ids"),
        required=False,
        help_text=_("Optional: territory ids separated by commas."),
    )
    status = forms.MultipleChoiceField(
        label=_("Statuses"),
        required=False,
        initial=["validated"],
        choices=[(status, STATUS_LABELS[status]) for status in STATUSES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Validated entries only when none is ticked."),
    )
    time_slot = forms.MultipleChoiceField(
        label=_("Time slots"),
        required=False,
        choices=[(slot, TIME_SLOT_LABELS[slot]) for slot in TIME_SLOTS],
        widget=forms.CheckboxSelectMultiple,
    )
    day_kind = forms.ChoiceField(
        label=_("Days"),
        required=False,
        choices=[("", _("all days"))]
        + [(kind, DAY_KIND_LABELS[kind]) for kind in DAY_KINDS],
    )
    bom = forms.BooleanField(
        label=_("CSV for Excel (byte-order mark)"),
        required=False,
        help_text=_("Starts the CSV file with a byte-order mark so that Excel reads accents."),
    )
    cell_size = forms.FloatField(
        label=_("Hexagon edge (m)"),
        required=False,
        min_value=50,
        max_value=5000,
        help_text=_("Hot spot and coverage grids; 250 m by default."),
    )
    bandwidth = forms.FloatField(
        label=_("Kernel bandwidth (m)"),
        required=False,
        min_value=1,
        help_text=_("Density only; Silverman's rule (at least 50 m) by default."),
    )
    pixel_size = forms.FloatField(
        label=_("Pixel size (m)"),
        required=False,
        min_value=1,
        help_text=_("Density only; a quarter of the bandwidth by default."),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["layer"].choices = [(spec.name, spec.label) for spec in layers_for(scope)]
        self.fields["category"].choices = list(
            Category.objects.filter(
                Q(organisation__isnull=True) | Q(organisation_id=scope.organisation_id),
                is_active=True,
            )
            .order_by("position", "label")
            .values_list("code", "label")
        )
        self.fields["territory_set"].choices = [("", _("none"))] + [
            (str(tset.pk), f"{tset.name} (v{tset.version})")
            for tset in scope.territory_sets().order_by("name", "-version")
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["filters"] = LayerFilters.from_query(self._filter_params(data))
            data["srid"] = parse_srid(data["srid"])
            check_export(self.scope, data["layer"], data["format"], data["srid"])
            data["options"] = ExportOptions(
                bom=data.get("bom") or False,
                cell_size=data.get("cell_size") or 250.0,
                bandwidth=data.get("bandwidth"),
                pixel_size=data.get("pixel_size"),
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        except ExportError as error:
            raise ValidationError(str(error)) from None
        return data

    @staticmethod
    def _filter_params(data):
        params = QueryDict(mutable=True)
        for name in FILTER_FIELDS:
            value = data.get(name)
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                params.setlist(name, value)
            else:
                params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return params
