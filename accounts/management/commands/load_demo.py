from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import create_demo_accounts
from demo.dansmarue import MappingError
from demo.datasets import MANIFEST_PATH, DemoDataError
from demo.loader import load_demo, summary_lines
from territories.errors import TerritoryImportError


class Command(BaseCommand):
    help = (
        "Create the demo organisations and one account per role, then load the "
        "demo's open data: Paris arrondissements, quartiers, IRIS with their "
        "population, landlord estates, DansMaRue street reports as entries, and "
        "the 2015 QPV of Occitanie. Passwords are printed when an account is "
        "created and kept in var/demo-accounts.txt. Running it again loads "
        "nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            help=(
                "Folder containing the open datasets, one sub-folder per dataset "
                "(default: the DEMO_DATA_DIR setting). Datasets missing from it "
                "are downloaded into var/demo-data/."
            ),
        )
        parser.add_argument(
            "--download-dir",
            help="Folder where downloaded datasets are kept (default: var/demo-data).",
        )
        parser.add_argument(
            "--manifest",
            default=str(MANIFEST_PATH),
            help="Manifest of the datasets and their addresses (default: %(default)s).",
        )

    def handle(self, *args, **options):
        self._create_accounts()
        try:
            result = load_demo(
                data_dir=options["data_dir"],
                download_dir=options["download_dir"],
                manifest_path=options["manifest"],
                report=self.stdout.write,
            )
        except (DemoDataError, MappingError, TerritoryImportError) as error:
            raise CommandError(str(error)) from error

        for line in summary_lines(result):
            self.stdout.write(line)

        # Imported here: the layers stack (SciPy, PySAL) is only needed now.
        from accounts.demo import DEMO_ACCOUNTS
        from accounts.models import User
        from demo.warmup import warm_layer_cache

        usernames = [username for username, *_ in DEMO_ACCOUNTS]
        warm_layer_cache(
            User.objects.filter(username__in=usernames).order_by("username"),
            report=self.stdout.write,
        )

    def _create_accounts(self):
        created = create_demo_accounts()
        accounts_file = Path(settings.VAR_DIR) / "demo-accounts.txt"
        if created:
            accounts_file.parent.mkdir(parents=True, exist_ok=True)
            with accounts_file.open("a") as out:
                for username, role, password in created:
                    out.write(f"{username}\t{role}\t{password}\n")
            accounts_file.chmod(0o600)
            self.stdout.write("Demo accounts (username, role, password):")
            for username, role, password in created:
                self.stdout.write(f"  {username:<24} {role:<14} {password}")
        else:
            self.stdout.write(
                f"Demo accounts already exist; their passwords are in {accounts_file}."
            )
