class CacheRouter:
    """Send the database cache's queries to the `cache` connection.

    That connection points at the same database but runs in autocommit. A
    cache write made while a request's transaction is open, such as the layer
    data version bumped when an entry is saved, therefore holds no row lock
    until that transaction commits. Such a lock would serialise concurrent
    submissions.
    """

    def db_for_read(self, model, **hints):
        return "cache" if model._meta.app_label == "django_cache" else None

    def db_for_write(self, model, **hints):
        return "cache" if model._meta.app_label == "django_cache" else None
