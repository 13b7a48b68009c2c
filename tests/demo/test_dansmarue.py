"""DansMaRue reports to entries: point parsing, the mapping table, a planted CSV."""

import csv
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from demo.dansmarue import (
    MAPPING_PATH,
    MappingError,
    load_reports,
    parse_point,
    read_mapping,
    report_uuid,
)

HEADER = ["id_dmr", "type", "soustype", "datedecl", "geo_point_2d"]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "{'lon': 2.334404229526263, 'lat': 48.88124847353733}",
            (2.334404229526263, 48.88124847353733),
        ),
        ('{"lat": 48.85, "lon": 2.35}', (2.35, 48.85)),
        ("48.85, 2.35", (2.35, 48.85)),
        ("[48.85, 2.35]", (2.35, 48.85)),
        ("{'lon': 0, 'lat': 0}", None),
        ("{'lon': 2.35, 'lat': 148.85}", None),
        ("", None),
        ("Paris 11", None),
        (None, None),
    ],
)
def test_parse_point(text, expected):
    assert parse_point(text) == expected


@pytest.mark.django_db
def test_mapping_table_resolves(nomenclature):
    rules = read_mapping()

    with MAPPING_PATH.open(encoding="utf-8", newline="") as mapping_file:
        rows = list(csv.DictReader(mapping_file))
    assert len(rules) == len(rows)
    for rule, row in zip(rules, rows):
        assert rule.type.category == rule.category
        assert rule.category.code == row["category"]


@pytest.mark.django_db
def test_mapping_rejects_unknown_code(nomenclature, tmp_path):
    path = tmp_path / "mapping.csv"
    path.write_text(
        "dansmarue_type,soustype_contains,category,type,theme\n"
        "Propreté,,veille-technique,nettoyage,proprete\n",
        encoding="utf-8",
    )

    with pytest.raises(MappingError, match="line 2: unknown type code 'nettoyage'"):
        read_mapping(path)


@pytest.mark.django_db
def test_mapping_rejects_type_of_other_category(nomenclature, tmp_path):
    path = tmp_path / "mapping.csv"
    path.write_text(
        "dansmarue_type,soustype_contains,category,type,theme\n"
        "Propreté,,incivilites,signalement-proprete,\n",
        encoding="utf-8",
    )

    with pytest.raises(
        MappingError, match="belongs to the category 'veille-technique'"
    ):
        read_mapping(path)


@pytest.fixture
def planted_reports(tmp_path):
    """Seven rows: four mapped with a point, one unmapped, one without point, a repeat."""
    rows = [
        [
            "G1",
            "Propreté",
            "Déjections canines",
            "2024-03-31",
            "{'lon': 2.35, 'lat': 48.85}",
        ],
        [
            "G2",
            "Objets abandonnés",
            "[] Objets appartenant à des personnes à la rue",
            "2024-07-01",
            "{'lon': 2.36, 'lat': 48.86}",
        ],
        [
            "G3",
            "Objets abandonnés",
            "Autres objets encombrants abandonnés",
            "2023-12-31",
            "48.87, 2.37",
        ],
        [
            "G4",
            "Arbres, végétaux et animaux",
            "Présence de rats",
            "2024-01-15",
            "{'lon': 2.38, 'lat': 48.88}",
        ],
        ["G5", "Eau", "Fuite", "2024-01-15", "{'lon': 2.38, 'lat': 48.88}"],
        ["G6", "Propreté", "Épanchement d'urine", "2024-01-15", ""],
        [
            "G1",
            "Propreté",
            "Déjections canines",
            "2024-03-31",
            "{'lon': 2.35, 'lat': 48.85}",
        ],
    ]
    path = tmp_path / "reports.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.mark.django_db
def test_load_planted_reports(planted_reports, organisation, users, nomenclature):
    from interventions.models import Intervention

    result = load_reports(
        planted_reports,
        organisation=organisation,
        mediator=users["mediator"],
        reviewer=users["coordinator"],
    )

    assert (result.rows, result.created, result.existing) == (7, 4, 0)
    assert result.unmapped == {"Eau": 1}
    assert result.no_location == 1
    assert result.duplicates == 1
    types = dict(
        Intervention.objects.filter(organisation=organisation).values_list(
            "note", "type__code"
        )
    )
    assert types == {
        "DansMaRue G1 : Déjections canines": "signalement-proprete",
        "DansMaRue G2 : [] Objets appartenant à des personnes à la rue": "personne-sans-abri",
        "DansMaRue G3 : Autres objets encombrants abandonnés": "depot-sauvage",
        "DansMaRue G4 : Présence de rats": "signalement-proprete",
    }


@pytest.mark.django_db
def test_planted_report_time_and_links(
    planted_reports, organisation, users, nomenclature
):
    from interventions.models import Intervention

    load_reports(
        planted_reports,
        organisation=organisation,
        mediator=users["mediator"],
        reviewer=users["coordinator"],
    )

    entry = Intervention.objects.get(id=report_uuid("G1"))
    # 2024-03-31 is the day summer time starts: noon in Paris is 10:00 UTC.
    assert entry.occurred_at == dt.datetime(2024, 3, 31, 10, tzinfo=dt.timezone.utc)
    assert entry.occurred_at.astimezone(ZoneInfo("Europe/Paris")).hour == 12
    assert list(entry.themes.values_list("code", flat=True)) == ["proprete"]
    assert list(entry.partners.values_list("code", flat=True)) == [
        "services-techniques"
    ]
    assert entry.outcome.code == "oriente"
    assert entry.is_demo


@pytest.mark.django_db
def test_planted_reports_loaded_once(
    planted_reports, organisation, users, nomenclature
):
    from interventions.models import Intervention

    options = {
        "organisation": organisation,
        "mediator": users["mediator"],
        "reviewer": users["coordinator"],
    }
    load_reports(planted_reports, **options)
    again = load_reports(planted_reports, **options)

    assert (again.created, again.existing) == (0, 4)
    assert Intervention.objects.filter(organisation=organisation).count() == 4
