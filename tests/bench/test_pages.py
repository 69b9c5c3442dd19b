"""The page throughput benchmark in its quick size (bench/pages.py --quick): its rows, and a
floor that production never serves. Only the rows' shape is asserted, never a timing."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["home page", "service page", "outcome page", "feedback form", "tracking form"]
ROWS = [
    *(f"{page}, {how}" for page in PAGES for how in ("cached", "cached in Redis", "uncached")),
    "whole web submission (form, post, review, send)",
]
GOALS = {
    **{f"{page}, {how}": ">= 0.6" for page in PAGES[:3] for how in ("cached", "cached in Redis")},
    "feedback form, cached": ">= 0.1",
    "feedback form, cached in Redis": ">= 0.1",
    "whole web submission (form, post, review, send)": ">= 0.4",
}


def test_the_floor_is_not_routable_in_production():
    with pytest.raises(Resolver404):
        resolve("/bench/floor", urlconf="config.urls")
    assert resolve("/bench/floor", urlconf="bench.urls").url_name == "bench_floor"


@pytest.mark.postgres
def test_quick_run_writes_every_row(tmp_path):
    database = os.environ.get("DATABASE_URL", "")
    require_service(
        "PostgreSQL", database.startswith("postgres"), "set DATABASE_URL=postgres://..."
    )
    out = tmp_path / "pages.json"
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pages.py sets the production settings itself
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "pages.py"), "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # gunicorn and wrk go with it, whatever happens
    )
    try:
        output, _ = process.communicate(timeout=1200)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 0, output[-6000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == "pages"
    assert result["started"] <= result["finished"]
    rows = {row["what"]: row for row in result["rows"]}
    assert list(rows) == ROWS
    for what, row in rows.items():
        assert row["figure"] > 0, row
        assert row["goal"] == GOALS.get(what), row
        assert row["met"] is (
            None if what not in GOALS else row["figure"] >= float(row["goal"][3:])
        )
        assert "floor" in row["detail"], row
    assert result["sizes"]["published outcomes"] > 0
    assert result["sizes"]["gunicorn workers"] == 2
    # Where a goal is missed, the notes carry that page's profile and its SQL.
    missed = [what for what, row in rows.items() if row["met"] is False]
    profiles = [note for note in result["notes"] if note.startswith("profile of")]
    assert len(profiles) == len(missed)
    assert all("SQL queries in one request" in note for note in profiles)
