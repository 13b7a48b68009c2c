"""Deployment checks, CSRF on every form, security headers and request size limits."""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.views import APIView

from tests.conftest import ROOT
from tests.security.conftest import client_for
from tests.security.routes import MissingParameterError, build_url, default_params, project_routes


def production_env():
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="geo_mediation.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64)[:64],
        ALLOWED_HOSTS="mediation.example.org",
    )
    return env


def test_check_deploy_clean_with_production_settings():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_check_deploy_security_tag_clean():
    """The security checks alone, so their result shows apart from the other apps' checks."""
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security",
         "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output


def test_production_cookie_and_transport_settings():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE',"
        "'SESSION_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS',"
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS']}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=production_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


# --- CSRF ------------------------------------------------------------------

ROUTES = project_routes()


def test_no_page_view_exempt_from_csrf():
    exempt = []
    for route in ROUTES:
        view_class = getattr(route.callback, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            continue  # DRF: checked below
        if getattr(route.callback, "csrf_exempt", False):
            exempt.append(route.route)
    assert exempt == []


def test_api_session_authentication_enforces_csrf():
    """DRF views are csrf_exempt; their session authentication must check CSRF itself."""
    weakened = []
    for route in ROUTES:
        view_class = getattr(route.callback, "cls", None)
        if view_class is None or not issubclass(view_class, APIView):
            continue
        for auth_class in view_class().get_authenticators():
            if isinstance(auth_class, SessionAuthentication) and (
                type(auth_class).enforce_csrf is not SessionAuthentication.enforce_csrf
            ):
                weakened.append((route.route, type(auth_class).__name__))
    assert weakened == []


@pytest.mark.django_db
def test_login_post_without_csrf_token_rejected(users):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "mediator", "password": "x"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_api_post_with_session_without_csrf_rejected(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["mediator"])
    response = client.post("/api/interventions/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


class FormCollector(HTMLParser):
    """Collect each form's method and whether it contains a CSRF token field."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "csrf": False,
                               "action": attrs.get("action", "")})
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["csrf"] = True


@pytest.mark.django_db
def test_every_post_form_carries_csrf_token(walk_context):
    """Every page a role can open: each POST form has a csrfmiddlewaretoken field."""
    world = walk_context["world"]
    missing = []
    checked = 0
    for label in ("mediator", "coordinator", "analyst", "client_viewer", "admin", "superuser"):
        client = client_for(world, label)
        for route in ROUTES:
            if route.is_api or route.parameters and not route.route.startswith(
                ("mes-saisies", "territories/import", "admin/accounts/user/<path")
            ):
                continue
            try:
                url = build_url(route, default_params(walk_context, route))
            except MissingParameterError:
                continue
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            collector = FormCollector()
            collector.feed(response.content.decode())
            for form in collector.forms:
                if form["method"] == "post":
                    checked += 1
                    if not form["csrf"]:
                        missing.append(f"{label} {url} form action={form['action']!r}")
    assert checked > 0
    assert missing == []


# --- headers ---------------------------------------------------------------


@pytest.mark.django_db
def test_page_security_headers(users):
    client = Client()
    response = client.get("/login/")
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_csp_nonce_matches_inline_scripts(world):
    """The admin's Leaflet widget: each inline <script> carries the policy's nonce."""
    import re

    client = Client()
    client.force_login(world.superuser)
    response = client.get(f"/admin/territories/territory/{world.alpha.pk}/change/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    html = response.content.decode()
    inline = [
        tag for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert inline != []
    for tag in inline:
        assert f'nonce="{nonce}"' in tag, tag


# --- request size ----------------------------------------------------------


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_api_json_body_over_limit_rejected(users):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["mediator"])
    body = json.dumps({"note": "x" * 2000})
    response = client.post("/api/interventions/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is 2.0")
    assert "more than the limit of 1000" in response.json()["detail"]


@pytest.mark.django_db
@override_settings(MAX_UPLOAD_SIZE=5000)
def test_upload_over_limit_rejected(users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("zones.geojson", b"x" * 6000, content_type="application/geo+json")
    response = client.post("/territories/import/", {"file": upload})
    assert response.status_code == 413


@pytest.mark.django_db
@override_settings(MAX_UPLOAD_SIZE=5000)
def test_upload_under_limit_reaches_view(users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("zones.geojson", b"{}", content_type="application/geo+json")
    response = client.post("/territories/import/", {"file": upload})
    assert response.status_code != 413
