"""The filter form of the planners' map; its field names are the API's query parameters."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layers.filters import DAY_KINDS, STATUSES, TIME_SLOTS

TIME_SLOT_LABELS = {
    "morning": _("morning (6 h – 12 h)"),
    "afternoon": _("afternoon (12 h – 18 h)"),
    "evening": _("evening (18 h – 22 h)"),
    "night": _("night (22 h – 6 h)"),
}
DAY_KIND_LABELS = {"weekday": _("weekdays"), "weekend": _("weekends")}
STATUS_LABELS = {
    "draft": _("draft"),
    "submitted": _("submitted"),
    "validated": _("validated"),
    "rejected": _("rejected"),
}


def _nomenclature_choices(model, organisation_id):
    rows = model.objects.filter(
        Q(organisation=None) | Q(organisation_id=organisation_id)
    )
    return [("", _("all"))] + [
        (row.code, row.label) for row in rows.filter(is_active=True)
    ]


class LayerFilterForm(forms.Form):
    start = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(label=_("category"), required=False)
    type = forms.ChoiceField(label=_("type"), required=False)
    theme = forms.ChoiceField(label=_("theme"), required=False)
    territory_set = forms.ChoiceField(label=_("territory set"), required=False)
    territory = forms.MultipleChoiceField(label=_("territories"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False)
    time_slot = forms.ChoiceField(label=_("time slot"), required=False)
    day_kind = forms.ChoiceField(label=_("days"), required=False)
    cell_size = forms.IntegerField(
        label=_("cell size (m)"),
        min_value=50,
        max_value=5000,
        initial=250,
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        from interventions.models import Category, InterventionType, Theme
        from territories.models import Territory, TerritorySet

        super().__init__(*args, **kwargs)
        organisation_id = user.organisation_id
        self.fields["category"].choices = _nomenclature_choices(
            Category, organisation_id
        )
        self.fields["type"].choices = _nomenclature_choices(
            InterventionType, organisation_id
        )
        self.fields["theme"].choices = _nomenclature_choices(Theme, organisation_id)
        sets = TerritorySet.objects.visible_to(user).order_by("name", "-version")
        self.fields["territory_set"].choices = [("", _("none"))] + [
            (str(item.pk), str(item)) for item in sets
        ]
        territories = Territory.objects.visible_to(user).select_related("territory_set")
        self.fields["territory"].choices = [
            (str(item.pk), f"{item.name} ({item.territory_set.name})")
            for item in territories.order_by("territory_set__name", "name")[:2000]
        ]
        self.fields["time_slot"].choices = [("", _("all"))] + [
            (slot, TIME_SLOT_LABELS[slot]) for slot in TIME_SLOTS
        ]
        self.fields["day_kind"].choices = [("", _("all days"))] + [
            (kind, DAY_KIND_LABELS[kind]) for kind in DAY_KINDS
        ]
        if user.role == user.Role.CLIENT_VIEWER and not user.is_superuser:
            del self.fields["status"]
        else:
            self.fields["status"].choices = [
                (status, STATUS_LABELS[status]) for status in STATUSES
            ]
            self.fields["status"].initial = "validated"
