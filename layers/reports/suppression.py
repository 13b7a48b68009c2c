"""Small-count suppression for the figures of one report.

Rule, applied for client viewers only:

1. Primary suppression: every count under the threshold
   (settings.SMALL_COUNT_THRESHOLD), zero included, is shown as "< 5".
2. Secondary suppression: the report declares its additive relations. The
   categories of a month add up to the month's total, the months of a category
   add up to the category's total for the period, the types of a category add
   up to the category, and so on. Whenever a relation has exactly one
   suppressed figure, the smallest published part of that relation is
   suppressed too and shown as "s". The total is suppressed only when no part
   is left. This repeats until no relation has a single suppressed figure.
3. Check: the relations are then solved as a linear system over the suppressed
   figures. For any figure that the published ones still determine exactly,
   the smallest published part of one of its relations is suppressed, and
   steps 2 and 3 repeat. Step 2 alone misses, for example, a cell joining two
   blocks of suppressed cells in a two-way table.

Derived figures follow their counts: a change or a rate is shown only when
every count it uses is published. The rule prevents exact recovery of a
hidden figure from the figures of the same report. It does not prevent
narrowing a hidden figure to a range (down to 0 when published figures leave
nothing to share among hidden ones), nor comparing two reports made with
different filters.
"""

import logging

logger = logging.getLogger(__name__)

PUBLISHED = "published"
PRIMARY = "primary"
SECONDARY = "secondary"
HIDDEN = "hidden"


class FigureBook:
    """The counts of one report, their additive relations and their status.

    Figures are keyed by any hashable value. A figure added with
    `hidden=True` takes part in relations but is never shown, such as the
    number of entries in the cells that a report leaves out. It is protected
    like a suppressed figure only when it is under the threshold. A figure added
    with `known=True` is public knowledge whatever its value (a zero the
    reader can infer), so it is never suppressed.
    """

    def __init__(self, threshold):
        self.threshold = threshold
        self.values = {}
        self.status = {}
        self._order = {}
        self._known = set()
        self.relations = []

    def add(self, key, value, *, hidden=False, known=False):
        value = int(value or 0)
        if key in self.values and self.values[key] != value:
            raise ValueError(
                f"figure {key!r} added twice with different values: "
                f"{self.values[key]} and {value}"
            )
        self.values[key] = value
        self._order.setdefault(key, len(self._order))
        if hidden:
            self.status[key] = HIDDEN
        elif known:
            self.status[key] = PUBLISHED
            self._known.add(key)
        else:
            self.status.setdefault(key, PUBLISHED)
        return key

    def add_relation(self, total, parts):
        """Declare that the figures `parts` add up to the figure `total`."""
        parts = list(parts)
        missing = [key for key in [total, *parts] if key not in self.values]
        if missing:
            raise KeyError(f"relation uses figures never added: {missing!r}")
        if not parts:
            return
        expected = sum(self.values[key] for key in parts)
        if expected != self.values[total]:
            raise ValueError(
                f"relation does not hold: {parts!r} add up to {expected}, "
                f"{total!r} is {self.values[total]}"
            )
        self.relations.append((total, tuple(parts)))

    def is_suppressed(self, key):
        return self.status[key] != PUBLISHED

    def suppress(self):
        """Apply primary, secondary and linear-system suppression; return self."""
        for key, value in self.values.items():
            if (
                self.status[key] == PUBLISHED
                and key not in self._known
                and value < self.threshold
            ):
                self.status[key] = PRIMARY
        while True:
            self._suppress_single_holes()
            determined = self._determined_figures()
            if not determined:
                break
            progressed = False
            for key in determined:
                if self._suppress_neighbour_of(key):
                    progressed = True
            if not progressed:
                logger.error(
                    "small-count suppression left %s figures determined by "
                    "suppressed figures only: %r",
                    len(determined),
                    determined[:10],
                )
                break
        return self

    # --- steps -------------------------------------------------------------

    def _members(self, relation):
        total, parts = relation
        return [total, *parts]

    def _needs_protection(self, key):
        """False for a hidden figure at or over the threshold: it may be inferred."""
        return self.status[key] != HIDDEN or self.values[key] < self.threshold

    def _can_suppress(self, key):
        return self.status[key] == PUBLISHED and key not in self._known

    def _secondary_candidate(self, relation):
        """Pick the figure of `relation` to hide next: its smallest published part.

        The total is hidden only when no part is left to hide, so that zone
        totals stay visible whenever possible.
        """
        total, parts = relation
        candidates = [key for key in parts if self._can_suppress(key)]
        if not candidates:
            return total if self._can_suppress(total) else None
        return min(candidates, key=lambda key: (self.values[key], self._order[key]))

    def _suppress_single_holes(self):
        changed = True
        while changed:
            changed = False
            for relation in self.relations:
                members = self._members(relation)
                hidden = [key for key in members if self.status[key] != PUBLISHED]
                if len(hidden) != 1 or not self._needs_protection(hidden[0]):
                    continue
                target = self._secondary_candidate(relation)
                if target is not None:
                    self.status[target] = SECONDARY
                    changed = True

    def _suppress_neighbour_of(self, key):
        """Hide the smallest published part of a relation that contains `key`."""
        best = None
        for relation in self.relations:
            if key not in self._members(relation):
                continue
            candidate = self._secondary_candidate(relation)
            if candidate is None:
                continue
            rank = (
                candidate == relation[0],
                self.values[candidate],
                self._order[candidate],
            )
            if best is None or rank < best[0]:
                best = (rank, candidate)
        if best is None:
            return False
        self.status[best[1]] = SECONDARY
        return True

    def _determined_figures(self):
        """Suppressed figures that the published figures determine exactly.

        The relations restricted to the suppressed figures form a linear
        system. A figure is determined when the unit vector of its column lies
        in the row space. The row space is brought to reduced echelon form by
        sparse Gaussian elimination modulo a large prime, because that keeps
        the arithmetic exact and the cost low on the sparse 0/1 relations of a
        report. A dense SVD of a matrix of that size (800 relations by 3,500
        figures for a weekly report) took 8 s on a two-core test machine.
        """
        unknown = {key for key in self.values if self.status[key] != PUBLISHED}
        if not unknown:
            return []
        rows = []
        for total, parts in self.relations:
            row = {}
            if total in unknown:
                row[total] = _PRIME - 1
            for key in parts:
                if key in unknown:
                    row[key] = (row.get(key, 0) + 1) % _PRIME
            row = {key: value for key, value in row.items() if value}
            if row:
                rows.append(row)
        basis = _reduced_row_echelon(rows, order=self._order)
        return [
            pivot
            for pivot, row in basis.items()
            if len(row) == 1 and self._needs_protection(pivot)
        ]


# Modulus of the exact elimination: the Mersenne prime 2**61 - 1. A minor of
# the relation matrix that is a multiple of it would hide a dependency; the
# minors of these 0/1 matrices are far smaller.
_PRIME = 2**61 - 1


def _reduced_row_echelon(rows, *, order):
    """Reduce sparse rows ({column: value mod _PRIME}) to reduced echelon form.

    Returns ``{pivot column: row}`` where every row has 1 at its pivot and 0
    at every other pivot column.
    """
    occurrences = {}
    for row in rows:
        for column in row:
            occurrences[column] = occurrences.get(column, 0) + 1
    basis = {}
    inserted = []
    for row in rows:
        row = dict(row)
        # Forward reduction by the pivots found so far.
        pending = [column for column in row if column in basis]
        while pending:
            column = pending.pop()
            factor = row.get(column)
            if not factor:
                continue
            for other, value in basis[column].items():
                updated = (row.get(other, 0) - factor * value) % _PRIME
                if updated:
                    if other not in row and other in basis:
                        pending.append(other)
                    row[other] = updated
                else:
                    row.pop(other, None)
        if not row:
            continue
        # Few occurrences first keeps the fill-in low.
        pivot = min(row, key=lambda column: (occurrences[column], order[column]))
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        basis[pivot] = {
            column: value * inverse % _PRIME for column, value in row.items()
        }
        inserted.append(pivot)

    # Back substitution: clear each pivot column from the rows inserted before.
    for position in range(len(inserted) - 1, -1, -1):
        pivot = inserted[position]
        pivot_row = basis[pivot]
        for earlier in inserted[:position]:
            row = basis[earlier]
            factor = row.get(pivot)
            if not factor:
                continue
            for column, value in pivot_row.items():
                updated = (row.get(column, 0) - factor * value) % _PRIME
                if updated:
                    row[column] = updated
                else:
                    row.pop(column, None)
    return basis
