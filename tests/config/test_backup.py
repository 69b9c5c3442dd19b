"""`make backup` and `make restore`, proven by restoring: data made through the workflow (cases,
responses, an attachment on disk, the audit chain and a published head) is backed up by
scripts/backup.py in a subprocess, restored by scripts/restore.py into a fresh database and an
empty MEDIA_ROOT, and must come back whole: the chain verifies, its heads are the manifest's,
the cases and their references are the same, the attachment is byte for byte the same. A
damaged backup and a restore over a database that has tables are refused.

The test database is committed (a transactional test), so the subprocesses can see it. Skipped
without PostgreSQL, failed in CI.
"""

import importlib.util
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from feedback.attachments import store_upload
from feedback.audit import current_head, publish_head
from feedback.models import Attachment, Case, Status
from tests.feedback.factories import case_in

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"


def load_backup_module():
    spec = importlib.util.spec_from_file_location("backup_script", SCRIPTS / "backup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url(name: str) -> str:
    db = connection.settings_dict
    return (
        f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{name}"
    )


def admin_connection(name: str = "postgres") -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=name,
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    )


def query(name: str, sql: str) -> list[tuple]:
    with admin_connection(name) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def fresh_database(postgres):
    """A new, empty database beside the test database; dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def media_root(tmp_path, settings):
    """Uploads go to files on disk (the test settings keep them in memory)."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return root


def run_script(script: str, *args: str, database: str, media: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(database),
        "MEDIA_ROOT": str(media),
    }
    env.pop("BACKUP_DIR", None)
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buffer, "PNG")
    return SimpleUploadedFile("meter.png", buffer.getvalue(), content_type="image/png")


def build_data() -> Attachment:
    """Cases through the workflow (with responses), an attachment on disk, a published head,
    and changes after it (so the live head is beyond the published one)."""
    resolved = case_in(Status.RESOLVED)
    attachment = store_upload(photo(), "image/png", case=resolved)
    case_in(Status.IN_PROGRESS)
    publish_head()
    case_in(Status.ACKNOWLEDGED)
    return attachment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database_and_proves_itself(
    fresh_database, media_root, tmp_path
):
    attachment = build_data()
    source = connection.settings_dict["NAME"]
    references = sorted(Case.objects.values_list("reference", flat=True))
    head = current_head()
    assert head.seq > 0

    folder = tmp_path / "backups" / "first"
    made = run_script("backup.py", "--dir", str(folder), database=source, media=media_root)
    assert made.returncode == 0, made.stderr
    assert f"#{head.seq} {head.hash}" in made.stdout

    # Private: the folder 0700, every part 0600; the password is nowhere in the manifest.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = ("database.dump", "media.tar", "audit-chain.txt", "manifest.json")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    assert modes == dict.fromkeys(names, 0o600)
    text = (folder / "manifest.json").read_text()
    manifest = json.loads(text)
    assert set(manifest["database"]) == {"vendor", "name", "host", "port", "user", "server_version"}
    assert f":{quote(connection.settings_dict['PASSWORD'])}@" not in text
    assert manifest["database"]["name"] == source
    assert manifest["audit_chain"]["head"] == {"seq": head.seq, "hash": head.hash}
    assert len(manifest["audit_chain"]["published"]) == 1
    assert manifest["counts"]["cases"] == len(references)
    assert manifest["parts"]["media.tar"]["files"] == 1

    # One byte changed in the dump: refused before the (empty) database is touched.
    tampered = tmp_path / "backups" / "tampered"
    shutil.copytree(folder, tampered)
    dump = bytearray((tampered / "database.dump").read_bytes())
    dump[len(dump) // 2] ^= 0x01
    (tampered / "database.dump").write_bytes(bytes(dump))
    restored_media = tmp_path / "restored-media"
    refused = run_script("restore.py", str(tampered), database=fresh_database, media=restored_media)
    assert refused.returncode == 2
    assert "does not match the SHA-256 in the manifest" in refused.stderr
    assert query(fresh_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [
        (0,)
    ]
    assert not restored_media.exists()

    # The real restore, into the fresh database and an empty MEDIA_ROOT.
    restored = run_script("restore.py", str(folder), database=fresh_database, media=restored_media)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"audit chain head in the manifest: #{head.seq} {head.hash}" in restored.stdout
    assert f"audit chain head restored:        #{head.seq} {head.hash}" in restored.stdout
    assert f"OK: {head.seq} history records verified" in restored.stdout

    # The restored rows themselves: the chain head and the published heads of the manifest.
    published = query(fresh_database, "SELECT seq, hash FROM feedback_publishedchainhead")
    assert [f"{seq} {hash_}" for seq, hash_ in published] == [
        line.split(" ", 1)[1] for line in manifest["audit_chain"]["published"]
    ]
    assert query(fresh_database, "SELECT seq, hash FROM feedback_auditchainhead") == [
        (head.seq, head.hash)
    ]

    restored_references = query(fresh_database, "SELECT reference FROM feedback_case")
    assert sorted(row[0] for row in restored_references) == references
    original = (media_root / attachment.file.name).read_bytes()
    assert (restored_media / attachment.file.name).read_bytes() == original

    # Again into the same database, which now has tables: refused without FORCE (into an
    # empty MEDIA_ROOT, so only the database's tables can stop it).
    empty_media = tmp_path / "empty-media"
    again = run_script("restore.py", str(folder), database=fresh_database, media=empty_media)
    assert again.returncode == 2, again.stdout + again.stderr
    assert "already has" in again.stderr and "FORCE=1" in again.stderr
    assert not empty_media.exists()
    # With FORCE=1 (--force) the backup replaces what is there and is proven again; here its
    # manifest names another chain head (its parts, and so their SHA-256s, are intact), so the
    # restore runs and then fails, printing both heads.
    forged = tmp_path / "backups" / "forged"
    shutil.copytree(folder, forged)
    manifest["audit_chain"]["head"]["seq"] = head.seq - 1
    (forged / "manifest.json").write_text(json.dumps(manifest))
    forced = run_script(
        "restore.py", str(forged), "--force", database=fresh_database, media=restored_media
    )
    assert forced.returncode == 1, forced.stdout + forced.stderr
    assert f"OK: {head.seq} history records verified" in forced.stderr
    assert f"audit chain head in the manifest: #{head.seq - 1} {head.hash}" in forced.stderr
    assert f"audit chain head restored:        #{head.seq} {head.hash}" in forced.stderr
    assert "MISMATCH with the manifest: the chain head." in forced.stderr
    assert query(fresh_database, "SELECT count(*) FROM feedback_case") == [(len(references),)]


def test_the_database_password_never_reaches_a_command_line():
    backup = load_backup_module()
    db = {"NAME": "mrejesho", "USER": "mrejesho", "HOST": "db", "PORT": 5432, "PASSWORD": "s3cr3t"}
    argv, env = backup.pg_command("pg_dump", db, "--format=custom")
    assert not any("s3cr3t" in arg for arg in argv)  # ps shows argv to every user
    assert env["PGPASSWORD"] == "s3cr3t"
    assert "--no-password" in argv  # a missing password is an error, never a prompt


def test_backups_are_never_written_where_the_web_server_publishes(settings, tmp_path):
    backup = load_backup_module()
    settings.MEDIA_ROOT = tmp_path / "media"
    for served in (settings.MEDIA_ROOT, settings.STATIC_ROOT, settings.STATICFILES_DIRS[0]):
        with pytest.raises(backup.BackupError, match="which the web server may publish"):
            backup.private_folder(Path(served) / "backups" / "today")
    assert not (tmp_path / "media").exists()
    folder = backup.private_folder(tmp_path / "backups" / "today")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700


def test_backup_refuses_sqlite_and_says_how_to_copy_the_file(tmp_path):
    sqlite = tmp_path / "db.sqlite3"
    answer = subprocess.run(
        [sys.executable, str(SCRIPTS / "backup.py"), "--dir", str(tmp_path / "b")],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"sqlite:///{sqlite}",
        },
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 2
    assert "PostgreSQL only" in answer.stderr
    assert f'sqlite3 {sqlite} ".backup' in answer.stderr
    assert not (tmp_path / "b").exists()
