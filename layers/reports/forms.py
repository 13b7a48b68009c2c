"""The form of the report index page.

It only renders the choices; the report pages parse the same query parameters
with `ReportRequest.from_query`, so a link typed by hand behaves like the form.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interventions.models import Category, Intervention, InterventionType, Theme
from layers.filters import DAY_KINDS, STATUSES, TIME_SLOTS
from layers.reports import selectors
from layers.reports.periods import STEPS, default_period
from layers.reports.zone_report import time_slot_label
from layers.reports.zones import clients_visible_to, suppresses_small_counts
from territories.models import Territory, TerritorySet


def _nomenclature_items(model, user):
    return model.objects.filter(
        Q(organisation_id=user.organisation_id) | Q(organisation__isnull=True),
        is_active=True,
    )


def _nomenclature_choices(model, user):
    items = _nomenclature_items(model, user).order_by("position", "label")
    return [(item.code, item.label) for item in items]


def _type_choices(user):
    """Types grouped under their category, in form order."""
    items = (
        _nomenclature_items(InterventionType, user)
        .select_related("category")
        .order_by("category__position", "category__label", "position", "label")
    )
    groups = []
    for item in items:
        if not groups or groups[-1][0] != item.category.label:
            groups.append((item.category.label, []))
        groups[-1][1].append((item.code, item.label))
    return groups


class ReportForm(forms.Form):
    zone = forms.ChoiceField(label=_("Zone"))
    territory_set = forms.ChoiceField(
        label=_("Compare with the zones of"),
        required=False,
        help_text=_("By default, the set of the chosen territory."),
    )
    # A date input only accepts ISO dates as its value; the localised French
    # format (01/10/2023) would leave it empty.
    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    step = forms.ChoiceField(label=_("Series step"))
    category = forms.MultipleChoiceField(label=_("Categories"), required=False)
    type = forms.MultipleChoiceField(label=_("Types"), required=False)
    theme = forms.MultipleChoiceField(label=_("Themes"), required=False)
    time_slot = forms.MultipleChoiceField(
        label=_("Time slots"), required=False, widget=forms.CheckboxSelectMultiple
    )
    day_kind = forms.ChoiceField(label=_("Days"), required=False)
    status = forms.MultipleChoiceField(
        label=_("Statuses"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, user, data=None, **kwargs):
        if data is not None and "status" not in data:
            # The report counts validated entries when no status is given.
            data = data.copy()
            data.setlist("status", ["validated"])
        super().__init__(data=data, **kwargs)
        # Twelve whole months ending with the latest entry the user may see,
        # so that a first report on older data is not empty.
        period = default_period(latest=selectors.latest_entry_day(user))
        self.fields["start"].initial = period.start
        self.fields["end"].initial = period.end

        self.fields["zone"].choices = self._zone_choices(user)
        self.fields["territory_set"].choices = [("", _("the zone's own set"))] + [
            (str(item.pk), f"{item.name} (v{item.version})")
            for item in TerritorySet.objects.visible_to(user).order_by(
                "name", "-version"
            )
        ]

        self.fields["step"].choices = [
            (step, _("month") if step == "month" else _("week")) for step in STEPS
        ]

        self.fields["category"].choices = _nomenclature_choices(Category, user)
        self.fields["type"].choices = _type_choices(user)
        self.fields["theme"].choices = _nomenclature_choices(Theme, user)
        self.fields["time_slot"].choices = [
            (slot, time_slot_label(slot)) for slot in TIME_SLOTS
        ]
        self.fields["day_kind"].choices = [("", _("every day"))] + [
            (kind, _("weekdays") if kind == "weekday" else _("weekends"))
            for kind in DAY_KINDS
        ]

        if suppresses_small_counts(user):
            # Client viewers see validated entries only.
            del self.fields["status"]
        else:
            self.fields["status"].choices = [
                (status, Intervention.Status(status).label) for status in STATUSES
            ]
            self.fields["status"].initial = ["validated"]

    @staticmethod
    def _zone_choices(user):
        groups = []
        clients = [
            (f"client:{client.pk}", client.name)
            for client in clients_visible_to(user).order_by("name")
            if client.perimeter.exists()
        ]
        if clients:
            groups.append((_("Perimeter of a client"), clients))
        territories = (
            Territory.objects.visible_to(user)
            .select_related("territory_set")
            .order_by("territory_set__name", "-territory_set__version", "code")
            .only("id", "code", "name", "territory_set__name", "territory_set__version")
        )
        current_set, options = None, []
        for territory in territories:
            if territory.territory_set != current_set:
                if options:
                    groups.append((str(current_set), options))
                current_set, options = territory.territory_set, []
            options.append(
                (f"territory:{territory.pk}", f"{territory.name} ({territory.code})")
            )
        if options:
            groups.append((str(current_set), options))
        return groups
