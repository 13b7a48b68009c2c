from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent


class AuditFilterForm(forms.Form):
    """Filters of the audit log page; every field is optional."""

    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditEvent.Action.choices],
    )
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    target = forms.CharField(label=_("Target"), required=False, max_length=255)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(
                _(
                    "The end date %(end)s is before the start date %(start)s; "
                    "swap them."
                ),
                params={"start": start, "end": end},
            )
        return cleaned

    def apply(self, queryset):
        """Filter `queryset` by the form's values (local dates, both ends included)."""
        data = self.cleaned_data
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        if data.get("username"):
            queryset = queryset.filter(username__icontains=data["username"])
        if data.get("target"):
            queryset = queryset.filter(target__icontains=data["target"])
        if data.get("start"):
            queryset = queryset.filter(occurred_at__date__gte=data["start"])
        if data.get("end"):
            queryset = queryset.filter(occurred_at__date__lte=data["end"])
        return queryset
