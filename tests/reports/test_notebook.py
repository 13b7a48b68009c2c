"""The zone report notebook runs on the test database and matches the service."""

import json
from pathlib import Path

import pytest

from tests.reports.conftest import paris

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "zone_report.ipynb"


def _database_url():
    from django.db import connection

    settings = connection.settings_dict
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_notebook_matches_service(districts, plant, users, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    _territory_set, territories = districts
    zone = territories["B"]
    # A rising series over 2024, one presence entry of 90 minutes a month,
    # an entry at 23:30 on 31 October, and entries in both comparison periods.
    for month in range(1, 13):
        plant(zone, paris(2024, month, 10, 15), month)
        plant(
            zone,
            paris(2024, month, 12, 9),
            category="presence-active",
            type="tournee-pied",
            duration=90,
        )
    plant(zone, paris(2024, 10, 31, 23, 30), 2)
    plant(zone, paris(2023, 6, 1, 10), 4)
    plant(zone, paris(2022, 12, 31, 23, 30), 3)
    plant(territories["A"], paris(2024, 5, 5, 10), 6)

    monkeypatch.setenv("DATABASE_URL", _database_url())
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "geo_mediation.settings.test")
    monkeypatch.setenv("REPORT_USERNAME", users["analyst"].username)
    monkeypatch.setenv("REPORT_ZONE", f"territory:{zone.pk}")
    monkeypatch.setenv("REPORT_START", "2024-01-01")
    monkeypatch.setenv("REPORT_END", "2024-12-31")

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()

    last = notebook.cells[-1].outputs[-1]["text"]
    figures = json.loads(last)
    # Month m has m entries plus one presence entry; October has 2 more. For
    # a twelve-month period the previous period is also the previous year
    # (2023), and the entries of 31 December 2022 at 23:30 fall outside it.
    expected_monthly = [month + 1 for month in range(1, 13)]
    expected_monthly[9] += 2
    assert figures["notebook"]["monthly_total"] == expected_monthly
    assert figures["service"]["monthly_total"] == expected_monthly
    assert figures["notebook"]["totals"] == {
        "current": 92,
        "previous": 4,
        "previous_year": 4,
    }
    assert figures["service"]["totals"] == figures["notebook"]["totals"]
    assert figures["notebook"]["hours"] == {"presence": 18.0, "all": 18.0}
    assert figures["service"]["hours"] == figures["notebook"]["hours"]
    assert figures["trend"]["direction"] == "increasing"
    assert figures["notebook"]["trend_slope"] == pytest.approx(
        figures["service"]["trend_slope"]
    )
    html_outputs = [
        output["data"]["text/html"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]
    assert any("leaflet" in html.lower() for html in html_outputs)
