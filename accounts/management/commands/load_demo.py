from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import create_demo_accounts


class Command(BaseCommand):
    help = (
        "Create the demo organisations and one account per role. Passwords are "
        "printed when an account is created and kept in var/demo-accounts.txt."
    )

    def handle(self, *args, **options):
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
