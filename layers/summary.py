"""Counts behind one map feature: a grid cell or a territory, by category."""

from django.db.models import Count, F

from layers.grid import HEX_CELL_LATERAL, check_cell_size
from layers.sql import entries_sql, fetch_all

_CELL_CATEGORIES = """
WITH entries AS ({entries})
SELECT entries.category_code, entries.category_label, count(*)
FROM entries
{cell_lateral}
WHERE cell.i = %s AND cell.j = %s
GROUP BY 1, 2
ORDER BY 3 DESC, 1
"""


def cell_category_counts(interventions_qs, *, cell_size, i, j):
    """Entries of lattice cell (i, j) per category, largest first.

    Returns a list of ``{"code", "label", "count"}``; entries are placed in
    cells exactly as `hex_grid_counts` places them.
    """
    cell_size = check_cell_size(cell_size)
    entries, params = entries_sql(
        interventions_qs,
        category_code=F("category__code"),
        category_label=F("category__label"),
    )
    sql = _CELL_CATEGORIES.format(entries=entries, cell_lateral=HEX_CELL_LATERAL)
    rows = fetch_all(sql, params + [cell_size, cell_size, int(i), int(j)])
    return [
        {"code": code, "label": label, "count": count} for code, label, count in rows
    ]


def territory_category_counts(interventions_qs, *, territory_id):
    """Entries attached to a territory per category, largest first."""
    rows = (
        interventions_qs.filter(attachments__territory_id=territory_id)
        .order_by()
        .values(code=F("category__code"), label=F("category__label"))
        .annotate(count=Count("pk"))
        .order_by("-count", "code")
    )
    return [dict(row) for row in rows]
