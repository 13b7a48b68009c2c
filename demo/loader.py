"""Load the whole demo: accounts, territory sets, client perimeters and entries.

Every step checks what exists first, so running the loader again only reads
the files, finds everything in place and writes nothing. The entries of the
Paris provider are re-attached to the territories (one set-based call) only
when this run created a set or an entry. The Occitanie provider has no
entries.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from accounts.demo import (
    DEMO_ACCOUNTS,
    DEMO_ORGANISATION,
    SECOND_ORGANISATION,
    create_demo_accounts,
)
from accounts.models import Client, Organisation, User
from demo.dansmarue import load_reports
from demo.datasets import MANIFEST_PATH, locate_datasets, read_manifest
from demo.synthetic import load_synthetic_presence
from demo.territory_sets import ESTATE_SLUGS, load_occitanie_sets, load_paris_sets
from interventions.models import Intervention
from layers.cache import bump_data_version
from territories.attachment import reattach_organisation
from territories.models import Attachment, Territory

CITY_CLIENT = "Ville de Paris"
DEMO_MEDIATOR = "mediateur"
DEMO_REVIEWER = "coordinatrice"


@dataclass
class DemoLoad:
    """Sets, entry counts and duration of one run of the loader."""

    accounts_created: list = field(default_factory=list)
    sets: dict = field(default_factory=dict)
    reports: object = None
    synthetic: object = None
    attachments: int | None = None
    seconds: float = 0.0

    @property
    def changed(self):
        return (
            any(load.created for load in self.sets.values())
            or self.reports.created > 0
            or self.synthetic.created > 0
        )


def default_download_dir():
    return Path(settings.VAR_DIR) / "demo-data"


def load_demo(
    *, data_dir=None, download_dir=None, manifest_path=MANIFEST_PATH, report=print
):
    """Load every demo dataset that is not loaded yet; return a DemoLoad.

    Files come from `data_dir` (default settings.DEMO_DATA_DIR) or are
    downloaded into `download_dir` (default var/demo-data). Raises
    demo.datasets.DemoDataError when a dataset is missing or does not match
    the manifest, before anything is written.
    """
    started = time.monotonic()
    data_dir = Path(data_dir or settings.DEMO_DATA_DIR)
    download_dir = Path(download_dir or default_download_dir())
    datasets = read_manifest(manifest_path)
    report(f"Demo data: {data_dir} (downloads go to {download_dir})")
    paths = locate_datasets(
        datasets, data_dir=data_dir, download_dir=download_dir, report=report
    )

    # The command creates the accounts first, so their passwords are kept even
    # when a later step fails. This call only creates what is still missing.
    result = DemoLoad(accounts_created=create_demo_accounts())
    paris = Organisation.objects.get(slug=DEMO_ORGANISATION["slug"])
    occitanie = Organisation.objects.get(slug=SECOND_ORGANISATION["slug"])
    result.sets.update(
        load_paris_sets(paths, datasets, organisation=paris, report=report)
    )
    result.sets.update(
        load_occitanie_sets(paths, datasets, organisation=occitanie, report=report)
    )
    set_client_perimeters(paris, result.sets)

    mediator = User.objects.get(username=DEMO_MEDIATOR)
    reviewer = User.objects.get(username=DEMO_REVIEWER)
    report("paris-dansmarue: mapping the reports to the nomenclature")
    result.reports = load_reports(
        paths["paris-dansmarue"],
        organisation=paris,
        mediator=mediator,
        reviewer=reviewer,
    )
    result.synthetic = load_synthetic_presence(
        organisation=paris,
        mediator=mediator,
        reviewer=reviewer,
        estate_set_ids=[
            result.sets[slug].territory_set.id for slug in ESTATE_SLUGS.values()
        ],
        quartier_set_id=result.sets["paris-quartiers"].territory_set.id,
    )
    if result.changed:
        report("Attaching the entries to the territories")
        result.attachments = reattach_organisation(paris.id)
        # bulk_create and the set-based attachment send no signal, so the
        # cached layers are invalidated here.
        bump_data_version()

    result.seconds = time.monotonic() - started
    return result


def set_client_perimeters(organisation, sets):
    """Give the city every arrondissement and each landlord client its own estates."""
    city = Client.objects.get(organisation=organisation, name=CITY_CLIENT)
    city.perimeter.set(
        Territory.objects.filter(
            territory_set=sets["paris-arrondissements"].territory_set
        )
    )
    for client_name, slug in ESTATE_SLUGS.items():
        client = Client.objects.get(organisation=organisation, name=client_name)
        client.perimeter.set(
            Territory.objects.filter(territory_set=sets[slug].territory_set)
        )


def summary_lines(result):
    """Describe what is loaded, set by set, for the command's output."""
    lines = ["Territory sets:"]
    for slug, load in result.sets.items():
        territory_set = load.territory_set
        count = territory_set.territories.count()
        state = "loaded now" if load.created else "already there"
        lines.append(
            f"  {territory_set.organisation.slug}/{slug} v{territory_set.version}: "
            f"{count} territories ({state})"
        )

    reports = result.reports
    lines.append(
        f"DansMaRue reports: {reports.rows} rows, {reports.mapped} mapped "
        f"({reports.created} created now, {reports.existing} already there), "
        f"{reports.no_location} without a usable point, {reports.bad_date} with an "
        f"invalid date, {reports.duplicates} repeating an earlier report id"
    )
    if reports.unmapped:
        skipped = ", ".join(
            f"{name} {count}" for name, count in reports.unmapped.most_common()
        )
        lines.append(f"  skipped, category not mapped: {skipped}")
    synthetic = result.synthetic
    lines.append(
        f"Synthetic presence entries: {synthetic.created + synthetic.existing} "
        f"({synthetic.created} created now)"
    )
    demo_entries = Intervention.objects.filter(is_demo=True)
    lines.append(
        f"Demo entries in the database: {demo_entries.count()}, of which "
        f"{demo_entries.filter(outside_territories=True).count()} outside every "
        "territory; "
        f"attachments: {Attachment.objects.filter(intervention__is_demo=True).count()}"
    )
    for client in Client.objects.filter(
        organisation__slug=DEMO_ORGANISATION["slug"]
    ).order_by("name"):
        lines.append(f"  client {client.name}: {client.perimeter.count()} territories")
    usernames = [username for username, _role, _client, _org in DEMO_ACCOUNTS]
    lines.append("Demo accounts:")
    for user in User.objects.filter(username__in=usernames).order_by(
        "organisation", "username"
    ):
        client = f", client {user.client.name}" if user.client_id else ""
        lines.append(
            f"  {user.username} ({user.role}{client}, {user.organisation.name})"
        )
    lines.append(f"Done in {result.seconds:.1f} s.")

    return lines
