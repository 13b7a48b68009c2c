"""Export a layer to a file, for scheduled pushes to a GIS server or a shared folder."""

import shutil
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from layers.exceptions import LayerError
from layers.exports.catalogue import FORMAT_LABELS, LAYERS, SRIDS
from layers.exports.errors import ExportError
from layers.exports.scope import ExportScope
from layers.exports.services import (
    ExportOptions,
    parse_srid,
    record_export,
    run_export,
)
from layers.filters import LayerFilters


class Command(BaseCommand):
    help = (
        "Export a layer of one organisation with the map's filters. The file is written "
        "next to --output and renamed into place when complete, so a reader never sees "
        "a partial file. The export is recorded in the audit log without a user."
    )

    def add_arguments(self, parser):
        parser.add_argument("layer", choices=list(LAYERS), help="Layer to export.")
        parser.add_argument(
            "--format",
            required=True,
            choices=list(FORMAT_LABELS),
            help="shp (zipped Shapefile), gpkg, geojson, csv, or tif for the density.",
        )
        parser.add_argument(
            "--srid",
            default="2154",
            help=f"EPSG code of the output, one of {', '.join(map(str, SRIDS))} "
            "(default 2154; GeoJSON is always 4326).",
        )
        parser.add_argument(
            "--output",
            required=True,
            help="File to write, or an existing folder to write the default file name in.",
        )
        parser.add_argument(
            "--organisation", required=True, help="Slug of the organisation whose data to export."
        )

        # The filters of the map layers (layers.filters.LayerFilters).
        parser.add_argument("--start", help="First local day included, YYYY-MM-DD.")
        parser.add_argument("--end", help="Last local day included, YYYY-MM-DD.")
        parser.add_argument("--category", help="Category codes, comma-separated.")
        parser.add_argument("--type", help="Intervention type codes, comma-separated.")
        parser.add_argument("--theme", help="Theme codes, comma-separated.")
        parser.add_argument("--territory-set", help="Territory set id.")
        parser.add_argument("--territory", help="Territory ids, comma-separated.")
        parser.add_argument(
            "--status", help="Statuses, comma-separated (default: validated)."
        )
        parser.add_argument(
            "--time-slot", help="morning, afternoon, evening or night, comma-separated."
        )
        parser.add_argument("--day-kind", help="weekday or weekend.")

        # Options of some formats and layers.
        parser.add_argument(
            "--bom", action="store_true", help="CSV: start with a byte-order mark for Excel."
        )
        parser.add_argument(
            "--cell-size", help="Hexagon edge in metres for hot spots and coverage (250)."
        )
        parser.add_argument("--bandwidth", help="Density kernel bandwidth in metres.")
        parser.add_argument("--pixel-size", help="Density pixel size in metres.")

    def handle(self, *args, **options):
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist:
            raise CommandError(
                f"--organisation {options['organisation']} is not an organisation slug; "
                f"known slugs: {', '.join(Organisation.objects.values_list('slug', flat=True))}."
            ) from None
        query = {
            name: options[name.replace("-", "_")]
            for name in (
                "start",
                "end",
                "category",
                "type",
                "theme",
                "territory_set",
                "territory",
                "status",
                "time_slot",
                "day_kind",
            )
            if options[name] is not None
        }
        try:
            filters = LayerFilters.from_query(query)
            srid = parse_srid(options["srid"])
            export_options = ExportOptions.from_query(
                {
                    "bom": options["bom"],
                    "cell_size": options["cell_size"],
                    "bandwidth": options["bandwidth"],
                    "pixel_size": options["pixel_size"],
                }
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except ExportError as error:
            raise CommandError(str(error)) from error

        scope = ExportScope.for_organisation(organisation)
        output = Path(options["output"])
        target_folder = output if output.is_dir() else output.parent
        if not target_folder.is_dir():
            raise CommandError(
                f"--output {output}: the folder {target_folder} does not exist; create it first."
            )
        working = Path(tempfile.mkdtemp(prefix=".export-", dir=target_folder))
        try:
            result = run_export(
                scope=scope,
                layer=options["layer"],
                export_format=options["format"],
                srid=srid,
                filters=filters,
                options=export_options,
                directory=working,
                progress=self._progress if options["verbosity"] >= 2 else None,
            )
            destination = output / result.path.name if output.is_dir() else output
            result.path.replace(destination)
        except (ExportError, LayerError) as error:
            raise CommandError(str(error)) from error
        finally:
            shutil.rmtree(working, ignore_errors=True)

        record_export(
            scope,
            options["layer"],
            options["format"],
            srid,
            filters,
            export_options,
            features=result.feature_count,
            output=str(destination),
        )
        for message in result.messages:
            self.stdout.write(str(message))
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Wrote {result.feature_count} features of {options['layer']} "
                f"(EPSG:{result.srid}) to {destination}"
            )

    def _progress(self, written, total):
        self.stdout.write(f"{written} / {total} features written")
