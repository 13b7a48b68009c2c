"""Menu entries of each role. Entries whose page is not installed are left out."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

MEDIATOR = "mediator"
COORDINATOR = "coordinator"
ANALYST = "analyst"
CLIENT_VIEWER = "client_viewer"
ADMIN = "admin"

# (URL name, label, roles that see the entry)
MENU = [
    ("interventions:capture", _("New entry"), {MEDIATOR, COORDINATOR}),
    ("interventions:mine", _("My entries"), {MEDIATOR}),
    ("interventions:review", _("Review queue"), {COORDINATOR}),
    ("layers:map", _("Map"), {COORDINATOR, ANALYST, CLIENT_VIEWER, ADMIN}),
    ("reports:index", _("Reports"), {COORDINATOR, ANALYST, CLIENT_VIEWER}),
    ("exports:index", _("Exports"), {COORDINATOR, ANALYST, CLIENT_VIEWER}),
    ("territories:index", _("Territories"), {ANALYST, ADMIN, COORDINATOR}),
    ("accounts:audit", _("Audit log"), {ADMIN}),
    ("admin:index", _("Administration"), {ADMIN}),
    ("api-docs", _("API"), {COORDINATOR, ANALYST, ADMIN}),
]


def menu_for(user):
    if not user.is_authenticated:
        return []
    role = ADMIN if user.is_superuser else user.role
    items = []
    for url_name, label, roles in MENU:
        if role not in roles:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "name": url_name})
    return items
