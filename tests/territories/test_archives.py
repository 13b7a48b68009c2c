"""Safe extraction of uploaded zip archives."""

import stat
import zipfile

import pytest

from territories.archives import extract_zip
from territories.errors import UnsafeArchiveError

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def destination(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def make_zip(path, members):
    """members: (name, bytes) or ZipInfo-with-bytes pairs."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def test_extract_keeps_subfolders(tmp_path, destination):
    archive = make_zip(
        tmp_path / "ok.zip", [("a/b/c.shp", b"x" * 10), ("top.prj", b"p")]
    )
    extracted = extract_zip(archive, destination)
    assert sorted(p.relative_to(destination).as_posix() for p in extracted) == [
        "a/b/c.shp",
        "top.prj",
    ]
    assert (destination / "a" / "b" / "c.shp").read_bytes() == b"x" * 10


@pytest.mark.parametrize(
    "name",
    ["../evil.shp", "a/../../evil.shp", "/etc/evil.shp", "C:/evil.shp", "..\\evil.shp"],
)
def test_extract_rejects_escaping_paths(tmp_path, destination, name):
    archive = make_zip(tmp_path / "bad.zip", [("ok.txt", b"fine"), (name, b"evil")])
    with pytest.raises(UnsafeArchiveError, match="outside the archive folder"):
        extract_zip(archive, destination)
    assert list(destination.iterdir()) == []
    assert not (tmp_path / "evil.shp").exists()


def test_extract_allows_harmless_dotdot(tmp_path, destination):
    archive = make_zip(tmp_path / "dots.zip", [("a/../b.shp", b"x")])
    extract_zip(archive, destination)
    assert (destination / "b.shp").exists()


def test_extract_rejects_symlink(tmp_path, destination):
    info = zipfile.ZipInfo("link.shp")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_zip(archive, destination)
    assert list(destination.iterdir()) == []


def test_extract_rejects_total_size(tmp_path, destination, settings):
    settings.MAX_ARCHIVE_EXPANDED_SIZE = 1000
    archive = make_zip(
        tmp_path / "big.zip",
        [("a.bin", bytes(range(256)) * 2), ("b.bin", bytes(range(256)) * 2)],
    )
    with pytest.raises(UnsafeArchiveError, match="MAX_ARCHIVE_EXPANDED_SIZE"):
        extract_zip(archive, destination)
    assert list(destination.iterdir()) == []


def test_extract_rejects_compression_bomb(tmp_path, destination):
    # 20 MB of zeros deflate to about 20 kB: a ratio near 1000.
    archive = make_zip(
        tmp_path / "bomb.zip", [("zeros.shp", b"\0" * (20 * 1024 * 1024))]
    )
    with pytest.raises(UnsafeArchiveError, match="compression ratio"):
        extract_zip(archive, destination)
    assert list(destination.iterdir()) == []


def test_extract_size_argument(tmp_path, destination):
    # 1,200 bytes against a limit of 1,000 given as argument instead of the setting.
    archive = make_zip(
        tmp_path / "two.zip", [("a.bin", b"a" * 600), ("b.bin", b"b" * 600)]
    )
    with pytest.raises(UnsafeArchiveError):
        extract_zip(archive, destination, max_expanded_size=1000)
    assert list(destination.iterdir()) == []


def test_extract_rejects_non_zip(tmp_path, destination):
    path = tmp_path / "fake.zip"
    path.write_text("not a zip")
    with pytest.raises(UnsafeArchiveError, match=r"fake\.zip"):
        extract_zip(path, destination)
