"""Invalidate cached layers when the data behind them change."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from layers.cache import bump_data_version


def _on_change(sender, **kwargs):
    bump_data_version()


def connect():
    from accounts.models import Client
    from interventions.models import Intervention
    from territories.models import Attachment, Territory, TerritorySet

    for model in (Intervention, Territory, TerritorySet, Attachment):
        post_save.connect(
            _on_change, sender=model, dispatch_uid=f"layers-{model.__name__}-save"
        )
    # Attachments are left out on purpose: a receiver would make Django load
    # and signal every attachment of a deleted territory or entry one by one,
    # and the deletion that cascades to them already sends its own signal.
    for model in (Intervention, Territory, TerritorySet):
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"layers-{model.__name__}-delete"
        )
    for through in (Intervention.themes.through, Client.perimeter.through):
        m2m_changed.connect(
            _on_change, sender=through, dispatch_uid=f"layers-{through.__name__}"
        )


# NOTE: bulk_create, queryset.update() and the set-based SQL of
# territories.attachment send no signal; code that writes entries or
# attachments that way calls `layers.cache.bump_data_version()` itself.
