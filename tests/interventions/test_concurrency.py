"""Identical requests arriving together store one row (real HTTP, a thread each).

The live server handles each request in its own thread with its own database
connection, so the inserts really race in PostgreSQL.
"""

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from rest_framework.authtoken.models import Token

from interventions.models import Intervention

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 20


def _send_together(url, method, body, token, count=SENDERS):
    """Send `count` identical requests at the same instant; return (status, body)s."""
    barrier = threading.Barrier(count)
    results = [None] * count
    data = json.dumps(body).encode()

    def send(index):
        request = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {token}",
                "Accept-Language": "en",
            },
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results[index] = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            results[index] = (error.code, error.read().decode())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def token(users, nomenclature):
    return Token.objects.create(user=users["mediator"]).key


def test_twenty_identical_posts_one_row(live_server, token, make_feature):
    feature = make_feature()

    results = _send_together(
        f"{live_server.url}/api/interventions/", "POST", feature, token
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (SENDERS - 1) + [201], results
    bodies = {json.dumps(body, sort_keys=True) for _, body in results}
    assert len(bodies) == 1
    assert Intervention.objects.filter(pk=feature["id"]).count() == 1
    assert Intervention.objects.count() == 1
    stored = Intervention.objects.get(pk=feature["id"])
    assert [theme.code for theme in stored.themes.all()] == ["tranquillite"]


def test_twenty_identical_puts_one_row(live_server, token, make_feature):
    entry_id = uuid.uuid4()
    feature = make_feature(entry_id)

    results = _send_together(
        f"{live_server.url}/api/interventions/{entry_id}/", "PUT", feature, token
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (SENDERS - 1) + [201], results
    assert Intervention.objects.count() == 1
