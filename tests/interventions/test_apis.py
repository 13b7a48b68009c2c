"""The sync API: idempotent creation by client UUID, validation messages, scoping."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from interventions.models import Intervention
from territories.models import Attachment, Territory, TerritorySet
from tests.conftest import square
from tests.interventions.conftest import BELLECOUR, NOTRE_DAME, NOTRE_DAME_L93

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api-interventions-list")


def detail_url(entry_id):
    return reverse("api-interventions-detail", args=[entry_id])


@pytest.fixture
def mediator(users, nomenclature):
    return users["mediator"]


@pytest.fixture
def district(organisation):
    """A 1 km square district whose lower-left corner lies south-west of Notre-Dame."""
    territory_set = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers"
    )
    return Territory.objects.create(
        territory_set=territory_set,
        code="Q1",
        name="Île de la Cité",
        geom=square(652000, 6861000, 1000),
    )


def test_create_stores_point_in_lambert93(api_as, mediator, make_feature):
    feature = make_feature()
    response = api_as(mediator).post(LIST_URL, feature, format="json")

    assert response.status_code == 201, response.json()
    entry = Intervention.objects.get(pk=feature["id"])
    assert entry.location.srid == 2154
    assert entry.location.x == pytest.approx(NOTRE_DAME_L93[0], abs=0.01)
    assert entry.location.y == pytest.approx(NOTRE_DAME_L93[1], abs=0.01)
    assert entry.mediator == mediator
    assert entry.organisation == mediator.organisation
    assert entry.location_method == "gps"
    assert entry.location_accuracy_m == 12.5
    assert entry.category.code == "conflits"
    assert sorted(t.code for t in entry.themes.all()) == ["tranquillite"]
    assert entry.status == "submitted"


def test_create_answers_geojson_in_wgs84(api_as, mediator, make_feature):
    feature = make_feature()
    body = api_as(mediator).post(LIST_URL, feature, format="json").json()

    assert body["type"] == "Feature"
    assert body["id"] == feature["id"]
    assert body["geometry"]["type"] == "Point"
    longitude, latitude = body["geometry"]["coordinates"]
    assert longitude == pytest.approx(NOTRE_DAME[0], abs=1e-6)
    assert latitude == pytest.approx(NOTRE_DAME[1], abs=1e-6)
    properties = body["properties"]
    assert properties["category"] == "conflits"
    assert properties["type"] == "conflit-voisinage-bruit"
    assert properties["themes"] == ["tranquillite"]
    assert properties["partners"] == ["bailleur"]
    assert properties["outcome"] == "apaise"
    assert properties["mediator"] == "mediator"


def test_identical_resend_returns_stored_entry(api_as, mediator, make_feature):
    client = api_as(mediator)
    feature = make_feature()
    first = client.post(LIST_URL, feature, format="json")
    second = client.post(LIST_URL, feature, format="json")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert Intervention.objects.filter(pk=feature["id"]).count() == 1
    assert Intervention.objects.count() == 1


def test_put_creates_then_repeats(api_as, mediator, make_feature):
    client = api_as(mediator)
    entry_id = uuid.uuid4()
    feature = make_feature(entry_id)

    first = client.put(detail_url(entry_id), feature, format="json")
    second = client.put(detail_url(entry_id), feature, format="json")

    assert first.status_code == 201
    assert second.status_code == 200
    assert Intervention.objects.count() == 1


def test_put_without_id_uses_url(api_as, mediator, make_feature):
    entry_id = uuid.uuid4()
    feature = make_feature(entry_id)
    del feature["id"]

    response = api_as(mediator).put(detail_url(entry_id), feature, format="json")

    assert response.status_code == 201
    assert Intervention.objects.filter(pk=entry_id).exists()


def test_put_with_other_id_in_body(api_as, mediator, make_feature):
    entry_id = uuid.uuid4()
    feature = make_feature()

    response = api_as(mediator).put(detail_url(entry_id), feature, format="json")

    assert response.status_code == 400
    assert str(entry_id) in response.json()["id"][0]
    assert Intervention.objects.count() == 0


def test_post_without_id_rejected(api_as, mediator, make_feature):
    feature = make_feature()
    del feature["id"]

    response = api_as(mediator).post(LIST_URL, feature, format="json")

    assert response.status_code == 400
    assert "UUID" in response.json()["id"][0]
    assert Intervention.objects.count() == 0


@pytest.mark.parametrize("status", ["submitted", "draft", "rejected"])
def test_changed_resend_updates_editable(api_as, mediator, make_feature, status, users):
    client = api_as(mediator)
    feature = make_feature()
    client.post(LIST_URL, feature, format="json")
    Intervention.objects.filter(pk=feature["id"]).update(
        status=status,
        review_comment="Préciser le type." if status == "rejected" else "",
    )

    feature["properties"].update(
        intensity=3, note="Tension apaisée.", themes=["tranquillite", "jeunesse"]
    )
    feature["geometry"]["coordinates"] = [2.3510, 48.8535]
    response = client.post(LIST_URL, feature, format="json")

    assert response.status_code == 200, response.json()
    entry = Intervention.objects.get(pk=feature["id"])
    assert entry.intensity == 3
    assert entry.note == "Tension apaisée."
    assert sorted(t.code for t in entry.themes.all()) == ["jeunesse", "tranquillite"]
    assert entry.location.transform(4326, clone=True).x == pytest.approx(
        2.3510, abs=1e-7
    )
    # A rejected entry that is corrected goes back to the review queue.
    assert entry.status == "submitted"
    assert Intervention.objects.count() == 1


def test_resend_of_rejected_entry_unchanged(api_as, mediator, make_feature):
    client = api_as(mediator)
    feature = make_feature()
    client.post(LIST_URL, feature, format="json")
    Intervention.objects.filter(pk=feature["id"]).update(status="rejected")

    response = client.post(LIST_URL, feature, format="json")

    assert response.status_code == 200
    assert response.json()["properties"]["status"] == "rejected"
    assert Intervention.objects.get(pk=feature["id"]).status == "rejected"


def test_changed_resend_after_validation_conflicts(
    api_as, mediator, make_feature, users
):
    client = api_as(mediator)
    feature = make_feature()
    client.post(LIST_URL, feature, format="json")
    Intervention.objects.filter(pk=feature["id"]).update(
        status="validated", reviewed_by=users["coordinator"], reviewed_at=timezone.now()
    )

    same = client.post(LIST_URL, feature, format="json")
    feature["properties"]["intensity"] = 3
    changed = client.post(LIST_URL, feature, format="json")

    assert same.status_code == 200
    assert same.json()["properties"]["status"] == "validated"
    assert changed.status_code == 409
    assert changed.json()["code"] == "validated"
    assert "validée le" in changed.json()["detail"]
    assert Intervention.objects.get(pk=feature["id"]).intensity == 2


def test_put_after_validation_conflicts(api_as, mediator, make_feature):
    client = api_as(mediator)
    entry_id = uuid.uuid4()
    feature = make_feature(entry_id)
    client.put(detail_url(entry_id), feature, format="json")
    Intervention.objects.filter(pk=entry_id).update(status="validated")
    feature["properties"]["note"] = "Changement après validation."

    response = client.put(detail_url(entry_id), feature, format="json")

    assert response.status_code == 409
    assert Intervention.objects.get(pk=entry_id).note != "Changement après validation."


def test_uuid_of_other_organisation(
    api_as, mediator, make_feature, make_user, other_organisation
):
    stranger = make_user("autre-mediateur", "mediator", other_organisation)
    feature = make_feature(note="Note de l'autre organisation.")
    assert api_as(stranger).post(LIST_URL, feature, format="json").status_code == 201

    client = api_as(mediator)
    same = client.post(LIST_URL, feature, format="json")
    changed_feature = make_feature(feature["id"], note="Autre contenu.")
    changed = client.post(LIST_URL, changed_feature, format="json")
    put = client.put(detail_url(feature["id"]), changed_feature, format="json")
    read = client.get(detail_url(feature["id"]))

    for response in (same, changed, put):
        assert response.status_code == 409
        assert response.json()["code"] == "id_taken"
        assert "properties" not in response.json()
        assert "Note de l'autre" not in response.content.decode()
    assert read.status_code == 404
    stored = Intervention.objects.get(pk=feature["id"])
    assert stored.mediator == stranger
    assert stored.note == "Note de l'autre organisation."
    assert Intervention.objects.count() == 1


def test_uuid_of_other_mediator_same_organisation(
    api_as, mediator, make_feature, make_user, organisation
):
    colleague = make_user("collegue", "mediator", organisation)
    feature = make_feature()
    api_as(colleague).post(LIST_URL, feature, format="json")

    response = api_as(mediator).post(LIST_URL, feature, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "id_taken"
    assert Intervention.objects.get(pk=feature["id"]).mediator == colleague


def _post_invalid(client, feature):
    response = client.post(LIST_URL, feature, format="json")
    assert response.status_code == 400, response.content
    assert Intervention.objects.count() == 0
    return response.json()


@pytest.mark.parametrize(
    "coordinates, expected",
    [
        ([200.0, 48.85], "Longitude 200.0 is out of range"),
        ([-180.5, 48.85], "Longitude -180.5 is out of range"),
        ([2.35, 95.0], "Latitude 95.0 is out of range"),
        ([2.35, -91.0], "Latitude -91.0 is out of range"),
        ([0, 0], "The point (0, 0)"),
    ],
)
def test_bad_coordinates(api_as, mediator, make_feature, coordinates, expected):
    with_english = api_as(mediator)
    with_english.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = _post_invalid(with_english, make_feature(coordinates=coordinates))

    assert list(body) == ["location"]
    assert expected in body["location"][0]


def test_bad_coordinates_message_in_french(api_as, mediator, make_feature):
    body = _post_invalid(api_as(mediator), make_feature(coordinates=[200.0, 48.85]))

    assert "Longitude 200.0" in body["location"][0]
    assert "hors limites" in body["location"][0]


def test_polygon_instead_of_point(api_as, mediator, make_feature):
    feature = make_feature()
    feature["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[2.34, 48.85], [2.35, 48.85], [2.35, 48.86], [2.34, 48.85]]],
    }
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, feature)

    assert "Expected a GeoJSON Point; received a Polygon." in body["location"]


def test_time_in_future_rejected(api_as, mediator, make_feature):
    future = timezone.now() + timedelta(minutes=10)
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, make_feature(occurred_at=future.isoformat()))

    local = timezone.localtime(future).strftime("%Y-%m-%d %H:%M")
    assert list(body) == ["occurred_at"]
    assert (
        f"The time {local} is more than 5 minutes in the future"
        in body["occurred_at"][0]
    )


def test_time_four_minutes_ahead_accepted(api_as, mediator, make_feature):
    soon = timezone.now() + timedelta(minutes=4)
    response = api_as(mediator).post(
        LIST_URL, make_feature(occurred_at=soon.isoformat()), format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("category", "inconnue", "inconnue"),
        ("type", "type-fantome", "type-fantome"),
        ("themes", ["tranquillite", "theme-fantome"], "theme-fantome"),
        ("partners", ["partenaire-fantome"], "partenaire-fantome"),
        ("outcome", "issue-fantome", "issue-fantome"),
    ],
)
def test_unknown_nomenclature_code(api_as, mediator, make_feature, field, value, code):
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, make_feature(**{field: value}))

    assert field in body
    message = body[field][0]
    assert f"“{code}”" in message
    assert message.startswith("Unknown ")


def test_type_of_another_category(api_as, mediator, make_feature):
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, make_feature(category="veille-technique"))

    assert body["type"] == [
        "The type “conflit-voisinage-bruit” belongs to the category “conflits”, "
        "not “veille-technique”."
    ]


def test_note_over_limit(api_as, mediator, make_feature):
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, make_feature(note="x" * 281))

    assert body["note"] == [
        "The note has 281 characters; the limit is 280. Shorten it."
    ]


def test_note_at_limit_accepted(api_as, mediator, make_feature):
    response = api_as(mediator).post(
        LIST_URL, make_feature(note="x" * 280), format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize("intensity", [0, 4, -1])
def test_intensity_outside_range(api_as, mediator, make_feature, intensity):
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, make_feature(intensity=intensity))

    assert body["intensity"] == [
        f"The intensity {intensity} is out of range; expected 1 (low), 2 (medium) "
        "or 3 (high)."
    ]


def test_review_status_not_writable(api_as, mediator, make_feature):
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    body = _post_invalid(client, make_feature(status="validated"))

    assert "validated" in body["status"][0]


def test_several_errors_one_message_each(api_as, mediator, make_feature):
    feature = make_feature(
        coordinates=[0, 0], intensity=9, note="y" * 300, category="inconnue"
    )

    body = _post_invalid(api_as(mediator), feature)

    assert set(body) == {"location", "intensity", "note", "category"}
    for messages in body.values():
        assert len(messages) == 1


def test_point_outside_territories_flagged(api_as, mediator, make_feature, district):
    client = api_as(mediator)
    inside = make_feature()
    outside = make_feature(coordinates=BELLECOUR)

    inside_body = client.post(LIST_URL, inside, format="json").json()
    outside_response = client.post(LIST_URL, outside, format="json")

    assert outside_response.status_code == 201
    assert outside_response.json()["properties"]["outside_territories"] is True
    assert inside_body["properties"]["outside_territories"] is False
    attachment = Attachment.objects.get(intervention_id=inside["id"])
    assert attachment.territory == district
    assert not Attachment.objects.filter(intervention_id=outside["id"]).exists()
    assert Intervention.objects.get(pk=outside["id"]).outside_territories is True


def test_moved_point_attached_again(api_as, mediator, make_feature, district):
    client = api_as(mediator)
    feature = make_feature(coordinates=BELLECOUR)
    client.post(LIST_URL, feature, format="json")

    feature["geometry"]["coordinates"] = list(NOTRE_DAME)
    body = client.post(LIST_URL, feature, format="json").json()

    assert body["properties"]["outside_territories"] is False
    assert Attachment.objects.get(intervention_id=feature["id"]).territory == district


def test_client_viewer_forbidden(api_as, users, make_feature, nomenclature):
    client = api_as(users["client_viewer"])

    post = client.post(LIST_URL, make_feature(), format="json")
    listing = client.get(LIST_URL)
    nomenclature_response = client.get(reverse("api-nomenclature"))

    assert post.status_code == 403
    assert listing.status_code == 403
    assert nomenclature_response.status_code == 403
    assert Intervention.objects.count() == 0


def test_analyst_reads_but_cannot_write(api_as, users, make_feature, mediator):
    api_as(mediator).post(LIST_URL, make_feature(), format="json")
    client = api_as(users["analyst"])

    listing = client.get(LIST_URL)
    post = client.post(LIST_URL, make_feature(), format="json")

    assert listing.status_code == 200
    assert len(listing.json()["features"]) == 1
    assert post.status_code == 403
    assert Intervention.objects.count() == 1


def test_anonymous_gets_401(make_feature, nomenclature):
    from rest_framework.test import APIClient

    post = APIClient().post(LIST_URL, make_feature(), format="json")
    listing = APIClient().get(LIST_URL)

    for response in (post, listing):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["detail"] == (
            "Informations d'authentification non fournies."
        )
    assert Intervention.objects.count() == 0


def test_coordinator_records_own_entry(api_as, users, make_feature, nomenclature):
    feature = make_feature()
    response = api_as(users["coordinator"]).post(LIST_URL, feature, format="json")

    assert response.status_code == 201
    assert Intervention.objects.get(pk=feature["id"]).mediator == users["coordinator"]


def test_list_scoped_to_own_entries(
    api_as, mediator, make_feature, make_user, organisation, other_organisation
):
    colleague = make_user("collegue", "mediator", organisation)
    stranger = make_user("autre-mediateur", "mediator", other_organisation)
    own = make_feature()
    api_as(mediator).post(LIST_URL, own, format="json")
    api_as(colleague).post(LIST_URL, make_feature(), format="json")
    api_as(stranger).post(LIST_URL, make_feature(), format="json")

    body = api_as(mediator).get(LIST_URL).json()

    assert body["type"] == "FeatureCollection"
    assert body["count"] == 1
    assert [feature["id"] for feature in body["features"]] == [own["id"]]


def test_coordinator_list_covers_organisation(
    api_as, users, make_feature, make_user, other_organisation, nomenclature
):
    stranger = make_user("autre-mediateur", "mediator", other_organisation)
    api_as(users["mediator"]).post(LIST_URL, make_feature(), format="json")
    api_as(stranger).post(LIST_URL, make_feature(), format="json")

    body = api_as(users["coordinator"]).get(LIST_URL).json()

    assert body["count"] == 1


def test_nomenclature_endpoint(api_as, mediator):
    body = api_as(mediator).get(reverse("api-nomenclature")).json()

    categories = {category["code"]: category for category in body["categories"]}
    assert len(categories) == 10
    conflict_types = {kind["code"] for kind in categories["conflits"]["types"]}
    assert "conflit-voisinage-bruit" in conflict_types
    assert "tournee-pied" not in conflict_types
    assert {theme["code"] for theme in body["themes"]} >= {"tranquillite", "jeunesse"}
    assert {outcome["code"] for outcome in body["outcomes"]} == {
        "resolu",
        "apaise",
        "oriente",
        "suivi-necessaire",
        "non-resolu",
    }


def test_organisation_code_shadows_default(
    api_as, mediator, make_feature, organisation
):
    from interventions.models import Theme

    own = Theme.objects.create(
        organisation=organisation, code="tranquillite", label="Tranquillité (quartier)"
    )
    feature = make_feature()

    api_as(mediator).post(LIST_URL, feature, format="json")

    assert list(Intervention.objects.get(pk=feature["id"]).themes.all()) == [own]


def test_inactive_code_rejected(api_as, mediator, make_feature, nomenclature):
    outcome = nomenclature["outcome"]["apaise"]
    outcome.is_active = False
    outcome.save()

    body = _post_invalid(api_as(mediator), make_feature())

    assert "apaise" in body["outcome"][0]


def test_openapi_schema_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(
        patterns=[path("api/", include("interventions.api_urls"))]
    )
    schema = generator.get_schema(request=None, public=True)

    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
    post = schema["paths"]["/api/interventions/"]["post"]
    assert set(post["responses"]) == {"200", "201", "400", "409"}
    put = schema["paths"]["/api/interventions/{id}/"]["put"]
    assert set(put["responses"]) == {"200", "201", "400", "409"}
    feature = schema["components"]["schemas"]["Intervention"]
    assert feature["properties"]["geometry"]["properties"]["type"]["enum"] == ["Point"]
    assert "/api/nomenclature/" in schema["paths"]


def test_altitude_dropped_point_stored_2d(api_as, mediator, make_feature):
    feature = make_feature(coordinates=[*NOTRE_DAME, 30.0])

    response = api_as(mediator).post(LIST_URL, feature, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["geometry"]["coordinates"] == list(NOTRE_DAME)
    entry = Intervention.objects.get(pk=feature["id"])
    assert not entry.location.hasz
    assert entry.location.x == pytest.approx(NOTRE_DAME_L93[0], abs=0.01)
    assert entry.location.y == pytest.approx(NOTRE_DAME_L93[1], abs=0.01)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_NDims(location) FROM interventions_intervention WHERE id = %s",
            [feature["id"]],
        )
        assert cursor.fetchone()[0] == 2


def test_altitude_resend_unchanged(api_as, mediator, make_feature):
    feature = make_feature(coordinates=[*NOTRE_DAME, 30.0])
    client = api_as(mediator)
    client.post(LIST_URL, feature, format="json")

    again = client.post(LIST_URL, make_feature(feature["id"]), format="json")

    assert again.status_code == 200
    assert Intervention.objects.count() == 1


def test_deeply_nested_json_rejected(api_as, mediator):
    body = "[" * 100_000 + "]" * 100_000

    response = api_as(mediator).post(
        LIST_URL, data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Le corps de la requête n'est pas un JSON valide : les valeurs sont "
        "imbriquées trop profondément."
    )
    assert Intervention.objects.count() == 0


def test_invalid_json_message_in_french(api_as, mediator):
    response = api_as(mediator).post(
        LIST_URL, data='{"type": ', content_type="application/json"
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith(
        "Le corps de la requête n'est pas un JSON valide : Expecting value"
    )
    assert "JSON parse error" not in detail


def test_invalid_json_message_in_english(api_as, mediator):
    client = api_as(mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.put(
        detail_url(uuid.uuid4()), data="{", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith(
        "The request body is not valid JSON: Expecting property name"
    )


@pytest.mark.parametrize(
    "coordinates, expected",
    [
        (
            ["abc", 48.85],
            "La coordonnée \"abc\" n'est pas un nombre ; envoyez la longitude et "
            "la latitude sous forme de nombres, par exemple [2.35, 48.85].",
        ),
        (
            [2.35, None],
            "La coordonnée null n'est pas un nombre ; envoyez la longitude et "
            "la latitude sous forme de nombres, par exemple [2.35, 48.85].",
        ),
        (
            [2.35, True],
            "La coordonnée true n'est pas un nombre ; envoyez la longitude et "
            "la latitude sous forme de nombres, par exemple [2.35, 48.85].",
        ),
        (
            [2.35],
            "Les coordonnées du point doivent être [longitude, latitude] ou "
            "[longitude, latitude, altitude] ; reçu [2.35].",
        ),
        (
            "2.35,48.85",
            "Les coordonnées du point doivent être [longitude, latitude] ou "
            "[longitude, latitude, altitude] ; reçu \"2.35,48.85\".",
        ),
    ],
)
def test_malformed_coordinates_named(
    api_as, mediator, make_feature, coordinates, expected
):
    feature = make_feature()
    feature["geometry"]["coordinates"] = coordinates

    body = _post_invalid(api_as(mediator), feature)

    assert body == {"location": [expected]}


def test_unparsable_geometry_named(api_as, mediator, make_feature):
    feature = make_feature()
    feature["geometry"] = "pas une géométrie"

    body = _post_invalid(api_as(mediator), feature)

    assert body == {
        "location": [
            "La localisation \"pas une géométrie\" n'est pas une géométrie "
            'GeoJSON ; envoyez {"type": "Point", "coordinates": [longitude, '
            "latitude]}."
        ]
    }


def test_time_before_2000_rejected(api_as, mediator, make_feature):
    feature = make_feature(occurred_at="1900-01-01T10:00:00+00:00")

    body = _post_invalid(api_as(mediator), feature)

    assert body == {
        "occurred_at": [
            "L'heure 1900-01-01 10:00 UTC est antérieure au 2000-01-01 ; vérifiez "
            "l'horloge du téléphone et l'heure saisie."
        ]
    }


def test_time_just_before_2000_rejected(api_as, mediator, make_feature):
    # 23:59 in Paris on 31 December 1999 is 22:59 UTC.
    feature = make_feature(occurred_at="1999-12-31T23:59:00+01:00")

    body = _post_invalid(api_as(mediator), feature)

    assert "1999-12-31 22:59 UTC" in body["occurred_at"][0]


def test_time_at_2000_accepted(api_as, mediator, make_feature):
    feature = make_feature(occurred_at="2000-01-01T00:00:00+01:00")

    response = api_as(mediator).post(LIST_URL, feature, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["properties"]["occurred_at"] == (
        "2000-01-01T00:00:00+01:00"
    )


def test_entry_of_other_organisation_not_found(
    api_as, mediator, make_feature, make_user, other_organisation
):
    stranger = make_user("autre-mediateur", "mediator", other_organisation)
    feature = make_feature()
    api_as(stranger).post(LIST_URL, feature, format="json")

    response = api_as(mediator).get(detail_url(feature["id"]))

    assert response.status_code == 404
    assert response.json() == {
        "detail": (
            f"Aucune saisie que vous pouvez consulter n'a l'identifiant "
            f"{feature['id']}."
        )
    }
