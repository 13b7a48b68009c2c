import datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from territories.field_choice import NO_FIELD
from territories.models import TerritorySet

UPLOAD_SUFFIXES = [".zip", ".gpkg", ".geojson", ".json", ".fgb"]
OPTION_FIELDS = [
    "slug",
    "name",
    "kind",
    "valid_from",
    "source",
    "code_field",
    "name_field",
    "parent_field",
    "parent_set",
    "population_field",
    "layer",
    "encoding",
    "source_srid",
    "strict",
    "is_derived",
]
FIELD_ROLES = ["code_field", "name_field", "parent_field", "population_field"]


class ImportOptionsForm(forms.Form):
    """How to read a file and into which set: the options of `import_territories`.

    Given the fields and layers of the uploaded file, the field and layer
    options become drop-down lists.
    """

    slug = forms.SlugField(
        label=_("Set identifier"),
        max_length=80,
        help_text=_(
            "Lowercase letters, digits and hyphens. An existing identifier "
            "creates a new version of that set."
        ),
    )
    name = forms.CharField(label=_("Set name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=TerritorySet.Kind.choices)
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "For a new version, today by default; the previous version then ends the day before."
        ),
    )
    source = forms.CharField(label=_("Source"), max_length=500, required=False)
    code_field = forms.CharField(
        label=_("Code field"),
        required=False,
        help_text=_(
            "One unique value per feature. Empty: chosen among the usual names "
            "(code, code_iris, insee, id…). “-”: the feature numbers."
        ),
    )
    name_field = forms.CharField(
        label=_("Name field"),
        required=False,
        help_text=_(
            "Empty: chosen among the usual names (nom, name, libelle…). “-”: the code."
        ),
    )
    parent_field = forms.CharField(label=_("Parent code field"), required=False)
    parent_set = forms.ChoiceField(label=_("Set of the parents"), required=False)
    population_field = forms.CharField(label=_("Population field"), required=False)
    layer = forms.CharField(label=_("Layer"), required=False)
    encoding = forms.CharField(
        label=_("Encoding"),
        required=False,
        help_text=_(
            "Shapefiles only, e.g. UTF-8 or cp1252. Empty: the .cpg file, or detection."
        ),
    )
    source_srid = forms.IntegerField(
        label=_("Source EPSG code"),
        required=False,
        min_value=1,
        help_text=_("For a file that declares no CRS, e.g. 2154 for Lambert-93."),
    )
    strict = forms.BooleanField(
        label=_("Strict: cancel the import if any feature is rejected"), required=False
    )
    is_derived = forms.BooleanField(
        label=_("Polygons computed from other data, not published as such"),
        required=False,
    )

    def __init__(self, *args, set_slugs=(), fields=None, layers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent_set"].choices = [("", _("the imported file"))] + [
            (slug, slug) for slug in set_slugs
        ]
        if fields:
            choices = [(name, name) for name in fields]
            empty_choices = {
                "code_field": [
                    ("", _("automatic choice")),
                    (NO_FIELD, _("none: number the features")),
                ],
                "name_field": [
                    ("", _("automatic choice")),
                    (NO_FIELD, _("none: the name is the code")),
                ],
            }
            help_texts = {
                "code_field": _(
                    "One unique value per feature. “None” makes the feature "
                    "numbers the codes."
                ),
                "name_field": "",
            }
            for role in FIELD_ROLES:
                self.fields[role] = forms.ChoiceField(
                    label=self.fields[role].label,
                    help_text=help_texts.get(role, self.fields[role].help_text),
                    choices=empty_choices.get(role, [("", "—")]) + choices,
                    required=False,
                )
        if layers and len(layers) > 1:
            self.fields["layer"] = forms.ChoiceField(
                label=self.fields["layer"].label,
                choices=[(name, name) for name in layers],
            )

    def options(self):
        """Return the cleaned options as JSON-ready values."""
        options = {name: self.cleaned_data.get(name) for name in OPTION_FIELDS}
        if options["valid_from"]:
            options["valid_from"] = options["valid_from"].isoformat()
        return options


class UploadForm(ImportOptionsForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "Zipped Shapefile (.zip), GeoPackage (.gpkg), GeoJSON (.geojson) or FlatGeobuf (.fgb)."
        ),
    )

    field_order = ["file"]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        suffix = Path(uploaded.name).suffix.lower()
        if suffix in (".shp", ".dbf", ".shx", ".prj"):
            raise forms.ValidationError(
                _(
                    "Upload the Shapefile as a zip archive with its .shp, .shx, "
                    ".dbf and .prj files."
                )
            )
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                _(
                    "The file %(name)s is not accepted; upload a .zip, .gpkg, "
                    ".geojson or .fgb file."
                )
                % {"name": uploaded.name}
            )
        if uploaded.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("The file is %(size)d bytes, more than the %(max)d bytes accepted.")
                % {"size": uploaded.size, "max": settings.MAX_UPLOAD_SIZE}
            )
        return uploaded


def import_kwargs(options):
    """Turn stored options into keyword arguments of `import_territories`."""
    kwargs = {name: options.get(name) or None for name in OPTION_FIELDS}
    kwargs["strict"] = bool(options.get("strict"))
    kwargs["is_derived"] = bool(options.get("is_derived"))
    kwargs["source"] = options.get("source") or ""
    if kwargs["valid_from"]:
        kwargs["valid_from"] = datetime.date.fromisoformat(kwargs["valid_from"])
    return kwargs
