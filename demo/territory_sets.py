"""The demo's territory sets, imported through the territory importer.

Paris (organisation of the Paris demo provider):

- `paris-arrondissements`: the 20 arrondissements, coded by INSEE code
  (75101 to 75120);
- `paris-quartiers`: the 80 quartiers administratifs (INSEE code of the
  quartier), each with its arrondissement as parent;
- `paris-iris`: the 992 IRIS, with the 2018 census population of
  PopIrisParis.csv joined on the IRIS code and rounded to an integer;
- `estates-paris-habitat` and `estates-rivp`: landlord estates derived from
  the social-housing programmes (see `demo.estates`), each with its IRIS as
  parent, flagged `is_derived`.

Occitanie (organisation of the second demo provider):

- `qpv`: the 105 priority neighbourhoods of the 2015 generation, valid from
  2015-01-01 to 2023-12-31 (the 2024 list replaced them on 1 January 2024).
  The importer repairs the 29 invalid polygons of the file.

A set is imported only when the organisation has no set under its slug yet,
so loading again writes nothing.
"""

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.conf import settings

import geopandas as gpd

from demo.estates import derive_estates, describe_derivation
from territories.importer import import_territories
from territories.models import TerritorySet

Kind = TerritorySet.Kind

# Demo landlord client name -> landlord name as published in the programmes
# dataset (field `bs`).
LANDLORDS = {"Paris Habitat": "PARIS HAB", "RIVP": "RIVP"}
ESTATE_SLUGS = {"Paris Habitat": "estates-paris-habitat", "RIVP": "estates-rivp"}
QPV_2015_VALIDITY = (dt.date(2015, 1, 1), dt.date(2023, 12, 31))


@dataclass
class SetLoad:
    """One set of the demo: the set, and whether this run imported it."""

    territory_set: TerritorySet
    created: bool
    repaired: int = 0
    rejected: int = 0
    warnings: tuple = ()


def load_paris_sets(paths, datasets, *, organisation, report=print):
    """Import the Paris sets that the organisation does not have yet.

    Returns {slug: SetLoad} for every Paris set, imported now or earlier.
    """
    loads = {}
    with tempfile.TemporaryDirectory(prefix="demo-sets-") as workdir:
        workdir = Path(workdir)
        loads["paris-arrondissements"] = _import_once(
            organisation,
            "paris-arrondissements",
            report,
            path=paths["paris-arrondissements"],
            kind=Kind.DISTRICT,
            name="Arrondissements de Paris",
            code_field="c_arinsee",
            name_field="l_ar",
            source=datasets["paris-arrondissements"].describe_origin(),
        )
        loads["paris-quartiers"] = _import_once(
            organisation,
            "paris-quartiers",
            report,
            path=lambda: _quartiers_with_parent(paths["paris-quartiers"], workdir),
            kind=Kind.DISTRICT,
            name="Quartiers administratifs de Paris",
            code_field="c_quinsee",
            name_field="l_qu",
            parent_field="arrondissement_code",
            parent_set="paris-arrondissements",
            source=datasets["paris-quartiers"].describe_origin(),
        )
        loads["paris-iris"] = _import_once(
            organisation,
            "paris-iris",
            report,
            path=paths["paris-iris"],
            kind=Kind.IRIS,
            name="IRIS de Paris (population 2018)",
            code_field="CODE_IRIS",
            name_field="NOM_IRIS",
            population_by_code=lambda: read_iris_population(
                paths["paris-iris-population"]
            ),
            source=(
                datasets["paris-iris"].describe_origin()
                + " Population: "
                + datasets["paris-iris-population"].describe_origin()
                + " P18_POP rounded to an integer."
            ),
        )
        for client_name, landlord in LANDLORDS.items():
            slug = ESTATE_SLUGS[client_name]
            loads[slug] = _import_once(
                organisation,
                slug,
                report,
                path=lambda landlord=landlord: _estates_file(
                    paths["paris-social-housing"],
                    paths["paris-iris"],
                    landlord,
                    workdir,
                ),
                kind=Kind.LANDLORD_ESTATE,
                name=f"Patrimoine {client_name} (dérivé)",
                code_field="code",
                name_field="name",
                parent_field="parent_code",
                parent_set="paris-iris",
                source=describe_derivation(landlord),
                is_derived=True,
            )

    return loads


def load_occitanie_sets(paths, datasets, *, organisation, report=print):
    """Import the 2015 QPV set when the organisation does not have it yet."""
    load = _import_once(
        organisation,
        "qpv",
        report,
        path=paths["occitanie-qpv-2015"],
        kind=Kind.QPV,
        name="Quartiers prioritaires d'Occitanie (2015)",
        code_field="code_qp",
        name_field="nom_qp",
        valid_from=QPV_2015_VALIDITY[0],
        source=datasets["occitanie-qpv-2015"].describe_origin(),
    )
    if load.created:
        load.territory_set.valid_to = QPV_2015_VALIDITY[1]
        load.territory_set.save(update_fields=["valid_to"])

    return {"qpv": load}


def read_iris_population(path):
    """Return {IRIS code: P18_POP as text} from the INSEE population table."""
    frame = pd.read_csv(path, dtype=str, usecols=["IRIS", "P18_POP"])

    return dict(zip(frame["IRIS"].str.strip(), frame["P18_POP"]))


def _import_once(organisation, slug, report, *, path, **options):
    existing = (
        TerritorySet.objects.filter(organisation=organisation, slug=slug)
        .order_by("-version")
        .first()
    )
    if existing is not None:
        report(f"{slug}: already loaded (version {existing.version}), skipped")
        return SetLoad(existing, created=False)

    # Derived files and tables are only built for a set that is imported.
    if callable(path):
        path = path()
    if callable(options.get("population_by_code")):
        options["population_by_code"] = options["population_by_code"]()
    result = import_territories(path, organisation=organisation, slug=slug, **options)
    report(
        f"{slug}: imported {result.imported_count} territories "
        f"({len(result.repaired)} repaired, {len(result.rejected)} rejected)"
    )
    for warning in result.warnings:
        report(f"{slug}: warning: {warning}")

    return SetLoad(
        result.territory_set,
        created=True,
        repaired=len(result.repaired),
        rejected=len(result.rejected),
        warnings=tuple(result.warnings),
    )


def _quartiers_with_parent(path, workdir):
    """Write the quartiers with their arrondissement's INSEE code, 75100 + c_ar."""
    quartiers = gpd.read_file(path)
    quartiers["arrondissement_code"] = (75100 + quartiers["c_ar"].astype(int)).astype(
        str
    )
    target = workdir / "quartiers.gpkg"
    quartiers.to_file(target, driver="GPKG")

    return target


def _estates_file(programmes_path, iris_path, landlord, workdir):
    estates = derive_estates(
        programmes_path, iris_path, landlord, srid=settings.WORKING_SRID
    )
    target = workdir / f"estates-{estates['code'].iloc[0].rsplit('-', 1)[0]}.gpkg"
    estates.to_file(target, driver="GPKG")

    return target
