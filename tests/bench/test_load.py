"""The load test in its CI size: 1,000 submissions, and nothing lost (bench/load.py).

bench/load.py runs in a subprocess of its own (it starts gunicorn, two task workers and
locust, whose gevent must never be imported into the suite's process) against the PostgreSQL
server of DATABASE_URL (in a database of its own) and the Elasticsearch of ELASTICSEARCH_URL
(an index prefix of its own). Only its verification is asserted, never its timings.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.postgres, pytest.mark.elasticsearch]

ROOT = Path(__file__).resolve().parents[2]
VERIFIED = [
    "PASS  the database holds exactly the cases answered with success",
    "PASS  every submission was answered with success",
    "PASS  every reference is unique",
    "PASS  replays answered the first case and made none",
    "PASS  the audit chain verifies",
    "PASS  the search index verifies",
    "PASS  no task left ready, running or failed",
    "PASS  every notification was queued and ran",
    "PASS  every SMS expected was sent, once",
    "PASS  every e-mail expected arrived, once",
    "PASS  no 5xx answer",
    "verification passed",
]


def _services() -> None:
    database = os.environ.get("DATABASE_URL", "")
    require_service(
        "PostgreSQL", database.startswith("postgres"), "set DATABASE_URL=postgres://..."
    )
    require_service(
        "Elasticsearch",
        bool(os.environ.get("ELASTICSEARCH_URL")),
        "set ELASTICSEARCH_URL (the shared engine; the test uses its own index prefix)",
    )


def run_load(*arguments: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """bench/load.py in its own process group, ended (TERM, then KILL) whatever happens, so
    no gunicorn, worker or locust outlives a failed or interrupted test."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # load.py sets the production settings itself
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "load.py"), *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # load.py stops its children on TERM
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def test_a_thousand_submissions_under_load_lose_nothing():
    _services()
    result = run_load(
        *("--submissions", "1000", "--clients", "20", "--floor-seconds", "3"),
        *("--static", "plain", "--no-results-file"),
    )
    missing = [line for line in VERIFIED if line not in result.stdout]
    assert result.returncode == 0 and not missing, (
        f"exit {result.returncode}; not verified: {missing}\n{result.stdout[-6000:]}"
    )
