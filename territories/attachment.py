"""Attach interventions to the territories that cover them, in set-based SQL.

Rule: within each territory set, an intervention is attached to at most one
territory: among the territories of the set whose polygon covers the point
(ST_Covers, so a point on a boundary counts as covered), the one with the
smallest code, then the smallest id. A point on the edge shared by two
districts therefore goes to exactly one of them, and totals per set never count
an entry twice. Every version of every set of the intervention's organisation
is considered, so the 2015 and 2024 QPV boundaries can be compared side by side.
An intervention covered by no territory at all gets `outside_territories`.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)

_INSERT = """
INSERT INTO territories_attachment (intervention_id, territory_id, territory_set_id)
SELECT DISTINCT ON (i.id, t.territory_set_id) i.id, t.id, t.territory_set_id
FROM interventions_intervention AS i
JOIN territories_territoryset AS s ON s.organisation_id = i.organisation_id
JOIN territories_territory AS t
  ON t.territory_set_id = s.id AND ST_Covers(t.geom, i.location)
WHERE {where}
ORDER BY i.id, t.territory_set_id, t.code, t.id
"""

_FLAG_OUTSIDE = """
UPDATE interventions_intervention AS i
SET outside_territories = NOT EXISTS (
    SELECT 1 FROM territories_attachment AS a WHERE a.intervention_id = i.id
)
WHERE {where}
"""


def _run(where, params, delete_sql, delete_params, set_id=None):
    insert_where = where + (" AND s.id = %s" if set_id is not None else "")
    insert_params = params + ([set_id] if set_id is not None else [])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(delete_sql, delete_params)
        cursor.execute(_INSERT.format(where=insert_where), insert_params)
        attached = cursor.rowcount
        cursor.execute(_FLAG_OUTSIDE.format(where=where), params)
    return attached


def attach_interventions(intervention_ids):
    """(Re)attach the given interventions to every territory set; return the rows written."""
    ids = [str(pk) for pk in intervention_ids]
    if not ids:
        return 0
    return _run(
        "i.id = ANY(%s::uuid[])",
        [ids],
        "DELETE FROM territories_attachment WHERE intervention_id = ANY(%s::uuid[])",
        [ids],
    )


def reattach_set(territory_set_id):
    """Recompute the attachments of one territory set for all its organisation's entries."""
    attached = _run(
        "i.organisation_id = (SELECT organisation_id FROM territories_territoryset WHERE id = %s)",
        [territory_set_id],
        "DELETE FROM territories_attachment WHERE territory_set_id = %s",
        [territory_set_id],
        set_id=territory_set_id,
    )
    logger.info("territory set %s: %s attachments", territory_set_id, attached)
    return attached


def reattach_organisation(organisation_id):
    """Recompute every attachment of one organisation's entries."""
    return _run(
        "i.organisation_id = %s",
        [organisation_id],
        "DELETE FROM territories_attachment AS a USING interventions_intervention AS i "
        "WHERE a.intervention_id = i.id AND i.organisation_id = %s",
        [organisation_id],
    )
