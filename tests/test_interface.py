"""Interface details: error pages, the demonstration data marks, the review queue's
sentence, the export page, and the capture page's outlines and header on a phone."""

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import browser_login, square

PARIS = ZoneInfo("Europe/Paris")
DEMO_NOTICE = (
    "Jeu de données de démonstration : signalements DansMaRue (Ville de Paris, ODbL) "
    "et entrées synthétiques."
)
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
LOOPBACK = re.compile(r"^(https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/|data:|blob:)")


@pytest.fixture
def make_entry(nomenclature):
    def make(mediator, status="submitted", is_demo=False):
        from interventions.models import Intervention

        return Intervention.objects.create(
            id=uuid.uuid4(),
            organisation=mediator.organisation,
            mediator=mediator,
            occurred_at=datetime(2025, 3, 14, 15, 30, tzinfo=PARIS),
            location=Point(2.3499, 48.8530, srid=4326),
            category=nomenclature["category"]["veille-technique"],
            type=nomenclature["type"]["signalement-eclairage"],
            intensity=1,
            status=status,
            is_demo=is_demo,
        )

    return make


def page_text(response):
    return response.content.decode()


# --- error pages ---------------------------------------------------------------


def test_404_shows_user_message_in_french(client, users, settings):
    settings.DEBUG = False
    client.force_login(users["mediator"])
    response = client.get(f"/mes-saisies/{uuid.uuid4()}/")
    assert response.status_code == 404
    html = page_text(response)
    assert "Page introuvable" in html
    # The view's own message, translated, is shown.
    assert "Aucune de vos saisies n&#x27;a cet identifiant." in html
    assert "Not Found" not in html
    assert 'href="/"' in html


def test_404_hides_resolver_class_name(client, users, settings):
    settings.DEBUG = False
    client.force_login(users["coordinator"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = page_text(response)
    assert "Page introuvable" in html
    assert "Resolver404" not in html
    assert "Cette adresse n'existe pas" in html


def test_404_for_territory_out_of_perimeter(client, users, settings):
    settings.DEBUG = False
    client.force_login(users["client_viewer"])
    response = client.get("/reports/zone/", {"zone": "territory:999999"})
    assert response.status_code == 404
    html = page_text(response)
    assert "Page introuvable" in html
    assert "999999" in html


def test_403_with_and_without_message(client, users, settings):
    settings.DEBUG = False
    client.force_login(users["mediator"])
    with_message = client.get("/reports/zone/", {"zone": "territory:1"})
    assert with_message.status_code == 403
    assert "Accès refusé" in page_text(with_message)
    assert "error-message" in page_text(with_message)

    client.force_login(users["client_viewer"])
    without_message = client.get("/saisie/")
    assert without_message.status_code == 403
    html = page_text(without_message)
    assert "Accès refusé" in html
    assert "Votre rôle ne donne pas accès à cette page." in html
    assert "Forbidden" not in html


# --- demonstration data ------------------------------------------------------------


def test_demo_banner_only_with_demo_entries(client, users, make_entry, make_user,
                                            other_organisation):
    client.force_login(users["coordinator"])
    assert DEMO_NOTICE not in page_text(client.get("/"))

    # Another organisation's demo entries do not mark this one's pages.
    stranger = make_user("stranger", "mediator", other_organisation)
    make_entry(stranger, is_demo=True)
    assert DEMO_NOTICE not in page_text(client.get("/"))

    make_entry(users["mediator"], is_demo=True)
    assert DEMO_NOTICE in page_text(client.get("/"))


def test_demo_flag_queried_once(client, users, make_entry):
    make_entry(users["mediator"], is_demo=True)
    client.force_login(users["coordinator"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/validation/")
    assert DEMO_NOTICE in page_text(response)
    # The review queue also reads is_demo in its row query; the banner runs one EXISTS.
    exists_queries = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT 1 AS "a"') and '"is_demo"' in q["sql"]
    ]
    assert len(exists_queries) == 1


def test_demo_badge_on_own_entries_and_review(client, users, make_entry):
    demo = make_entry(users["mediator"], is_demo=True)
    real = make_entry(users["mediator"])

    client.force_login(users["mediator"])
    html = page_text(client.get("/mes-saisies/"))
    demo_item = re.search(rf'data-id="{demo.pk}".*?</li>', html, re.S).group(0)
    real_item = re.search(rf'data-id="{real.pk}".*?</li>', html, re.S).group(0)
    assert 'class="demo-badge"' in demo_item
    assert 'class="demo-badge"' not in real_item

    client.force_login(users["coordinator"])
    html = page_text(client.get("/validation/"))
    demo_item = re.search(rf'data-id="{demo.pk}".*?</li>', html, re.S).group(0)
    real_item = re.search(rf'data-id="{real.pk}".*?</li>', html, re.S).group(0)
    assert 'class="demo-badge"' in demo_item
    assert 'class="demo-badge"' not in real_item


# --- review queue sentence ----------------------------------------------------------


@pytest.mark.parametrize(
    "count, sentence",
    [
        (0, "Aucune saisie à valider."),
        (1, "1 saisie à valider."),
        (2, "2 saisies à valider, les plus anciennes en premier."),
    ],
)
def test_review_queue_sentence(client, users, make_entry, count, sentence):
    for _ in range(count):
        make_entry(users["mediator"])
    client.force_login(users["coordinator"])
    html = page_text(client.get("/validation/"))
    assert sentence in html
    assert "0 saisie" not in html


# --- export page ---------------------------------------------------------------


def test_export_help_after_field_and_job_labels(client, users):
    from layers.exports.models import ExportJob

    ExportJob.objects.create(
        user=users["coordinator"], layer="entries", format="shp", srid=2154
    )
    client.force_login(users["coordinator"])
    html = page_text(client.get("/exports/"))
    field = html.index('id="id_srid"')
    help_text = html.index('id="id_srid_helptext"')
    label = html.index('for="id_srid"')
    assert label < field < help_text

    row = re.search(r'<tr class="export-job.*?</tr>', html, re.S).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[1].strip() == "Interventions (points)"
    assert cells[2].strip() == "Shapefile (zippé)"


# --- capture page on a phone -------------------------------------------------------


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    context.route(lambda url: not LOOPBACK.match(url), lambda route: route.abort())
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_capture_outlines_one_set_at_a_time(
    phone_page, live_server, users, nomenclature, organisation, artifacts_dir
):
    from playwright.sync_api import expect

    from territories.models import Territory, TerritorySet

    # Three districts and one city: the city, with the fewest polygons, is drawn first.
    districts = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers"
    )
    for index in range(3):
        Territory.objects.create(
            territory_set=districts,
            code=f"Q{index}",
            name=f"Quartier {index}",
            geom=square(652000 + index * 500, 6861000, 500),
        )
    city = TerritorySet.objects.create(
        organisation=organisation, slug="ville", kind="city", name="Ville"
    )
    Territory.objects.create(
        territory_set=city, code="V", name="Ville", geom=square(652000, 6861000, 1500)
    )

    page = phone_page
    browser_login(page, live_server, "mediator")
    page.goto(f"{live_server.url}/saisie/")
    page.wait_for_selector("#capture[data-outlines-pending='0']", state="attached")
    paths = page.locator("#capture-map .leaflet-overlay-pane path")
    expect(paths).to_have_count(1)
    assert page.locator("#outline-set").input_value() == str(city.pk)

    # Every set was fetched: switching works with no network.
    page.context.set_offline(True)
    page.select_option("#outline-set", str(districts.pk))
    expect(paths).to_have_count(3)
    page.context.set_offline(False)

    # The header is one slim line until the menu button opens it.
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] < 56
    expect(page.locator(".site-nav")).to_be_hidden()
    page.locator(".menu-toggle").click()
    expect(page.locator(".site-nav")).to_be_visible()
    expect(page.locator(".logout-form")).to_be_visible()
    page.locator(".menu-toggle").click()
    expect(page.locator(".site-nav")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir / "interface-capture-phone.png"))
