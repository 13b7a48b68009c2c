"""Cache of computed layers, keyed by user scope and filters.

Every key embeds a data version that signals bump when entries, territories,
attachments or a client's perimeter are saved or deleted through the ORM, so
a cached layer is not served after the data it was computed from changed.
Writes that send no signal must bump the version themselves (see
layers.signals). The version starts from the clock, so a version key evicted
from the cache cannot come back to an older value whose layers may still be
cached.
"""

import hashlib
import json
import logging
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connection, transaction
from django.utils import translation

logger = logging.getLogger(__name__)

VERSION_KEY = "layers:data-version"
TIMEOUT = 6 * 3600


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _increment():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns() // 1000, timeout=None)


def _bump():
    if not isinstance(caches[DEFAULT_CACHE_ALIAS], DatabaseCache):
        _increment()
        return
    try:
        # A savepoint, because the database cache shares the connection: a
        # failing cache query must not abort the transaction that saved data.
        with transaction.atomic():
            _increment()
    except DatabaseError as error:
        logger.error("failed to bump the layer data version %s: %s", VERSION_KEY, error)


def bump_data_version():
    """Invalidate every cached layer, now and again once the transaction commits.

    The second bump covers a layer computed between the first one and the
    commit, which could otherwise be cached from the data before the change.
    Within one transaction only the first call bumps, so deleting many rows
    does not write the cache once per row.
    """
    if connection.in_atomic_block:
        # NOTE: reads Django's list of pending on-commit callbacks
        # (connection.run_on_commit, entries (savepoint ids, func, robust)),
        # which Django empties when the transaction or savepoint rolls back.
        if any(entry[1] is _bump for entry in connection.run_on_commit):
            return
        transaction.on_commit(_bump)
    _bump()


def user_scope(user):
    """Part of the cache key that sets what data the user's layers come from."""
    if user.is_superuser:
        return "all"
    if user.role == user.Role.CLIENT_VIEWER:
        return f"org{user.organisation_id}-client{user.client_id}"
    return f"org{user.organisation_id}"


def layer_key(layer, user, filters, **params):
    """Cache key of one layer for a user scope, filters and extra parameters."""
    payload = json.dumps(
        {"filters": filters.as_dict(), "params": params}, sort_keys=True, default=str
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
    language = translation.get_language() or "-"
    return f"layers:{data_version()}:{layer}:{user_scope(user)}:{language}:{digest}"


def get_or_compute(key, compute, timeout=TIMEOUT):
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
