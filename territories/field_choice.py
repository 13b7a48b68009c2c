"""Choose the code and name fields of a layer when the user gave none.

French open-data layers name these fields in a few usual ways (IRIS
contours, the Paris open-data portal, the QPV contours), listed below in
order of preference. Field names match ignoring case.
"""

from django.utils.translation import gettext as _

# Value of a code or name option meaning "use no field": the codes are then
# the feature numbers, and the names the codes.
NO_FIELD = "-"

CODE_FIELD_NAMES = [
    "code",
    "code_iris",
    "code_qp",
    "c_qu",
    "c_quinsee",
    "c_ar",
    "c_arinsee",
    "code_insee",
    "code_insee_commune",
    "code_commune",
    "insee_com",
    "insee",
    "codgeo",
    "code_geo",
    "iris",
    "identifiant",
    "id",
]
NAME_FIELD_NAMES = [
    "nom",
    "name",
    "libelle",
    "lib",
    "label",
    "nom_iris",
    "lib_iris",
    "nom_qp",
    "lib_qp",
    "l_qu",
    "l_ar",
    "l_aroff",
    "nom_com",
    "nom_commune",
    "nomcom",
    "nom_de_la_commune",
    "libgeo",
    "lib_com",
]


def present_candidates(fields, candidate_names):
    """Return the layer's fields that are candidates, in the order of `candidate_names`."""
    by_lower = {}
    for name in fields:
        by_lower.setdefault(name.lower(), name)
    return [by_lower[name] for name in candidate_names if name in by_lower]


def choose_code_field(columns):
    """Return (field or None, warnings) for the territory codes.

    `columns` maps each candidate field, in order of preference, to its
    values as text (None when empty). A field with the same value on every
    feature (such as the commune code of a town-planning zone layer) cannot
    identify them and is left out. The first remaining field whose values
    are all present and distinct wins. When none is, the first remaining
    field is returned anyway, so that the import fails on its duplicate or
    missing codes instead of silently numbering the features.
    """
    warnings = []
    usable = {}
    for name, values in columns.items():
        if len(values) > 1 and len(set(values)) < 2:
            warnings.append(
                _(
                    "The field %(field)s has the same value on every feature, so it "
                    "cannot be the code."
                )
                % {"field": name}
            )
        else:
            usable[name] = values
    if not usable:
        return None, warnings
    for name, values in usable.items():
        if None not in values and len(set(values)) == len(values):
            break
    else:
        return next(iter(usable)), warnings
    skipped = list(usable)[: list(usable).index(name)]
    if skipped:
        warnings.append(
            _(
                "The field %(skipped)s has missing or repeated values, so %(field)s "
                "was chosen for the codes; choose the code field yourself if that is "
                "wrong."
            )
            % {"skipped": ", ".join(skipped), "field": name}
        )
    return name, warnings


def choose_name_field(columns):
    """Return the candidate field with the most distinct values, or None.

    A file often carries the names of several levels (IRIS and commune,
    quarter and arrondissement): the finest one has the most distinct values.
    Ties go to the earlier field of `columns`.
    """
    best, best_count = None, -1
    for name, values in columns.items():
        count = len({value for value in values if value})
        if count > best_count:
            best, best_count = name, count
    return best if best_count > 0 else None
