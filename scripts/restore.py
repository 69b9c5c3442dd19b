"""`make restore BACKUP=<folder>`: put a backup made by scripts/backup.py back, and prove it.

1. Every part's size and SHA-256 is checked against the manifest first: a damaged or altered
   backup is refused before anything is touched.
2. A database that already has tables, or a MEDIA_ROOT that already holds files, is refused
   unless FORCE=1 (--force); then pg_restore --clean --if-exists drops and recreates every
   object the dump holds (objects the dump does not know are left alone), and files of the
   same name are overwritten.
3. pg_restore loads the dump into DATABASE_URL in one transaction (all or nothing), then the
   uploaded files are unpacked into MEDIA_ROOT (only plain files and folders inside it).
4. `manage.py verify_audit_chain --published <backup>/audit-chain.txt` walks the restored chain,
   and the restored chain head and published heads are printed beside the manifest's: any
   difference fails the restore. With PUBLISHED=<file> (--published), heads an auditor saved
   from the public /audit-chain.txt page are checked too: a backup altered together with its
   manifest cannot match those.

The AUDIT_CHAIN_KEY (and every other key from the environment) is not in the backup: the
restored site must run with the same keys, or the chain check fails.
"""

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

from backup import (
    DUMP,
    FORMAT,
    HEADS,
    MANIFEST,
    MEDIA,
    PARTS,
    BackupError,
    database_settings,
    describe,
    run_pg,
    setup_django,
    sha256,
)


class RestoreFailed(Exception):
    """The restore ran but the result does not prove itself (the chain or its heads differ)."""


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"cannot read {folder / MANIFEST}: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is not a {FORMAT} manifest.")
    return manifest


def check_parts(folder: Path, manifest: dict) -> None:
    """Refuse the backup unless every part is there with the manifest's size and SHA-256."""
    parts = manifest.get("parts") or {}
    for name in PARTS:
        expected = parts.get(name) or {}
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{path} is missing: the backup is incomplete.")
        if path.stat().st_size != expected.get("bytes") or sha256(path) != expected.get("sha256"):
            raise BackupError(
                f"{path} does not match the SHA-256 in the manifest: the backup is damaged or "
                "was altered. Nothing was restored."
            )


def user_tables() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        return cursor.fetchone()[0]


def media_files(media_root: Path) -> int:
    if not media_root.is_dir():
        return 0
    return sum(1 for path in media_root.rglob("*") if not path.is_dir())


def refuse_to_overwrite(db: dict, media_root: Path, force: bool) -> int:
    """The number of tables already there; refuses a non-empty target unless forced."""
    tables, files = user_tables(), media_files(media_root)
    if force:
        return tables
    if tables:
        raise BackupError(
            f"database {db['NAME']} already has {tables} table(s). Restore into a new, empty "
            "database, or give FORCE=1 to replace what the backup holds (its data is lost)."
        )
    if files:
        raise BackupError(
            f"MEDIA_ROOT {media_root} already holds {files} file(s). Restore into an empty "
            "folder, or give FORCE=1 to overwrite files of the same name."
        )
    return tables


def unpack_media(archive: Path, media_root: Path) -> None:
    """Unpack into MEDIA_ROOT; the "data" filter refuses links and paths leading outside it."""
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(media_root, filter="data")


def head_text(head: dict) -> str:
    return f"#{head['seq']} {head['hash']}"


def prove(folder: Path, manifest: dict, published: Path | None) -> list[str]:
    """Verify the restored chain and compare its heads with the manifest's; the lines printed.
    Raises RestoreFailed on any difference."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from feedback.audit import PublishedChainHead, current_head, published_line
    from feedback.models import Case

    lines = []
    for heads_file in [folder / HEADS, *([published] if published else [])]:
        out = io.StringIO()
        try:
            call_command("verify_audit_chain", published=str(heads_file), stdout=out)
        except CommandError as error:
            raise RestoreFailed(f"the restored audit chain does not verify: {error}") from error
        lines.append(f"verify_audit_chain --published {heads_file}: {out.getvalue().strip()}")

    chain = manifest["audit_chain"]
    head = current_head()
    restored_head = {"seq": head.seq, "hash": head.hash}
    restored_published = [
        published_line(row.date, row.seq, row.hash)
        for row in PublishedChainHead.objects.order_by("-date")
    ]
    cases = Case.objects.count()
    lines += [
        f"audit chain head in the manifest: {head_text(chain['head'])}",
        f"audit chain head restored:        {head_text(restored_head)}",
        f"published heads in the manifest: {len(chain['published'])}",
        *(f"  {line}" for line in chain["published"]),
        f"published heads restored:        {len(restored_published)}",
        *(f"  {line}" for line in restored_published),
        f"cases in the manifest: {manifest['counts']['cases']}; restored: {cases}",
    ]
    differences = []
    if restored_head != chain["head"]:
        differences.append("the chain head")
    if restored_published != chain["published"]:
        differences.append("the published heads")
    if cases != manifest["counts"]["cases"]:
        differences.append("the number of cases")
    if differences:
        raise RestoreFailed(
            "\n".join(lines) + f"\nMISMATCH with the manifest: {' and '.join(differences)}."
        )
    return lines


def checked_backup(folder: Path, published: Path | None = None) -> dict:
    """The manifest of a backup whose every part is intact; needs no database nor Django."""
    manifest = read_manifest(folder)
    check_parts(folder, manifest)
    if published is not None and not published.is_file():
        raise BackupError(f"the published heads file {published} does not exist.")
    return manifest


def restore(
    folder: Path, manifest: dict, force: bool = False, published: Path | None = None
) -> list[str]:
    """Restore a backup `checked_backup` accepted into DATABASE_URL and MEDIA_ROOT, and prove it."""
    from django.conf import settings
    from django.db import connection

    db = database_settings()
    media_root = Path(settings.MEDIA_ROOT)
    tables = refuse_to_overwrite(db, media_root, force)
    connection.close()
    clean = ["--clean", "--if-exists"] if tables else []
    try:
        run_pg(
            "pg_restore",
            db,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *clean,
            str(folder / DUMP),
        )
    except BackupError as error:
        raise RestoreFailed(
            f"{error}\nThe database was left as it was (one transaction)."
        ) from error
    unpack_media(folder / MEDIA, media_root)
    where = describe(db)
    lines = [
        f"Restored {folder} (made {manifest['created_at']} from database "
        f"{manifest['database']['name']}) into database {where['name']} and {media_root} "
        f"({manifest['parts'][MEDIA]['files']} file(s))"
    ]
    return lines + prove(folder, manifest, published)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Restore a Mrejesho backup and prove it.")
    parser.add_argument("backup", nargs="?", help="the backup folder (make restore BACKUP=...)")
    parser.add_argument(
        "--force", action="store_true", help="replace a database that has tables (FORCE=1)"
    )
    parser.add_argument(
        "--published", help="heads saved from /audit-chain.txt to check as well (PUBLISHED=...)"
    )
    options = parser.parse_args(argv)
    if not options.backup:
        print(
            "restore refused: name the backup folder: make restore BACKUP=<folder>", file=sys.stderr
        )
        return 2
    folder = Path(options.backup)
    published = Path(options.published) if options.published else None
    try:
        manifest = checked_backup(folder, published)  # before anything is touched
    except BackupError as error:
        print(f"restore refused: {error}", file=sys.stderr)
        return 2
    setup_django()
    from django.db import Error as DatabaseError

    try:
        lines = restore(folder, manifest, force=options.force, published=published)
    except BackupError as error:
        print(f"restore refused: {error}", file=sys.stderr)
        return 2
    except DatabaseError as error:
        print(f"RESTORE FAILED: the database answered: {error}", file=sys.stderr)
        return 1
    except RestoreFailed as error:
        print(f"RESTORE NOT PROVEN: {error}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    print("OK: the restored audit chain verifies and its heads match the backup's.")
    print("The search index is not in a backup: with Elasticsearch, run manage.py search_index")
    print("rebuild (then search_index verify) against the restored database.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
