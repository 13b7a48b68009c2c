"""`manage.py load_demo` on the open-data folder: sets, perimeters, entries, second run.

Expected values come from the files themselves, read here with pandas and
geopandas, or from values read by hand in the files.
"""

import ast
import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.contrib.gis.db.models.functions import Transform

import geopandas as gpd

from tests.conftest import shared_data

pytestmark = pytest.mark.django_db

PARIS = "mediation-paris-demo"
OCCITANIE = "mediation-occitanie-demo"
DANSMARUE_CSV = (
    "paris-dansmarue-2023-2024-sample",
    "dans-ma-rue_paris_2023-08_2024-09_sample10k.csv",
)
PROGRAMMES = (
    "paris-logements-sociaux-finances",
    "logements-sociaux-finances-a-paris.geojson",
)

# DansMaRue types mapped whatever the subtype, as documented in demo.dansmarue.
FULLY_MAPPED_TYPES = {
    "Graffitis, tags, affiches et autocollants",
    "Objets abandonnés",
    "Propreté",
    "Éclairage / Électricité",
    "Mobiliers urbains",
    "Voirie et espace public",
    "Autos, motos, vélos, trottinettes...",
    "Activités commerciales et professionnelles",
}


def latest_set(org_slug, slug):
    from territories.models import TerritorySet

    return (
        TerritorySet.objects.filter(organisation__slug=org_slug, slug=slug)
        .order_by("-version")
        .first()
    )


def usable_point(text):
    try:
        point = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return isinstance(point, dict) and "lon" in point and "lat" in point


@pytest.fixture(scope="module")
def reports():
    frame = pd.read_csv(shared_data(*DANSMARUE_CSV), dtype=str, keep_default_na=False)
    soustype = frame["soustype"].str.lower()
    rats = (frame["type"] == "Arbres, végétaux et animaux") & soustype.str.contains(
        "rats"
    )
    frame["mapped"] = frame["type"].isin(FULLY_MAPPED_TYPES) | rats
    frame["usable"] = frame["geo_point_2d"].map(usable_point)
    frame["street_people"] = (
        frame["type"] == "Objets abandonnés"
    ) & soustype.str.contains("personnes à la rue")
    return frame


def test_sets_have_expected_counts(loaded_demo):
    expected = {
        (PARIS, "paris-arrondissements"): 20,
        (PARIS, "paris-quartiers"): 80,
        (PARIS, "paris-iris"): 992,
        (OCCITANIE, "qpv"): 105,
    }
    for (org_slug, slug), count in expected.items():
        territory_set = latest_set(org_slug, slug)
        assert territory_set is not None, slug
        assert territory_set.territories.count() == count, slug


def test_iris_population_matches_csv(loaded_demo):
    iris = latest_set(PARIS, "paris-iris")
    populations = dict(iris.territories.values_list("code", "population"))
    # Read by hand in PopIrisParis.csv (P18_POP): 942.182134, 166.812097,
    # 3.000003 and 0.
    assert populations["751010101"] == 942
    assert populations["751010102"] == 167
    assert populations["751010104"] == 3
    assert populations["751010105"] == 0

    csv = pd.read_csv(
        shared_data("paris-iris-lambert93", "PopIrisParis.csv"), dtype={"IRIS": str}
    )
    expected = dict(zip(csv["IRIS"], csv["P18_POP"].round().astype(int)))
    assert populations == expected


def test_quartiers_have_arrondissement_parent(loaded_demo):
    quartiers = latest_set(PARIS, "paris-quartiers")
    parents = dict(quartiers.territories.values_list("code", "parent__code"))
    arrondissements = latest_set(PARIS, "paris-arrondissements")
    # Notre-Dame-des-Champs is in the 6th, Bel-Air in the 12th.
    assert parents["7510603"] == "75106"
    assert parents["7511201"] == "75112"
    assert all(parents.values())
    parent_sets = set(
        quartiers.territories.values_list("parent__territory_set_id", flat=True)
    )
    assert parent_sets == {arrondissements.id}


def test_qpv_2015_validity(loaded_demo):
    qpv = latest_set(OCCITANIE, "qpv")
    assert qpv.kind == "qpv"
    assert qpv.valid_from == dt.date(2015, 1, 1)
    assert qpv.valid_to == dt.date(2023, 12, 31)
    assert all(
        code.startswith("QP") for code in qpv.territories.values_list("code", flat=True)
    )


@pytest.mark.parametrize(
    "slug, landlord", [("estates-paris-habitat", "PARIS HAB"), ("estates-rivp", "RIVP")]
)
def test_estates_one_per_landlord_iris(loaded_demo, slug, landlord):
    programmes = gpd.read_file(shared_data(*PROGRAMMES)).to_crs(2154)
    programmes = programmes[programmes["bs"] == landlord]
    iris = gpd.read_file(shared_data("paris-iris-lambert93", "iris_paris.shp")).set_crs(
        2154, allow_override=True
    )
    joined = gpd.sjoin(programmes, iris[["CODE_IRIS", "geometry"]], predicate="within")

    estates = latest_set(PARIS, slug)
    assert estates.is_derived
    assert estates.kind == "landlord_estate"
    assert "buffered by 50 m" in estates.source
    assert estates.territories.count() == joined["CODE_IRIS"].nunique()
    properties = list(estates.territories.values_list("properties", flat=True))
    assert {p["landlord"] for p in properties} == {landlord}
    assert sum(p["programmes"] for p in properties) == len(programmes)
    assert estates.territories.filter(parent__isnull=True).count() == 0


def test_landlord_perimeters_hold_only_own_estates(loaded_demo):
    from accounts.models import Client

    for client_name, slug in (
        ("Paris Habitat", "estates-paris-habitat"),
        ("RIVP", "estates-rivp"),
    ):
        client = Client.objects.get(organisation__slug=PARIS, name=client_name)
        estates = latest_set(PARIS, slug)
        perimeter = set(client.perimeter.values_list("id", flat=True))
        own = set(estates.territories.values_list("id", flat=True))
        assert perimeter == own, client_name


def test_city_perimeter_is_arrondissements(loaded_demo):
    from accounts.models import Client

    city = Client.objects.get(organisation__slug=PARIS, name="Ville de Paris")
    arrondissements = latest_set(PARIS, "paris-arrondissements")
    assert set(city.perimeter.values_list("id", flat=True)) == set(
        arrondissements.territories.values_list("id", flat=True)
    )


def test_report_entries_count(loaded_demo, reports):
    from interventions.models import Intervention

    entries = Intervention.objects.filter(
        organisation__slug=PARIS, note__startswith="DansMaRue "
    )
    expected = int((reports["mapped"] & reports["usable"]).sum())
    assert expected == 9792
    assert entries.count() == expected


def test_report_entries_per_type(loaded_demo, reports):
    from interventions.models import Intervention

    entries = Intervention.objects.filter(
        organisation__slug=PARIS, note__startswith="DansMaRue "
    )
    counts = reports[reports["usable"]]["type"].value_counts()
    street_people = int(reports["street_people"].sum())
    rats = int(
        (
            (reports["type"] == "Arbres, végétaux et animaux")
            & reports["soustype"].str.lower().str.contains("rats")
        ).sum()
    )
    assert (
        entries.filter(type__code="tag-graffiti").count()
        == counts["Graffitis, tags, affiches et autocollants"]
    )
    assert entries.filter(type__code="personne-sans-abri").count() == street_people
    assert (
        entries.filter(type__code="depot-sauvage").count()
        == counts["Objets abandonnés"] - street_people
    )
    assert (
        entries.filter(type__code="signalement-proprete").count()
        == counts["Propreté"] + rats
    )
    assert (
        entries.filter(type__code="signalement-eclairage").count()
        == counts["Éclairage / Électricité"]
    )


def test_report_entry_fields(loaded_demo, reports):
    from interventions.models import Intervention

    # First row of the CSV: G2023K036305, 2023-11-16, {'lon': 2.334404229526263,
    # 'lat': 48.88124847353733}, graffiti.
    entry = (
        Intervention.objects.annotate(wgs84=Transform("location", 4326))
        .select_related("mediator", "category", "type", "reviewed_by")
        .get(note__startswith="DansMaRue G2023K036305 ")
    )
    assert entry.is_demo
    assert entry.status == "validated"
    assert entry.mediator.username == "mediateur"
    assert entry.reviewed_by.username == "coordinatrice"
    assert entry.category.code == "incivilites"
    assert entry.type.code == "tag-graffiti"
    local = entry.occurred_at.astimezone(ZoneInfo("Europe/Paris"))
    assert local.date() == dt.date(2023, 11, 16)
    assert entry.wgs84.x == pytest.approx(2.334404229526263, abs=1e-7)
    assert entry.wgs84.y == pytest.approx(48.88124847353733, abs=1e-7)


def test_all_demo_entries_flagged(loaded_demo):
    from interventions.models import Intervention

    entries = Intervention.objects.filter(organisation__slug=PARIS)
    assert entries.exclude(is_demo=True).count() == 0
    assert entries.exclude(status="validated").count() == 0
    assert entries.exclude(mediator__username="mediateur").count() == 0


def test_synthetic_entries_are_presence(loaded_demo):
    from demo.synthetic import SYNTHETIC_COUNT, SYNTHETIC_NOTE
    from interventions.models import Intervention

    synthetic = Intervention.objects.filter(note__startswith=SYNTHETIC_NOTE)
    assert synthetic.count() == SYNTHETIC_COUNT
    assert synthetic.exclude(category__code="presence-active").count() == 0


def test_every_entry_in_an_arrondissement(loaded_demo):
    from interventions.models import Intervention
    from territories.models import Attachment

    arrondissements = latest_set(PARIS, "paris-arrondissements")
    entries = Intervention.objects.filter(organisation__slug=PARIS).count()
    attached = Attachment.objects.filter(territory_set=arrondissements).count()
    assert attached == entries
    assert Intervention.objects.filter(outside_territories=True).count() == 0


def test_second_run_loads_nothing(loaded_demo):
    first, second = loaded_demo["runs"]
    assert second["counts"] == first["counts"]
    assert "loaded now" not in second["output"]
    assert "(0 created now, 9792 already there)" in second["output"]
    assert "Synthetic presence entries: 800 (0 created now)" in second["output"]


def test_accounts_file_lists_each_account(loaded_demo):
    from accounts.demo import DEMO_ACCOUNTS

    lines = (loaded_demo["var_dir"] / "demo-accounts.txt").read_text().splitlines()
    usernames = [line.split("\t")[0] for line in lines]
    assert usernames == [username for username, *_rest in DEMO_ACCOUNTS]


def test_output_names_sets_and_accounts(loaded_demo):
    output = loaded_demo["runs"][0]["output"]
    assert "mediation-paris-demo/paris-iris v1: 992 territories (loaded now)" in output
    assert "mediation-occitanie-demo/qpv v1: 105 territories (loaded now)" in output
    assert "bailleur-rivp (client_viewer, client RIVP" in output
