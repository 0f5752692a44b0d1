"""Backup and restore of everything that matters: the database and the media folder
(evidence files and stored documents), with a manifest to check a restore against.

PostgreSQL is dumped with `pg_dump --format=custom` and restored with `pg_restore`; the
embedded SQLite file is copied with SQLite's online backup. The manifest keeps each chain
head and each media file's SHA-256, so a restore can prove it brought back the same past.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection

MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def _pg_env_args() -> tuple[dict, list[str]]:
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--host", db.get("HOST") or "127.0.0.1", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return env, args


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): _sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def chain_heads() -> dict[str, list]:
    from audit.models import ChainHead

    return {str(h.key): [h.seq, h.hash] for h in ChainHead.objects.order_by("key")}


def backup_create(*, directory: Path) -> dict:
    """Write the database, the media folder and the manifest into `directory` (new or empty)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty")
    vendor = connection.vendor
    if vendor == "postgresql":
        env, args = _pg_env_args()
        dump = directory / "database.dump"
        # fmt: off
        subprocess.run(
            ["pg_dump", *args, "--format=custom", "--no-owner", "--no-privileges",
             "--file", str(dump), connection.settings_dict["NAME"]],
            env=env, check=True, capture_output=True,
        )
        # fmt: on
    elif vendor == "sqlite":
        dump = directory / "database.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(dump)
        with target:
            connection.connection.backup(target)
        target.close()
    else:
        raise BackupError(f"no backup for {vendor}")
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(directory / "media.tar.gz", "w:gz") as archive:
        if media_root.exists():
            archive.add(media_root, arcname="media")
    manifest = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": {"vendor": vendor, "file": dump.name, "sha256": _sha256(dump)},
        "chain_heads": chain_heads(),
        "media": _media_files(media_root),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def backup_restore(*, directory: Path) -> dict:
    """Restore `directory` into the configured database (empty) and media folder (empty),
    then check the database file, every media file and the chain heads against the manifest."""
    manifest = json.loads((directory / MANIFEST).read_text())
    dump = directory / manifest["database"]["file"]
    if _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump.name} does not match the manifest: the backup is damaged")
    vendor = connection.vendor
    if vendor != manifest["database"]["vendor"]:
        raise BackupError(f"a {manifest['database']['vendor']} backup cannot go into {vendor}")
    if connection.introspection.table_names():
        raise BackupError("the database is not empty: restore into a new one")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore into a new folder")
    if vendor == "postgresql":
        env, args = _pg_env_args()
        # fmt: off
        result = subprocess.run(
            ["pg_restore", *args, "--no-owner", "--no-privileges", "--exit-on-error",
             "--dbname", connection.settings_dict["NAME"], str(dump)],
            env=env, capture_output=True, text=True,
        )
        # fmt: on
        if result.returncode:
            raise BackupError(f"pg_restore failed: {result.stderr[-2000:]}")
    else:
        connection.close()
        shutil.copyfile(dump, connection.settings_dict["NAME"])
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(directory / "media.tar.gz", "r:gz") as archive:
        for member in archive.getmembers():
            if not member.name.startswith("media"):
                continue
            member.name = member.name[len("media") :].lstrip("/")
            if member.name:
                archive.extract(member, media_root, filter="data")
    restored = _media_files(media_root)
    if restored != manifest["media"]:
        missing = sorted(set(manifest["media"]) ^ set(restored))
        raise BackupError(f"media files differ from the manifest: {missing[:5]}")
    if chain_heads() != manifest["chain_heads"]:
        raise BackupError("the restored chain heads differ from the manifest")
    return manifest
