import datetime

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from territories.errors import TerritoryImportError
from territories.importer import import_territories
from territories.models import TerritorySet


class Command(BaseCommand):
    help = (
        "Import a zipped Shapefile, a Shapefile, a GeoPackage, a GeoJSON or a "
        "FlatGeobuf as a new version of a territory set, then re-attach the "
        "organisation's interventions to it. Nothing is written on error."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="File, zip archive or folder to import.")
        parser.add_argument(
            "--set",
            dest="slug",
            required=True,
            help="Slug of the territory set; an existing slug gets a new version.",
        )
        parser.add_argument(
            "--kind",
            required=True,
            choices=TerritorySet.Kind.values,
            help="Kind of the territories.",
        )
        parser.add_argument(
            "--organisation", required=True, help="Slug of the organisation."
        )
        parser.add_argument(
            "--name", help="Name of the set (default: previous name or slug)."
        )
        parser.add_argument(
            "--code-field",
            help=(
                "Field with a unique code (default: chosen among the usual names "
                "such as code, code_iris, insee or id, else the feature numbers; "
                "'-' for the feature numbers)."
            ),
        )
        parser.add_argument(
            "--name-field",
            help=(
                "Field with the name (default: chosen among the usual names such "
                "as nom, name or libelle, else the code; '-' for the code)."
            ),
        )
        parser.add_argument("--parent-field", help="Field with the parent's code.")
        parser.add_argument(
            "--parent-set",
            help="Slug of the set holding the parents (default: the imported file).",
        )
        parser.add_argument(
            "--population-field", help="Numeric field with the population."
        )
        parser.add_argument(
            "--layer", help="Layer of a GeoPackage, or dataset of a multi-file archive."
        )
        parser.add_argument(
            "--encoding",
            help="Encoding of a Shapefile's DBF (default: .cpg, then detection).",
        )
        parser.add_argument(
            "--source-srid",
            type=int,
            help="EPSG code of the coordinates, for a file without CRS (no .prj).",
        )
        parser.add_argument(
            "--valid-from",
            type=_parse_date,
            help="First day of validity, YYYY-MM-DD (default for a new version: today).",
        )
        parser.add_argument("--source", default="", help="Publisher, file and date.")
        parser.add_argument(
            "--derived",
            action="store_true",
            help="The polygons were computed, not published as such.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Fail when any feature is rejected instead of leaving it out.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read, check and repair, but write nothing.",
        )

    def handle(self, *args, **options):
        organisation = self._organisation(options["organisation"])
        try:
            report = import_territories(
                options["path"],
                organisation=organisation,
                slug=options["slug"],
                kind=options["kind"],
                name=options["name"],
                code_field=options["code_field"],
                name_field=options["name_field"],
                parent_field=options["parent_field"],
                parent_set=options["parent_set"],
                population_field=options["population_field"],
                layer=options["layer"],
                encoding=options["encoding"],
                source_srid=options["source_srid"],
                valid_from=options["valid_from"],
                source=options["source"],
                is_derived=options["derived"],
                strict=options["strict"],
                dry_run=options["dry_run"],
            )
        except TerritoryImportError as exc:
            raise CommandError(str(exc)) from exc

        details = options["verbosity"] >= 2
        lines = report.summary_lines(details=details)
        if not details and (report.repaired or report.rejected):
            lines.append(
                f"{len(report.repaired)} repaired, {len(report.rejected)} rejected "
                "(-v 2 lists them)"
            )
        for line in lines:
            self.stdout.write(line)
        if report.dry_run:
            self.stdout.write(
                f"dry run: {report.imported_count} territories would form version "
                f"{report.version} of {options['slug']}; nothing was written"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.territory_set}: {report.imported_count} territories imported, "
                f"{report.attached} interventions attached, {report.outside} outside"
            )
        )

    def _organisation(self, slug):
        try:
            return Organisation.objects.get(slug=slug)
        except Organisation.DoesNotExist:
            known = (
                ", ".join(Organisation.objects.values_list("slug", flat=True)) or "-"
            )
            raise CommandError(
                f"Organisation {slug!r} not found; known organisations: {known}."
            ) from None


def _parse_date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Invalid date {value!r}; expected YYYY-MM-DD.") from None
