"""Uploaded zip archives: members escaping the folder, links and bombs are rejected."""

import stat
import zipfile

import pytest

from territories.archives import MAX_COMPRESSION_RATIO, extract_zip
from territories.errors import UnsafeArchiveError

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def folders(tmp_path):
    """(archive folder, empty extraction folder); the extraction folder sits inside
    `tmp_path`, so a member escaping it would land in `tmp_path`."""
    destination = tmp_path / "extract"
    destination.mkdir()
    return tmp_path, destination


def make_zip(path, members):
    """Write a zip with `members`: (name, bytes) or a prepared ZipInfo and bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def contents(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_plain_archive_extracted(folders):
    root, destination = folders
    archive = make_zip(
        root / "ok.zip", [("zones/zones.shp", b"shp"), ("zones/zones.dbf", b"dbf")]
    )
    extracted = extract_zip(archive, destination)
    assert sorted(p.name for p in extracted) == ["zones.dbf", "zones.shp"]
    assert (destination / "zones" / "zones.shp").read_bytes() == b"shp"


@pytest.mark.parametrize(
    "name",
    [
        "../escape.txt",
        "zones/../../escape.txt",
        "..\\escape.txt",
        "/tmp/escape.txt",
        "C:/escape.txt",
    ],
)
def test_member_outside_folder_rejected(folders, name):
    root, destination = folders
    archive = make_zip(root / "evil.zip", [("zones.shp", b"shp"), (name, b"escaped")])
    with pytest.raises(UnsafeArchiveError, match="outside the archive folder"):
        extract_zip(archive, destination)
    assert contents(destination) == []
    assert not (root / "escape.txt").exists()


def test_symlink_member_rejected(folders):
    root, destination = folders
    link = zipfile.ZipInfo("zones.shp")
    link.create_system = 3  # Unix, so the mode bits are read
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(root / "link.zip", "w") as archive:
        archive.writestr("readme.txt", b"first")
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_zip(root / "link.zip", destination)
    assert contents(destination) == []


def test_compression_bomb_rejected(folders):
    """A member of zeros expanding far more than MAX_COMPRESSION_RATIO times."""
    root, destination = folders
    archive = make_zip(root / "bomb.zip", [("zones.geojson", bytes(20 * MB))])
    info = zipfile.ZipFile(archive).getinfo("zones.geojson")
    assert info.file_size > MAX_COMPRESSION_RATIO * info.compress_size  # the premise
    with pytest.raises(UnsafeArchiveError, match="implausible compression ratio"):
        extract_zip(archive, destination)
    assert contents(destination) == []


def test_expanded_size_limit(folders):
    """Members that compress normally but add up to more than the limit."""
    import os

    root, destination = folders
    members = [(f"part{i}.bin", os.urandom(300 * 1024)) for i in range(4)]
    archive = make_zip(root / "large.zip", members)
    with pytest.raises(UnsafeArchiveError, match="expands to more than 1048576 bytes"):
        extract_zip(archive, destination, max_expanded_size=MB)
    assert contents(destination) == []


def test_expanded_size_limit_from_settings(folders, settings):
    import os

    root, destination = folders
    settings.MAX_ARCHIVE_EXPANDED_SIZE = 100 * 1024
    archive = make_zip(root / "large.zip", [("a.bin", os.urandom(200 * 1024))])
    with pytest.raises(UnsafeArchiveError, match="MAX_ARCHIVE_EXPANDED_SIZE"):
        extract_zip(archive, destination)


def test_not_a_zip_rejected(folders):
    root, destination = folders
    fake = root / "fake.zip"
    fake.write_bytes(b"this is not a zip archive")
    with pytest.raises(UnsafeArchiveError, match="fake.zip is not a valid zip archive"):
        extract_zip(fake, destination)


@pytest.mark.django_db
def test_import_page_rejects_escaping_archive(users, tmp_path, settings):
    """Through the import page: an error for the user, nothing written outside."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    settings.MEDIA_ROOT = str(tmp_path / "media")
    archive = make_zip(tmp_path / "evil.zip", [("../../escape.txt", b"escaped")])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("evil.zip", archive.read_bytes(), content_type="application/zip")
    response = client.post(
        "/territories/import/", {"file": upload, "slug": "zones", "kind": "district"}
    )
    assert response.status_code in (200, 400)
    assert "outside the archive folder" in response.content.decode()
    assert not list(tmp_path.rglob("escape.txt"))
