"""Attach interventions to the territories that cover them, in set-based SQL.

Rule: within each territory set, an intervention is attached to at most one
territory. Candidates are the territories of the set whose polygon covers the
point (ST_Covers, so a point on a boundary counts as covered). Among them, the
one with the smallest code in byte order wins (COLLATE "C", the same on every
database), then the smallest id. A point on the edge shared by two districts therefore goes
to exactly one of them, whatever the order of the rows, and totals per set
never count an entry twice. Every version of every set of the intervention's
organisation is considered, so the 2015 and 2024 QPV boundaries can be
compared side by side.

A point covered by no territory of a set gets no row for that set: it is
counted as outside that set (entries of the organisation minus rows of the
set), never dropped. An intervention covered by no territory of any set gets
`outside_territories`.

Each function runs one INSERT ... SELECT for the whole batch, in one
transaction with the DELETE of the old rows and the update of the flag. Two
query shapes use the GiST indexes: a few entries probe the territories' index
(`_INSERT_BY_ENTRIES`), while a whole set or organisation walks its
territories and probes the entries' index (`_INSERT_BY_TERRITORIES`), so that
PostGIS reuses each prepared polygon for all the points it covers.

benchmarks/attach.py (1,000,000 points, 2,000 polygons of 64 vertices,
PostgreSQL 15 and PostGIS 3.3 on 2 cores shared with other jobs, load
average about 7.5) measured 97 s for `reattach_set`. A separate EXPLAIN
ANALYZE put the join at about a third of that. The rest writes the rows,
their indexes and the deferred foreign-key checks. The entry-driven shape,
with a flag update of every entry, took 175 s in the same conditions.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)

_INSERT_BY_ENTRIES = """
INSERT INTO territories_attachment (intervention_id, territory_id, territory_set_id)
SELECT DISTINCT ON (i.id, t.territory_set_id) i.id, t.id, t.territory_set_id
FROM interventions_intervention AS i
JOIN territories_territoryset AS s ON s.organisation_id = i.organisation_id
JOIN territories_territory AS t
  ON t.territory_set_id = s.id AND ST_Covers(t.geom, i.location)
WHERE {where}
ORDER BY i.id, t.territory_set_id, t.code COLLATE "C", t.id
"""

# The MATERIALIZED CTE keeps the planner from driving the join by the entries:
# with the territories outside, each polygon is prepared once for its points.
_INSERT_BY_TERRITORIES = """
WITH t AS MATERIALIZED (
    SELECT t.id, t.code, t.territory_set_id, t.geom, s.organisation_id
    FROM territories_territory AS t
    JOIN territories_territoryset AS s ON s.id = t.territory_set_id
    WHERE {where}
)
INSERT INTO territories_attachment (intervention_id, territory_id, territory_set_id)
SELECT DISTINCT ON (i.id, t.territory_set_id) i.id, t.id, t.territory_set_id
FROM t
JOIN interventions_intervention AS i
  ON i.organisation_id = t.organisation_id AND ST_Covers(t.geom, i.location)
ORDER BY i.id, t.territory_set_id, t.code COLLATE "C", t.id
"""

# Two statements that write only the rows whose flag changes, each a semi- or
# anti-join the planner can hash: rewriting every entry of an organisation
# (and its dozen indexes) took longer than the attachment itself.
_CLEAR_OUTSIDE = """
UPDATE interventions_intervention AS i
SET outside_territories = false
WHERE {where} AND i.outside_territories
  AND EXISTS (SELECT 1 FROM territories_attachment AS a WHERE a.intervention_id = i.id)
"""
_SET_OUTSIDE = """
UPDATE interventions_intervention AS i
SET outside_territories = true
WHERE {where} AND NOT i.outside_territories
  AND NOT EXISTS (SELECT 1 FROM territories_attachment AS a WHERE a.intervention_id = i.id)
"""


def _run(delete, insert, entries):
    """Delete old rows, insert new ones, then update the flag of `entries`.

    `delete` and `insert` are (sql, params) pairs, `entries` a (where, params)
    pair selecting the interventions `i` whose flag may change.
    """
    # Imported here because the layers app imports territory models.
    from layers.cache import bump_data_version

    where, params = entries
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(*delete)
        cursor.execute(*insert)
        attached = cursor.rowcount
        cursor.execute(_CLEAR_OUTSIDE.format(where=where), params)
        cursor.execute(_SET_OUTSIDE.format(where=where), params)
        # Raw SQL sends no model signal, so cached layers are invalidated here.
        bump_data_version()
    return attached


def attach_interventions(intervention_ids):
    """(Re)attach the given interventions to every territory set; return the rows written."""
    ids = [str(pk) for pk in intervention_ids]
    if not ids:
        return 0
    where = "i.id = ANY(%s::uuid[])"
    return _run(
        (
            "DELETE FROM territories_attachment WHERE intervention_id = ANY(%s::uuid[])",
            [ids],
        ),
        (_INSERT_BY_ENTRIES.format(where=where), [ids]),
        (where, [ids]),
    )


def reattach_set(territory_set_id):
    """Recompute the attachments of one territory set for all its organisation's entries.

    Returns the rows written; the organisation's other entries are outside the set.
    """
    attached = _run(
        (
            "DELETE FROM territories_attachment WHERE territory_set_id = %s",
            [territory_set_id],
        ),
        (_INSERT_BY_TERRITORIES.format(where="s.id = %s"), [territory_set_id]),
        (
            "i.organisation_id = "
            "(SELECT organisation_id FROM territories_territoryset WHERE id = %s)",
            [territory_set_id],
        ),
    )
    logger.info("territory set %s: %s attachments", territory_set_id, attached)
    return attached


def reattach_organisation(organisation_id):
    """Recompute every attachment of one organisation's entries; return the rows written."""
    return _run(
        (
            "DELETE FROM territories_attachment AS a USING interventions_intervention AS i "
            "WHERE a.intervention_id = i.id AND i.organisation_id = %s",
            [organisation_id],
        ),
        (
            _INSERT_BY_TERRITORIES.format(where="s.organisation_id = %s"),
            [organisation_id],
        ),
        ("i.organisation_id = %s", [organisation_id]),
    )
