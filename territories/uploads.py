"""Uploaded files kept between the preview and the confirmation of an import.

Each upload gets its own folder under ``MEDIA_ROOT/territory-uploads/<uuid>``:
``file/`` contains the file as uploaded, ``data/`` the members of a zip archive,
and ``upload.json`` the owner and the import options chosen so far. The
folder is removed once the import is confirmed or cancelled; folders left
behind are removed after UPLOAD_MAX_AGE.
"""

import datetime
import json
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.text import get_valid_filename

from territories.archives import extract_zip
from territories.sources import check_folder_has_dataset

logger = logging.getLogger(__name__)

UPLOAD_DIR_NAME = "territory-uploads"
UPLOAD_MAX_AGE = datetime.timedelta(hours=24)


@dataclass
class Upload:
    id: uuid.UUID
    folder: Path
    meta: dict

    @property
    def dataset_path(self):
        """Path to hand to the importer: the extracted archive or the file."""
        data = self.folder / "data"
        if data.exists():
            return data
        return self.folder / "file" / self.meta["file_name"]

    @property
    def options(self):
        return self.meta.setdefault("options", {})

    def save(self):
        (self.folder / "upload.json").write_text(
            json.dumps(self.meta), encoding="utf-8"
        )

    def delete(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def uploads_root():
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR_NAME


def create_upload(uploaded_file, *, user, options):
    """Store an uploaded file in a new folder, extracting a zip archive.

    Raises UnsafeArchiveError for a dangerous archive and UnsupportedFileError
    for an archive without a dataset, and then removes the folder.
    """
    remove_stale_uploads()
    upload_id = uuid.uuid4()
    folder = uploads_root() / str(upload_id)
    (folder / "file").mkdir(parents=True)
    file_name = get_valid_filename(Path(uploaded_file.name).name) or "upload"
    target = folder / "file" / file_name
    with open(target, "wb") as output:
        for chunk in uploaded_file.chunks():
            output.write(chunk)
    if target.suffix.lower() == ".zip":
        (folder / "data").mkdir()
        try:
            extract_zip(target, folder / "data")
            check_folder_has_dataset(folder / "data", file_name)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    upload = Upload(
        id=upload_id,
        folder=folder,
        meta={
            "user_id": user.pk,
            "organisation_id": user.organisation_id,
            "file_name": file_name,
            "created_at": timezone.now().isoformat(),
            "options": options,
        },
    )
    upload.save()
    logger.info("upload %s stored for user %s: %s", upload_id, user.pk, file_name)

    return upload


def get_upload(upload_id, user):
    """Return the user's upload, or None when it is missing or someone else's."""
    folder = uploads_root() / str(upload_id)
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user.pk:
        return None
    return Upload(id=upload_id, folder=folder, meta=meta)


def remove_stale_uploads(now=None):
    """Remove upload folders older than UPLOAD_MAX_AGE; return how many were removed."""
    root = uploads_root()
    if not root.exists():
        return 0
    limit = (now or timezone.now()) - UPLOAD_MAX_AGE
    removed = 0
    for folder in root.iterdir():
        modified = datetime.datetime.fromtimestamp(
            folder.stat().st_mtime, tz=datetime.UTC
        )
        if folder.is_dir() and modified < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("removed %d stale territory uploads", removed)
    return removed
