"""Safe extraction of uploaded zip archives.

An uploaded archive is untrusted: a member may try to write outside the
extraction folder (absolute path, ``..``), be a symbolic link to a file of the
server, or expand to far more bytes than were uploaded (a "zip bomb"). Every
member is checked before anything is written, and the bytes actually written
are counted again while extracting, because the sizes in the zip directory
come from the archive's author.
"""

import posixpath
import shutil
import stat
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from territories.errors import UnsafeArchiveError

# A member that expands more than this many times its compressed size is
# rejected once it is larger than RATIO_CHECK_MIN_SIZE. Shapefiles and
# GeoJSON compress 3 to 20 times; 100 leaves room for very regular data.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_SIZE = 1024 * 1024
MAX_MEMBERS = 10_000

_CHUNK_SIZE = 1024 * 1024


def extract_zip(archive_path, destination, *, max_expanded_size=None):
    """Extract a zip archive into `destination` after checking every member.

    Parameters
    ----------
    archive_path : str or Path
        The uploaded archive.
    destination : str or Path
        An existing, empty folder that receives the members, sub-folders kept.
    max_expanded_size : int, optional
        Largest total size of the extracted members, in bytes. Defaults to
        ``settings.MAX_ARCHIVE_EXPANDED_SIZE``.

    Returns
    -------
    list of Path
        The extracted regular files.

    Raises
    ------
    UnsafeArchiveError
        When the file is not a zip archive, or a member has an absolute path,
        escapes the folder with ``..``, is a symbolic link or a special file,
        is encrypted, expands more than ``MAX_COMPRESSION_RATIO`` times, or
        when the members add up to more than `max_expanded_size`. Nothing is
        left in `destination` in that case.
    """
    if max_expanded_size is None:
        max_expanded_size = settings.MAX_ARCHIVE_EXPANDED_SIZE
    destination = Path(destination).resolve()
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchiveError(
            _("The file %(name)s is not a valid zip archive (%(error)s).")
            % {"name": Path(archive_path).name, "error": exc}
        ) from exc

    with archive:
        members = _check_members(archive, destination, max_expanded_size)
        try:
            return _extract_members(archive, members, destination, max_expanded_size)
        except BaseException:
            _empty_folder(destination)
            raise


def _check_members(archive, destination, max_expanded_size):
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeArchiveError(
            _("The archive has %(count)d members, more than the %(max)d accepted.")
            % {"count": len(infos), "max": MAX_MEMBERS}
        )
    declared_total = 0
    members = []
    for info in infos:
        target = _member_target(info, destination)
        _check_member_kind(info)
        if info.is_dir():
            continue
        if (
            info.file_size > RATIO_CHECK_MIN_SIZE
            and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        ):
            raise UnsafeArchiveError(
                _(
                    "The archive member %(name)s expands from %(packed)d to "
                    "%(size)d bytes, an implausible compression ratio; it is rejected."
                )
                % {
                    "name": info.filename,
                    "packed": info.compress_size,
                    "size": info.file_size,
                }
            )
        declared_total += info.file_size
        members.append((info, target))
    if declared_total > max_expanded_size:
        raise UnsafeArchiveError(_expanded_size_message(max_expanded_size))
    return members


def _member_target(info, destination):
    name = info.filename.replace("\\", "/")
    is_absolute = name.startswith("/") or (len(name) > 1 and name[1] == ":")
    normalised = posixpath.normpath(name)
    escapes = normalised == ".." or normalised.startswith("../")
    target = (destination / normalised).resolve()
    if is_absolute or escapes or not target.is_relative_to(destination):
        raise UnsafeArchiveError(
            _(
                "The archive member %(name)s has a path outside the archive folder "
                "(absolute or with '..'); the archive is rejected."
            )
            % {"name": info.filename}
        )
    return target


def _check_member_kind(info):
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(
            _(
                "The archive member %(name)s is a symbolic link; the archive is rejected."
            )
            % {"name": info.filename}
        )
    # Archives made on Windows carry no file type bits at all (S_IFMT is 0).
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UnsafeArchiveError(
            _(
                "The archive member %(name)s is not a regular file; the archive is rejected."
            )
            % {"name": info.filename}
        )
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(
            _(
                "The archive member %(name)s is encrypted; upload an archive without password."
            )
            % {"name": info.filename}
        )


def _extract_members(archive, members, destination, max_expanded_size):
    written_total = 0
    extracted = []
    for info, target in members:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(target, "wb") as output:
            while chunk := source.read(_CHUNK_SIZE):
                written_total += len(chunk)
                if written_total > max_expanded_size:
                    raise UnsafeArchiveError(_expanded_size_message(max_expanded_size))
                output.write(chunk)
        extracted.append(target)

    return extracted


def _expanded_size_message(max_expanded_size):
    return _(
        "The archive expands to more than %(max)d bytes, the limit set by "
        "MAX_ARCHIVE_EXPANDED_SIZE; upload a smaller archive."
    ) % {"max": max_expanded_size}


def _empty_folder(folder):
    for child in Path(folder).iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
