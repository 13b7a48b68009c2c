"""Report pages and API: who may see what, and the JSON of a report."""

import pytest
from django.urls import reverse

from tests.reports.conftest import paris

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2024-03-01", "end": "2024-03-31"}


@pytest.fixture
def march(districts, perimeter, plant):
    _territory_set, territories = districts
    plant(territories["A"], paris(2024, 3, 5, 10), 12)
    plant(territories["B"], paris(2024, 3, 6, 15), 3)
    plant(territories["C"], paris(2024, 3, 7, 11), 8)
    return territories


def _client(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name",
    ["reports:index", "reports:detail", "reports:pdf", "reports:csv", "reports:xlsx"],
)
@pytest.mark.parametrize("role", ["mediator", "admin"])
def test_role_forbidden(client, users, march, name, role):
    response = _client(client, users[role]).get(
        reverse(name), {"zone": f"territory:{march['A'].pk}", **PERIOD}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["mediator", "admin"])
def test_role_forbidden_in_api(client, users, march, role):
    response = _client(client, users[role]).get(
        reverse("api-reports-zone"), {"zone": f"territory:{march['A'].pk}", **PERIOD}
    )
    assert response.status_code == 403


def test_anonymous_redirected_to_login(client, march):
    response = client.get(
        reverse("reports:detail"), {"zone": f"territory:{march['A'].pk}"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["coordinator", "analyst"])
def test_staff_read_any_zone_of_organisation(client, users, march, role):
    response = _client(client, users[role]).get(
        reverse("reports:detail"), {"zone": f"territory:{march['C'].pk}", **PERIOD}
    )
    assert response.status_code == 200
    assert "Quartier C" in response.content.decode()


def test_client_viewer_limited_to_perimeter(client, users, march):
    viewer = _client(client, users["client_viewer"])
    outside = viewer.get(
        reverse("reports:detail"), {"zone": f"territory:{march['C'].pk}", **PERIOD}
    )
    assert outside.status_code == 404
    inside = viewer.get(
        reverse("reports:detail"), {"zone": f"territory:{march['A'].pk}", **PERIOD}
    )
    assert inside.status_code == 200
    api_outside = viewer.get(
        reverse("api-reports-zone"), {"zone": f"territory:{march['C'].pk}", **PERIOD}
    )
    assert api_outside.status_code == 404


def test_client_viewer_cannot_read_other_client(client, users, march, organisation):
    from accounts.models import Client

    other = Client.objects.create(
        organisation=organisation, name="Bailleur", kind="bailleur"
    )
    other.perimeter.set([march["C"]])
    response = _client(client, users["client_viewer"]).get(
        reverse("reports:detail"), {"zone": f"client:{other.pk}", **PERIOD}
    )
    assert response.status_code == 404


def test_other_organisation_gets_404(client, make_user, other_organisation, march):
    outsider = make_user("outsider", "analyst", other_organisation)
    response = _client(client, outsider).get(
        reverse("api-reports-zone"), {"zone": f"territory:{march['A'].pk}", **PERIOD}
    )
    assert response.status_code == 404


def test_bad_zone_is_explained(client, users, march):
    analyst = _client(client, users["analyst"])
    page = analyst.get(reverse("reports:detail"), {"zone": "district:1", **PERIOD})
    assert page.status_code == 400
    assert "zone=district:1" in page.content.decode()
    api = analyst.get(reverse("api-reports-zone"), {"zone": "district:1", **PERIOD})
    assert api.status_code == 400
    assert "zone=district:1" in api.json()["detail"]
    dates = analyst.get(
        reverse("api-reports-zone"),
        {"zone": f"territory:{march['A'].pk}", "start": "2024-03-01"},
    )
    assert dates.status_code == 400
    assert "start" in dates.json()["detail"]


def test_api_json_for_client_viewer(client, users, march, perimeter):
    from accounts.models import AuditEvent

    response = _client(client, users["client_viewer"]).get(
        reverse("api-reports-zone"), {"zone": f"client:{perimeter.pk}", **PERIOD}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["zone"]["territories"][0]["code"] == "A"
    assert data["suppression"]["applied"] is True
    summary = next(table for table in data["tables"] if table["name"] == "summary")
    # A 12 + B 3 in the perimeter; C is outside it.
    assert summary["rows"][0]["cells"][0]["value"] == 15
    comparison = next(
        table for table in data["tables"] if table["name"] == "comparison"
    )
    b_row = next(row for row in comparison["rows"] if row["label"] == "Quartier B")
    assert b_row["cells"][3] == {"value": None, "display": "< 5", "status": "primary"}
    assert data["map"]["zone"]["geometry"]["type"] == "MultiPolygon"
    # GeoJSON in EPSG:4326, longitude first: Lambert-93 x=650000 is near 2.3 E.
    longitude, latitude = data["map"]["zone"]["geometry"]["coordinates"][0][0][0]
    assert 2.0 < longitude < 2.6
    assert 48.5 < latitude < 49.2
    event = AuditEvent.objects.get(action="report_download")
    assert event.details["format"] == "json"
    assert event.target == f"client:{perimeter.pk}"


def test_api_zones_lists_perimeter_only(client, users, march, perimeter):
    response = _client(client, users["client_viewer"]).get(reverse("api-reports-zones"))
    data = response.json()
    assert [item["zone"] for item in data["clients"]] == [f"client:{perimeter.pk}"]
    assert sorted(item["code"] for item in data["territories"]) == ["A", "B"]


def test_index_offers_zones_and_filters(client, users, march, perimeter):
    response = _client(client, users["analyst"]).get(reverse("reports:index"))
    content = response.content.decode()
    assert response.status_code == 200
    assert f'value="client:{perimeter.pk}"' in content
    assert f'value="territory:{march["C"].pk}"' in content
    assert 'name="time_slot"' in content
    assert 'name="status"' in content


def test_index_for_client_viewer_hides_statuses(client, users, march, perimeter):
    content = (
        _client(client, users["client_viewer"])
        .get(reverse("reports:index"))
        .content.decode()
    )
    assert f'value="territory:{march["C"].pk}"' not in content
    assert f'value="territory:{march["A"].pk}"' in content
    assert 'name="status"' not in content


def test_index_defaults_to_latest_entry_months(client, users, march, plant):
    # An entry of district C in May 2024 is the latest for the analyst, but
    # C is outside the client's perimeter: its viewer's latest is March.
    plant(march["C"], paris(2024, 5, 20, 10))
    analyst = _client(client, users["analyst"]).get(reverse("reports:index"))
    content = analyst.content.decode()
    assert 'name="start" value="2023-06-01"' in content
    assert 'name="end" value="2024-05-31"' in content
    viewer = _client(client, users["client_viewer"]).get(reverse("reports:index"))
    content = viewer.content.decode()
    assert 'name="start" value="2023-04-01"' in content
    assert 'name="end" value="2024-03-31"' in content


def test_api_default_period_ends_with_latest_entry(client, users, march, perimeter):
    response = _client(client, users["client_viewer"]).get(
        reverse("api-reports-zone"), {"zone": f"client:{perimeter.pk}"}
    )
    assert response.status_code == 200
    period = response.json()["period"]
    assert (period["start"], period["end"]) == ("2023-04-01", "2024-03-31")


def test_zone_geom_unions_perimeter(users, districts, perimeter):
    from layers.reports.zones import zone_resolve
    from territories.models import Territory
    from tests.conftest import square

    territory_set, _territories = districts
    zone = zone_resolve(users["client_viewer"], f"client:{perimeter.pk}")
    geom = zone.geom()
    # A (1 km²) and B (4 km²) are 1 km apart: two polygons.
    assert geom.geom_type == "MultiPolygon"
    assert len(geom) == 2
    assert geom.area == pytest.approx(5_000_000)
    assert geom.srid == 2154

    # A square filling the gap touches A and B: one polygon of 6 km².
    bridge = Territory.objects.create(
        territory_set=territory_set,
        code="AB",
        name="Entre A et B",
        geom=square(651000, 6860000, 1000),
    )
    perimeter.perimeter.add(bridge)
    geom = zone_resolve(users["client_viewer"], f"client:{perimeter.pk}").geom()
    assert geom.geom_type == "MultiPolygon"
    assert len(geom) == 1
    assert geom.area == pytest.approx(6_000_000)


def test_extreme_period_rejected_with_400(client, users, march):
    response = _client(client, users["coordinator"]).get(
        reverse("api-reports-zone"),
        {"zone": f"territory:{march['A'].pk}", "start": "0001-01-01", "end": "9999-12-31"},
    )
    assert response.status_code == 400
    assert "0001-01-01" in response.content.decode()
