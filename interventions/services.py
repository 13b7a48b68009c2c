"""Write paths of the capture: idempotent submission, edits, validation and rejection.

An entry's UUID is made on the phone, so the phone can send the same entry again
after a lost response. `intervention_submit` inserts the row when the UUID is
new. When the UUID exists, the primary key makes a second insert fail inside a
savepoint, even one running concurrently, and the stored row is then compared
with what was sent.
"""

import enum
import logging
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import record_event
from accounts.models import AuditEvent
from interventions.models import Intervention
from territories.attachment import attach_interventions

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATE for a unique violation.
UNIQUE_VIOLATION = "23505"

# Plain fields a submission sets, each compared as such on a resend.
SCALAR_FIELDS = [
    "occurred_at",
    "duration_minutes",
    "location_accuracy_m",
    "location_method",
    "people_count",
    "intensity",
    "note",
]
# Nomenclature fields, compared by primary key so that no row is fetched.
FOREIGN_KEY_FIELDS = ["category", "type", "outcome"]
MANY_FIELDS = ["themes", "partners"]

# The statuses a phone or the edit form may set; reviews set the others.
PHONE_STATUSES = {Intervention.Status.DRAFT, Intervention.Status.SUBMITTED}

# Two locations closer than this, in metres of the working CRS, are the same point:
# the phone's coordinates go through one floating-point reprojection.
SAME_POINT_TOLERANCE_M = 0.001

# Values of the fields a phone leaves out of a submission.
FIELD_DEFAULTS = {
    "duration_minutes": 0,
    "location_accuracy_m": None,
    "location_method": Intervention.LocationMethod.MAP_TAP,
    "outcome": None,
    "people_count": 1,
    "intensity": 1,
    "note": "",
    "status": Intervention.Status.SUBMITTED,
    "themes": [],
    "partners": [],
}


class InterventionError(Exception):
    """Base of the errors a write to an entry raises."""


class EntryLocked(InterventionError):
    """The entry was validated, so it can no longer be changed."""

    def __init__(self, entry):
        super().__init__(f"entry {entry.pk} is {entry.status} and cannot be changed")
        self.entry = entry


class EntryIdTaken(InterventionError):
    """The UUID belongs to an entry of another mediator or organisation."""

    def __init__(self, entry_id):
        super().__init__(f"entry id {entry_id} belongs to another mediator")
        self.entry_id = entry_id


class ReviewNotAllowed(InterventionError):
    """Only submitted entries can be validated or rejected."""

    def __init__(self, entry):
        super().__init__(f"entry {entry.pk} is {entry.status}, not submitted")
        self.entry = entry


class SubmitOutcome(enum.Enum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"


@dataclass
class SubmitResult:
    entry: Intervention
    outcome: SubmitOutcome


def with_defaults(fields):
    """Return the submission's fields, with the defaults for those left out."""
    return {**FIELD_DEFAULTS, **fields}


def entry_differences(entry, fields):
    """Return the names of the fields whose submitted value differs from the entry."""
    fields = with_defaults(fields)
    differences = [
        name for name in SCALAR_FIELDS if getattr(entry, name) != fields[name]
    ]
    for name in FOREIGN_KEY_FIELDS:
        submitted = fields[name].pk if fields[name] is not None else None
        if getattr(entry, f"{name}_id") != submitted:
            differences.append(name)
    # A reviewed entry keeps the status the review gave it: a phone that sends it
    # again as submitted is retrying, not asking for another review.
    if entry.status in PHONE_STATUSES and entry.status != fields["status"]:
        differences.append("status")
    if entry.location.distance(fields["location"]) > SAME_POINT_TOLERANCE_M:
        differences.append("location")
    for name in MANY_FIELDS:
        stored = {item.pk for item in getattr(entry, name).all()}
        if stored != {item.pk for item in fields[name]}:
            differences.append(name)
    return differences


def _is_primary_key_violation(error):
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
        return False
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    return constraint == f"{Intervention._meta.db_table}_pkey"


def _attach(entry):
    """Attach the entry to its territories and read back the outside flag it sets."""
    attach_interventions([entry.pk])
    entry.refresh_from_db(fields=["outside_territories"])


def _apply(entry, fields):
    for name in SCALAR_FIELDS + FOREIGN_KEY_FIELDS:
        setattr(entry, name, fields[name])
    entry.location = fields["location"]
    entry.status = fields["status"]


def _insert(*, user, entry_id, fields):
    entry = Intervention(
        id=entry_id, organisation_id=user.organisation_id, mediator=user
    )
    _apply(entry, fields)
    entry.save(force_insert=True)
    # A new row has no links yet: add them without reading the current ones.
    if fields["themes"]:
        entry.themes.add(*fields["themes"])
    if fields["partners"]:
        entry.partners.add(*fields["partners"])

    return entry


@transaction.atomic
def intervention_submit(*, user, entry_id: UUID, fields: dict) -> SubmitResult:
    """Store an entry sent by a phone, at most once per UUID.

    A new UUID inserts a row (CREATED). A known UUID of the same mediator with the
    same content changes nothing (UNCHANGED). With other content it updates the
    entry while it is editable (UPDATED) and raises EntryLocked once it is
    validated. A UUID of another mediator raises EntryIdTaken. `fields` contains
    validated values, with the location in the working CRS.
    """
    fields = with_defaults(fields)
    try:
        with transaction.atomic():
            entry = _insert(user=user, entry_id=entry_id, fields=fields)
    except IntegrityError as error:
        if not _is_primary_key_violation(error):
            raise
    else:
        _attach(entry)
        logger.info("entry %s created by %s", entry.pk, user.get_username())
        return SubmitResult(entry, SubmitOutcome.CREATED)

    # The UUID exists. A concurrent insert of the same UUID waited above until the
    # first one committed, so the row read here is complete, themes included.
    entry = (
        Intervention.objects.visible_to(user)
        .select_for_update(of=("self",))
        .filter(pk=entry_id, mediator=user)
        .first()
    )
    if entry is None:
        logger.warning(
            "entry id %s sent by %s belongs to another mediator",
            entry_id,
            user.get_username(),
        )
        raise EntryIdTaken(entry_id)
    differences = entry_differences(entry, fields)
    if not differences:
        return SubmitResult(entry, SubmitOutcome.UNCHANGED)
    if not entry.is_editable:
        logger.info(
            "entry %s is %s: changes to %s from %s rejected",
            entry.pk,
            entry.status,
            differences,
            user.get_username(),
        )
        raise EntryLocked(entry)
    intervention_update(entry=entry, fields=fields)
    logger.info(
        "entry %s updated by %s: %s", entry.pk, user.get_username(), differences
    )

    return SubmitResult(entry, SubmitOutcome.UPDATED)


@transaction.atomic
def intervention_update(*, entry: Intervention, fields: dict) -> Intervention:
    """Change an editable entry and attach it again to its territories.

    A rejected entry that is changed takes the status sent with the change,
    submitted unless the mediator keeps it as a draft, so it returns to the
    review queue. Its rejection comment stays visible until the next review.
    """
    if not entry.is_editable:
        raise EntryLocked(entry)
    fields = with_defaults(fields)
    _apply(entry, fields)
    entry.save()
    entry.themes.set(fields["themes"])
    entry.partners.set(fields["partners"])
    _attach(entry)

    return entry


def _locked_for_review(reviewer, entry_id):
    entry = (
        Intervention.objects.visible_to(reviewer)
        .select_for_update(of=("self",))
        .get(pk=entry_id)
    )
    if entry.status != Intervention.Status.SUBMITTED:
        raise ReviewNotAllowed(entry)
    return entry


def _review_details(entry):
    return {
        "mediator": entry.mediator.get_username(),
        "category": entry.category.code,
        "type": entry.type.code,
        "occurred_at": entry.occurred_at.isoformat(),
    }


def _save_review(entry, reviewer, status, *, comment):
    """Store the reviewer's decision on a locked entry."""
    entry.status = status
    entry.review_comment = comment
    entry.reviewed_by = reviewer
    entry.reviewed_at = timezone.now()
    entry.save(
        update_fields=["status", "review_comment", "reviewed_by", "reviewed_at", "updated_at"]
    )


@transaction.atomic
def intervention_validate(*, reviewer, entry_id: UUID, request=None) -> Intervention:
    """Validate a submitted entry and record the validation in the audit log.

    Raises Intervention.DoesNotExist when the reviewer cannot see the entry and
    ReviewNotAllowed when it is not submitted.
    """
    entry = _locked_for_review(reviewer, entry_id)
    _save_review(entry, reviewer, Intervention.Status.VALIDATED, comment="")
    record_event(
        reviewer,
        AuditEvent.Action.VALIDATION,
        target=str(entry.pk),
        details=_review_details(entry),
        request=request,
    )

    return entry


@transaction.atomic
def intervention_reject(
    *, reviewer, entry_id: UUID, comment: str, request=None
) -> Intervention:
    """Reject a submitted entry with a comment for the mediator, and audit it.

    Raises Intervention.DoesNotExist when the reviewer cannot see the entry,
    ReviewNotAllowed when it is not submitted and ValueError for an empty comment.
    """
    comment = comment.strip()
    if not comment:
        raise ValueError("a rejection needs a comment for the mediator")
    entry = _locked_for_review(reviewer, entry_id)
    _save_review(entry, reviewer, Intervention.Status.REJECTED, comment=comment)
    record_event(
        reviewer,
        AuditEvent.Action.REJECTION,
        target=str(entry.pk),
        details={**_review_details(entry), "comment": comment},
        request=request,
    )

    return entry
