"""The manifest, the dataset checks and the downloads, against a server on 127.0.0.1."""

import dataclasses
import io

import pytest
from django.core.management import CommandError, call_command

import geopandas as gpd

from demo.datasets import (
    DemoDataError,
    check_dataset,
    csv_delimiter,
    download_dataset,
    locate_datasets,
    read_manifest,
)
from tests.conftest import SHARED_DATA, shared_data


def served(dataset, base_url, folder=None):
    """The dataset with one source: its files on the local server."""
    folder = folder or dataset.folder
    source = {name: f"{base_url}/{folder}/{name}" for name in dataset.files}
    return dataclasses.replace(dataset, sources=(source,))


@pytest.fixture
def manifest():
    return read_manifest()


def test_manifest_lists_demo_datasets(manifest):
    assert set(manifest) == {
        "paris-arrondissements",
        "paris-quartiers",
        "paris-iris",
        "paris-iris-population",
        "paris-social-housing",
        "paris-dansmarue",
        "occitanie-qpv-2015",
    }
    assert manifest["paris-iris"].files == (
        "iris_paris.shp",
        "iris_paris.shx",
        "iris_paris.dbf",
        "iris_paris.prj",
        "iris_paris.cpg",
    )
    for dataset in manifest.values():
        for source in dataset.sources:
            assert all(url.startswith("https://") for url in source.values()), (
                dataset.name
            )


def test_open_data_folder_passes_checks(manifest):
    shared_data()
    for dataset in manifest.values():
        path = shared_data(dataset.folder, dataset.read)
        low, high = dataset.feature_count
        assert low <= check_dataset(dataset, path, origin=str(path)) <= high


def test_download_all_datasets(manifest, http_server, tmp_path):
    base_url, requests = http_server(shared_data())
    local = {name: served(dataset, base_url) for name, dataset in manifest.items()}
    progress = []

    paths = locate_datasets(
        local,
        data_dir=tmp_path / "absent",
        download_dir=tmp_path / "demo-data",
        report=progress.append,
    )

    for name, dataset in manifest.items():
        assert paths[name] == tmp_path / "demo-data" / dataset.folder / dataset.read
        for file_name in dataset.files:
            downloaded = tmp_path / "demo-data" / dataset.folder / file_name
            original = SHARED_DATA / dataset.folder / file_name
            assert downloaded.read_bytes() == original.read_bytes(), file_name
    assert len(requests) == sum(len(d.files) for d in manifest.values())
    assert any(
        line.startswith("paris-dansmarue: downloading http://127.0.0.1:")
        for line in progress
    )
    assert "paris-iris: 992 features, columns and format as expected" in progress
    assert not list((tmp_path / "demo-data").rglob(".download-*"))


def test_second_locate_reuses_download(manifest, http_server, tmp_path):
    base_url, requests = http_server(shared_data())
    local = {"paris-quartiers": served(manifest["paris-quartiers"], base_url)}
    options = {
        "data_dir": tmp_path / "absent",
        "download_dir": tmp_path,
        "report": print,
    }

    locate_datasets(local, **options)
    locate_datasets(local, **options)

    assert len(requests) == 1


def test_data_folder_wins_over_download(manifest, http_server, tmp_path):
    base_url, requests = http_server(tmp_path)
    local = {"paris-quartiers": served(manifest["paris-quartiers"], base_url)}

    paths = locate_datasets(
        local, data_dir=shared_data(), download_dir=tmp_path, report=print
    )

    assert (
        paths["paris-quartiers"]
        == SHARED_DATA / "paris-quartiers-arrondissements" / "quartier_paris.geojson"
    )
    assert requests == []


def test_missing_file_names_dataset_and_address(manifest, http_server, tmp_path):
    (tmp_path / "empty").mkdir()
    base_url, _requests = http_server(tmp_path / "empty")
    dataset = served(manifest["paris-arrondissements"], base_url)
    url = f"{base_url}/paris-quartiers-arrondissements/arrondissements.geojson"

    with pytest.raises(DemoDataError, match="paris-arrondissements") as error:
        download_dataset(dataset, tmp_path / "out", report=print)

    assert url in str(error.value)
    assert "HTTP 404" in str(error.value)
    assert not (tmp_path / "out" / "arrondissements.geojson").exists()


def test_wrong_columns_stop_download(manifest, http_server, tmp_path):
    source = gpd.read_file(
        shared_data("paris-quartiers-arrondissements", "arrondissements.geojson")
    )
    folder = tmp_path / "site" / "paris-quartiers-arrondissements"
    folder.mkdir(parents=True)
    source.rename(columns={"c_arinsee": "code_insee"}).to_file(
        folder / "arrondissements.geojson", driver="GeoJSON"
    )
    base_url, _requests = http_server(tmp_path / "site")
    dataset = served(manifest["paris-arrondissements"], base_url)

    with pytest.raises(
        DemoDataError, match="lacks the columns c_arinsee; it has: "
    ) as error:
        download_dataset(dataset, tmp_path / "out", report=print)

    assert "Dataset paris-arrondissements" in str(error.value)
    assert f"{base_url}/paris-quartiers-arrondissements/arrondissements.geojson" in str(
        error.value
    )
    assert not (tmp_path / "out" / "arrondissements.geojson").exists()


def test_implausible_count_stops_download(manifest, http_server, tmp_path):
    source = gpd.read_file(shared_data("occitanie-qpv-2015-dvf", "qp.geojson"))
    folder = tmp_path / "site" / "occitanie-qpv-2015-dvf"
    folder.mkdir(parents=True)
    source.head(12).to_file(folder / "qp.geojson", driver="GeoJSON")
    base_url, _requests = http_server(tmp_path / "site")
    dataset = served(manifest["occitanie-qpv-2015"], base_url)

    with pytest.raises(
        DemoDataError, match="has 12 features; between 100 and 110 are expected"
    ) as error:
        download_dataset(dataset, tmp_path / "out", report=print)

    assert "Dataset occitanie-qpv-2015" in str(error.value)
    assert f"{base_url}/occitanie-qpv-2015-dvf/qp.geojson" in str(error.value)


def test_html_page_is_not_csv(manifest, http_server, tmp_path):
    folder = tmp_path / "site" / "paris-dansmarue-2023-2024-sample"
    folder.mkdir(parents=True)
    (folder / manifest["paris-dansmarue"].read).write_text(
        "<!doctype html><title>Maintenance</title>", encoding="utf-8"
    )
    base_url, _requests = http_server(tmp_path / "site")
    dataset = served(manifest["paris-dansmarue"], base_url)

    with pytest.raises(DemoDataError, match="is not a valid UTF-8 CSV file") as error:
        download_dataset(dataset, tmp_path / "out", report=print)

    assert "Dataset paris-dansmarue" in str(error.value)


def test_next_source_used_after_failure(manifest, http_server, tmp_path):
    base_url, requests = http_server(shared_data())
    dataset = manifest["paris-quartiers"]
    good = {
        "quartier_paris.geojson": f"{base_url}/paris-quartiers-arrondissements/quartier_paris.geojson"
    }
    broken = {
        "quartier_paris.geojson": f"{base_url}/no-such-folder/quartier_paris.geojson"
    }
    dataset = dataclasses.replace(dataset, sources=(broken, good))
    progress = []

    path = download_dataset(dataset, tmp_path, report=progress.append)

    assert path == tmp_path / "quartier_paris.geojson"
    assert len(requests) == 2
    assert any("HTTP 404" in line for line in progress)


def test_all_sources_failing_lists_each(manifest, http_server, tmp_path):
    base_url, _requests = http_server(tmp_path)
    first = {"quartier_paris.geojson": f"{base_url}/a/quartier_paris.geojson"}
    second = {"quartier_paris.geojson": f"{base_url}/b/quartier_paris.geojson"}
    dataset = dataclasses.replace(manifest["paris-quartiers"], sources=(first, second))

    with pytest.raises(DemoDataError, match="any of its 2 addresses") as error:
        download_dataset(dataset, tmp_path / "out", report=print)

    assert first["quartier_paris.geojson"] in str(error.value)
    assert second["quartier_paris.geojson"] in str(error.value)


def test_non_http_address_rejected(manifest, tmp_path):
    source = {"quartier_paris.geojson": "file:///etc/passwd"}
    dataset = dataclasses.replace(manifest["paris-quartiers"], sources=(source,))

    with pytest.raises(DemoDataError, match="file:///etc/passwd is not an http"):
        download_dataset(dataset, tmp_path, report=print)


def test_csv_delimiter_from_header(tmp_path):
    semicolon = tmp_path / "export.csv"
    semicolon.write_text(
        "id_dmr;type;geo_point_2d\nG1;Propreté;48.8, 2.3\n", encoding="utf-8"
    )
    comma = shared_data("paris-iris-lambert93", "PopIrisParis.csv")

    assert csv_delimiter(semicolon) == ";"
    assert csv_delimiter(comma) == ","


def test_manifest_without_format_rejected(tmp_path):
    path = tmp_path / "manifest.toml"
    path.write_text(
        '[datasets.x]\nfolder = "x"\nread = "x.kml"\nformat = "kml"\ncolumns = []\n'
        "feature_count = [1, 2]\nsources = []\n",
        encoding="utf-8",
    )

    with pytest.raises(DemoDataError, match="has format 'kml'. Use one of: geojson"):
        read_manifest(path)


@pytest.mark.django_db
def test_command_stops_on_failed_download(http_server, tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    site = tmp_path / "site"
    site.mkdir()
    base_url, _requests = http_server(site)
    original = read_manifest()
    manifest = tmp_path / "manifest.toml"
    lines = []
    for name, dataset in original.items():
        lines += [
            f"[datasets.{name}]",
            f'folder = "{dataset.folder}"',
            f'read = "{dataset.read}"',
            f'format = "{dataset.format}"',
            f"columns = {list(dataset.columns)!r}".replace("'", '"'),
            f"feature_count = {list(dataset.feature_count)}",
            "sources = [{ "
            + ", ".join(
                f'"{f}" = "{base_url}/{dataset.folder}/{f}"' for f in dataset.files
            )
            + " }]",
            "",
        ]
    manifest.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(CommandError, match="Dataset paris-arrondissements") as error:
        call_command(
            "load_demo",
            data_dir=str(tmp_path / "absent"),
            manifest=str(manifest),
            stdout=io.StringIO(),
        )

    assert f"{base_url}/paris-quartiers-arrondissements/arrondissements.geojson" in str(
        error.value
    )
    assert (tmp_path / "var" / "demo-accounts.txt").exists()
