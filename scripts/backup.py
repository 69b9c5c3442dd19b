"""`make backup`: one consistent, private copy of Mrejesho's data, with a manifest to prove it.

A backup is a folder (BACKUP_DIR, default ./backups/<UTC timestamp>/) holding:

- database.dump: `pg_dump --format=custom` of DATABASE_URL (PostgreSQL only);
- media.tar: every uploaded file under MEDIA_ROOT (citizens' attachments, editors' images
  and documents);
- audit-chain.txt: the audit chain heads published on /audit-chain.txt at backup time, in the
  file format `manage.py verify_audit_chain --published FILE` reads;
- manifest.json: when, which database (never its password), the chain head and published heads
  at backup time, how many cases and files, and the size and SHA-256 of every part.

The dump and the heads come from one snapshot: a read-only REPEATABLE READ transaction exports
its snapshot (pg_export_snapshot) and pg_dump runs inside it (--snapshot), so the head in the
manifest is the head of exactly the rows in the dump, however busy the site is. Files are
archived after the dump: every attachment the dump names is in the archive (files uploaded in
between are there too, unreferenced and harmless).

The dump holds personal data: the folder is created 0700 and every file 0600. The database
password reaches pg_dump only through its environment (PGPASSWORD), never its command line,
which `ps` shows to every user of the machine.

`scripts/restore.py` (`make restore BACKUP=<folder>`) puts a backup back and proves it.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FORMAT = "mrejesho-backup/1"
DUMP, MEDIA, HEADS, MANIFEST = "database.dump", "media.tar", "audit-chain.txt", "manifest.json"
PARTS = (DUMP, MEDIA, HEADS)


class BackupError(Exception):
    """A backup or restore that cannot (or must not) go on; the message says why and what to do."""


def setup_django() -> None:
    """The project's settings, as manage.py reads them (development unless told otherwise)."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def database_settings() -> dict:
    """DATABASE_URL as Django parsed it; refuses anything but PostgreSQL."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        path = db["NAME"]
        raise BackupError(
            "make backup and make restore handle PostgreSQL only, and DATABASE_URL names the "
            f"SQLite file {path}. Copy that file instead, consistently even while the site "
            f"runs: sqlite3 {path} \".backup '/safe/place/db.sqlite3'\" and copy MEDIA_ROOT "
            f"({settings.MEDIA_ROOT}) beside it; to restore, stop the site and copy both back."
        )
    if "postgresql" not in db["ENGINE"]:
        raise BackupError(f"make backup handles PostgreSQL only, not {db['ENGINE']}.")
    return db


def describe(db: dict) -> dict:
    """What the manifest and the messages say about a database: never the password."""
    return {
        "vendor": "postgresql",
        "name": db["NAME"],
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "user": db.get("USER") or "",
    }


def pg_command(tool: str, db: dict, *args: str) -> tuple[list[str], dict]:
    """The argv and environment to run a PostgreSQL client tool against `db`.

    The password goes in the environment (PGPASSWORD), which only the same user and root can
    read, never on the command line; --no-password makes a missing one an error, not a prompt."""
    argv = [pg_tool(tool), "--no-password"]
    if db.get("HOST"):
        argv += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        argv += ["--port", str(db["PORT"])]
    if db.get("USER"):
        argv += ["--username", str(db["USER"])]
    argv += ["--dbname", str(db["NAME"]), *args]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return argv, env


def pg_tool(name: str) -> str:
    """PG_BIN/<name> when PG_BIN is set (to match a newer server), else <name> from PATH."""
    folder = os.environ.get("PG_BIN")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def run_pg(tool: str, db: dict, *args: str) -> None:
    argv, env = pg_command(tool, db, *args)
    result = subprocess.run(  # nosec B603  # our own pg tool, no shell
        argv, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(Path(folder).resolve())


def default_folder() -> Path:
    return REPO / "backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def private_folder(folder: Path) -> Path:
    """Create the backup folder 0700 (and its missing parents); it must not hold anything yet,
    nor lie where the web server publishes files."""
    from django.conf import settings

    public = [settings.MEDIA_ROOT, settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    for served in public:
        if is_inside(folder, served):
            raise BackupError(
                f"{folder} is inside {served}, which the web server may publish: a backup holds "
                "personal data. Choose BACKUP_DIR outside MEDIA_ROOT and the static folders."
            )
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give a new folder for each backup.")
    old_umask = os.umask(0o077)  # missing parents (./backups) are created 0700 too
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    finally:
        os.umask(old_umask)
    folder.chmod(0o700)
    return folder


def published_heads_text(lines: list[str]) -> str:
    """The published heads as /audit-chain.txt serves them (without its translated comments)."""
    header = [
        "# Mrejesho audit chain: the head published each day (date, position, hash),",
        "# as /audit-chain.txt showed it when this backup was made.",
    ]
    return "\n".join(header + lines) + "\n"


def dump_with_heads(db: dict, dump: Path) -> dict:
    """pg_dump the database inside one exported snapshot and read the audit chain heads and
    the case count from that same snapshot."""
    from django.db import connection, transaction

    from feedback.audit import PublishedChainHead, current_head, published_line
    from feedback.models import Case

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
        head = current_head()
        published = [
            published_line(row.date, row.seq, row.hash)
            for row in PublishedChainHead.objects.order_by("-date")
        ]
        cases = Case.objects.count()
        # The snapshot lives as long as this transaction: pg_dump must run before it ends.
        run_pg("pg_dump", db, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}")
    return {
        "server_version": server_version,
        "audit_chain": {"head": {"seq": head.seq, "hash": head.hash}, "published": published},
        "counts": {"cases": cases},
    }


def archive_media(media_root: Path, archive: Path) -> int:
    """Every file under MEDIA_ROOT into an uncompressed tar (photos and PDFs do not shrink);
    returns how many regular files it holds."""
    files = 0
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(media_root).as_posix())
                    files += 1
    return files


def part_entry(path: Path, **extra) -> dict:
    return {"bytes": path.stat().st_size, "sha256": sha256(path), **extra}


def make_backup(folder: Path | None = None) -> Path:
    """Write a complete backup into `folder` (created 0700) and return it."""
    from django.conf import settings

    db = database_settings()
    folder = private_folder(Path(folder) if folder else default_folder())
    old_umask = os.umask(0o077)  # every file written below, by us or pg_dump, is 0600
    try:
        found = dump_with_heads(db, folder / DUMP)
        files = archive_media(Path(settings.MEDIA_ROOT), folder / MEDIA)
        (folder / HEADS).write_text(
            published_heads_text(found["audit_chain"]["published"]), encoding="utf-8"
        )
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": describe(db) | {"server_version": found.pop("server_version")},
            **found,
            "parts": {
                DUMP: part_entry(folder / DUMP, format="pg_dump custom"),
                MEDIA: part_entry(folder / MEDIA, files=files),
                HEADS: part_entry(folder / HEADS),
            },
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half backup (with personal data) is left
        raise
    finally:
        os.umask(old_umask)
    for path in folder.iterdir():
        path.chmod(0o600)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Back up Mrejesho's database and uploaded files.")
    parser.add_argument(
        "--dir",
        default=os.environ.get("BACKUP_DIR") or None,
        help="the new folder to write (default: BACKUP_DIR, else ./backups/<UTC timestamp>/)",
    )
    options = parser.parse_args(argv)
    setup_django()
    from django.db import Error as DatabaseError

    try:
        folder = make_backup(Path(options.dir) if options.dir else None)
    except BackupError as error:
        print(f"backup not made: {error}", file=sys.stderr)
        return 2
    except DatabaseError as error:
        print(f"backup not made: the database answered: {error}", file=sys.stderr)
        return 1
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    head = manifest["audit_chain"]["head"]
    print(f"Backup written to {folder}")
    print(f"  database {manifest['database']['name']}: {manifest['counts']['cases']} case(s)")
    print(f"  uploaded files: {manifest['parts'][MEDIA]['files']}")
    print(f"  audit chain head: #{head['seq']} {head['hash']}")
    print(f"  published heads: {len(manifest['audit_chain']['published'])}")
    print("It holds personal data: keep it encrypted, off this server, never in a public place.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
