"""Pages pass the content security policy in a real browser.

Chromium reports each blocked script, style or request as a
`securitypolicyviolation` event and a console error; both are collected while
the pages load and must stay empty.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import NoReverseMatch, reverse

from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + event.sourceFile + ":" + event.lineNumber
  );
});
"""


@pytest.fixture
def nomenclature(transactional_db):
    """The default nomenclature, seeded again when an earlier test flushed it."""
    from django.apps import apps

    from interventions.nomenclature import seed_default_nomenclature
    from interventions.models import Category, InterventionType

    seed_default_nomenclature(apps)
    return {
        "category": {c.code: c for c in Category.objects.filter(organisation=None)},
        "type": {t.code: t for t in InterventionType.objects.filter(organisation=None)},
    }


@pytest.fixture
def page(browser, live_server, settings):
    # Base-map tiles from the test server itself (they 404): no other host.
    settings.BASEMAP_TILE_URL = f"{live_server.url}/no-tiles/{{z}}/{{x}}/{{y}}.png"
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.add_init_script(COLLECT_VIOLATIONS)

    def local_only(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", local_only)
    page.console_errors = []
    page.on(
        "console",
        lambda message: page.console_errors.append(message.text)
        if message.type == "error"
        else None,
    )
    yield page
    context.close()


def violations(page):
    found = page.evaluate("window.__cspViolations")
    found += [
        text for text in page.console_errors
        if "Content Security Policy" in text or "Refused to" in text
    ]
    return found


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    return response


def test_login_page_passes_csp(page, live_server):
    response = visit(page, f"{live_server.url}/login/")
    assert response.status == 200
    assert violations(page) == []


def test_home_and_role_pages_pass_csp(page, live_server, world, artifacts_dir):
    browser_login(page, live_server, world.superuser.username)
    urls = ["/"]
    for name in ("layers:map", "interventions:capture", "accounts:audit", "territories:index"):
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    found = {}
    for url in urls:
        visit(page, f"{live_server.url}{url}")
        if violations(page):
            found[url] = violations(page)
            page.screenshot(path=artifacts_dir / "csp-violation.png")
    assert found == {}


def test_admin_leaflet_widget_passes_csp(page, live_server, world, artifacts_dir):
    browser_login(page, live_server, world.superuser.username)
    for url in (
        f"/admin/territories/territory/{world.alpha.pk}/change/",
        f"/admin/interventions/intervention/{world.entry.pk}/change/",
    ):
        response = visit(page, f"{live_server.url}{url}")
        assert response.status == 200, url
        # The widget's inline script ran: Leaflet drew its map container.
        page.wait_for_selector(".leaflet-container", timeout=15000)
        page.screenshot(path=artifacts_dir / "admin-leaflet-widget.png")
        assert violations(page) == [], url
