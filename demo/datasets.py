"""Find the demo's open datasets on disk, or download and check them.

`demo/manifest.toml` lists each dataset: its folder and file names, its format,
the columns it must have, a plausible feature count and the addresses it can be
downloaded from. `locate_datasets` looks for each dataset in the demo data
directory first, then in the download directory, and downloads it there only
when neither has it. Every file is checked before it is used, whether it was
found or downloaded, so a publisher that changes a dataset stops the demo with
a message instead of loading something else.
"""

import csv
import shutil
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio
from pyogrio.errors import DataSourceError

MANIFEST_PATH = Path(__file__).with_name("manifest.toml")
FORMATS = {"geojson": "GeoJSON", "shapefile": "ESRI Shapefile", "csv": None}
CSV_DELIMITERS = (",", ";", "\t")
DOWNLOAD_TIMEOUT_S = 60
CHUNK_SIZE = 1024 * 1024
USER_AGENT = "geo_mediation-demo-loader"


class DemoDataError(Exception):
    """A dataset is missing, cannot be downloaded, or does not match the manifest."""


@dataclass(frozen=True)
class Dataset:
    """One entry of the manifest."""

    name: str
    title: str
    publisher: str
    licence: str
    folder: str
    read: str
    format: str
    columns: tuple
    feature_count: tuple
    sources: tuple

    @property
    def files(self):
        """Names of the files that make up the dataset (the layer and its sidecars)."""
        if self.sources:
            return tuple(self.sources[0])
        return (self.read,)

    def describe_origin(self):
        """Text for a territory set's `source` field: publisher and licence."""
        return f"{self.title}. {self.publisher}. Licence: {self.licence}."


def read_manifest(path=MANIFEST_PATH):
    """Parse the manifest into {name: Dataset}.

    Raises DemoDataError when the manifest is malformed.
    """
    path = Path(path)
    try:
        with path.open("rb") as manifest_file:
            data = tomllib.load(manifest_file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DemoDataError(f"Cannot read the demo manifest {path}: {error}") from error

    datasets = {}
    for name, entry in data.get("datasets", {}).items():
        datasets[name] = _parse_entry(path, name, entry)

    return datasets


def _parse_entry(path, name, entry):
    required = ("folder", "read", "format", "columns", "feature_count", "sources")
    missing = [key for key in required if key not in entry]
    if missing:
        raise DemoDataError(
            f"Dataset {name} in {path} lacks the keys {', '.join(missing)}."
        )
    if entry["format"] not in FORMATS:
        raise DemoDataError(
            f"Dataset {name} in {path} has format {entry['format']!r}. "
            f"Use one of: {', '.join(FORMATS)}."
        )
    low, high = entry["feature_count"]
    sources = tuple(dict(source) for source in entry["sources"])
    for source in sources:
        if entry["read"] not in source:
            raise DemoDataError(
                f"Dataset {name} in {path}: a source does not give an address for "
                f"{entry['read']}."
            )
    return Dataset(
        name=name,
        title=entry.get("title", name),
        publisher=entry.get("publisher", ""),
        licence=entry.get("licence", ""),
        folder=entry["folder"],
        read=entry["read"],
        format=entry["format"],
        columns=tuple(entry["columns"]),
        feature_count=(int(low), int(high)),
        sources=sources,
    )


def locate_datasets(datasets, *, data_dir, download_dir, report=print):
    """Return {name: path of the file to read}, downloading what is missing.

    A dataset is taken from `data_dir/<folder>/` when all its files are there,
    else from `download_dir/<folder>/` (an earlier download), else downloaded
    into `download_dir/<folder>/`. Raises DemoDataError naming the dataset and
    the path or address at fault.
    """
    paths = {}
    for dataset in datasets.values():
        paths[dataset.name] = _locate_one(
            dataset, Path(data_dir), Path(download_dir), report
        )

    return paths


def _locate_one(dataset, data_dir, download_dir, report):
    for folder in (data_dir / dataset.folder, download_dir / dataset.folder):
        if all((folder / name).is_file() for name in dataset.files):
            path = folder / dataset.read
            count = check_dataset(dataset, path, origin=str(path))
            report(f"{dataset.name}: {count} features in {path}")
            return path

    return download_dataset(dataset, download_dir / dataset.folder, report=report)


def download_dataset(dataset, target_dir, *, report=print):
    """Download a dataset into `target_dir`, trying its sources in order.

    Each source is downloaded into a temporary folder and checked; the first
    one that passes is moved into `target_dir`. Returns the path of the file
    to read. Raises DemoDataError listing every address tried and why it failed.
    """
    if not dataset.sources:
        raise DemoDataError(
            f"Dataset {dataset.name}: no file in {target_dir} and no address to "
            "download it from in the manifest."
        )

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    for source in dataset.sources:
        with tempfile.TemporaryDirectory(dir=target_dir, prefix=".download-") as tmp:
            try:
                path = _download_source(dataset, source, Path(tmp), report)
            except DemoDataError as error:
                report(f"{dataset.name}: {error}")
                failures.append(str(error))
                continue
            for name in source:
                shutil.move(Path(tmp) / name, target_dir / name)
        return target_dir / path.name

    if len(failures) == 1:
        raise DemoDataError(failures[0])
    reasons = "\n".join(f"  - {failure}" for failure in failures)
    raise DemoDataError(
        f"Dataset {dataset.name} could not be downloaded from any of its "
        f"{len(failures)} addresses:\n{reasons}"
    )


def _download_source(dataset, source, tmp_dir, report):
    for name, url in source.items():
        _fetch(dataset, url, tmp_dir / name, report)
    path = tmp_dir / dataset.read
    url = source[dataset.read]
    count = check_dataset(dataset, path, origin=url)
    report(f"{dataset.name}: {count} features, columns and format as expected")

    return path


def _fetch(dataset, url, destination, report):
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DemoDataError(
            f"Dataset {dataset.name}: the address {url} is not an http(s) URL; "
            "fix it in the manifest."
        )
    report(f"{dataset.name}: downloading {url}")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
            with destination.open("wb") as out:
                size = 0
                while chunk := response.read(CHUNK_SIZE):
                    out.write(chunk)
                    size += len(chunk)
    except urllib.error.HTTPError as error:
        raise DemoDataError(
            f"Dataset {dataset.name}: download from {url} failed with HTTP "
            f"{error.code} {error.reason}."
        ) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DemoDataError(
            f"Dataset {dataset.name}: download from {url} failed: {reason}."
        ) from error
    report(f"{dataset.name}: received {size / 1024:.0f} kB for {destination.name}")


def check_dataset(dataset, path, *, origin):
    """Check format, columns and feature count of a dataset file; return the count.

    `origin` is the path or address named in error messages.
    """
    if dataset.format == "csv":
        columns, count = _inspect_csv(dataset, path, origin)
    else:
        columns, count = _inspect_layer(dataset, path, origin)

    missing = [column for column in dataset.columns if column not in columns]
    if missing:
        raise DemoDataError(
            f"Dataset {dataset.name}: the file from {origin} lacks the columns "
            f"{', '.join(missing)}; it has: {', '.join(columns) or 'none'}."
        )
    low, high = dataset.feature_count
    if not low <= count <= high:
        raise DemoDataError(
            f"Dataset {dataset.name}: the file from {origin} has {count} features; "
            f"between {low} and {high} are expected. Check that the address still "
            "serves this dataset, or update the range in the manifest."
        )

    return count


def _inspect_layer(dataset, path, origin):
    try:
        info = pyogrio.read_info(path)
    except DataSourceError as error:
        raise DemoDataError(
            f"Dataset {dataset.name}: the file from {origin} is not a valid "
            f"{dataset.format} file ({error})."
        ) from error
    driver = FORMATS[dataset.format]
    if info["driver"] != driver:
        raise DemoDataError(
            f"Dataset {dataset.name}: the file from {origin} is a {info['driver']} "
            f"file, not {dataset.format}."
        )

    return [str(field) for field in info["fields"]], int(info["features"])


def _inspect_csv(dataset, path, origin):
    try:
        delimiter = csv_delimiter(path)
        frame = pd.read_csv(path, sep=delimiter, dtype=str, encoding="utf-8-sig")
    except (UnicodeDecodeError, ValueError, csv.Error) as error:
        raise DemoDataError(
            f"Dataset {dataset.name}: the file from {origin} is not a valid "
            f"UTF-8 CSV file ({error})."
        ) from error

    return [str(column) for column in frame.columns], len(frame)


def csv_delimiter(path):
    """Return the delimiter of a CSV file among comma, semicolon and tab.

    The header line decides. Opendatasoft exports use a semicolon unless asked
    otherwise. Raises ValueError when the file does not look like CSV (an HTML
    error page, a binary file).
    """
    with Path(path).open(encoding="utf-8-sig") as csv_file:
        header = csv_file.readline()
    if not header.strip() or header.lstrip().startswith("<") or "\x00" in header:
        raise ValueError("the first line is not a CSV header")

    return max(CSV_DELIMITERS, key=header.count)
