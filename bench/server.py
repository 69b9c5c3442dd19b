"""What the benchmarks that serve the site share: the production environment on 127.0.0.1,
a PostgreSQL database of their own, and child processes (gunicorn...) that never outlive them.

Used by bench/load.py, bench/pages.py and bench/frontend.py. Import it after putting the
project root first on sys.path (a script run from bench/ would otherwise import
bench/search.py as `search`).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "loadbench-" + "k3y" * 20,
    "AUDIT_CHAIN_KEY": "loadbench-audit-" + "c4a1n" * 8,
    # Contact details are encrypted at rest: production refuses to start without its own keys.
    "CONTACT_ENCRYPTION_KEYS": "QGmDcaIr9MgWQRB5mYGWPuh4ornZ6b8xT_3D3Xw6ErU=",
    "CONTACT_DIGEST_KEY": "loadbench-digest-" + "d1g" * 12,
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1, no TLS proxy in front
    "DATABASE_CONN_MAX_AGE": "60",  # persistent connections, as production runs
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "TASKS_BACKEND": "database",
    "SMS_BACKEND": "feedback.sms.MemorySMSBackend",
    "EMAIL_USE_TLS": "0",
    "TRUSTED_PROXY_COUNT": "1",  # the X-Forwarded-For each simulated citizen sends
    "SITE_URL": "http://127.0.0.1:8000",
}
# The abuse limits (branch `limits`, feedback/limits.py) by their settings' names, raised for
# the run wherever a setting reads the environment. Each citizen has its own address and
# phone number anyway, so these matter only if a limit counts something shared.
RAISED_LIMITS = {
    "SUBMISSIONS_PER_ADDRESS": "1000000",
    "SUBMISSIONS_PER_PHONE": "1000000",
    "REFERENCE_LOOKUPS_PER_ADDRESS": "1000000",
    "REFERENCE_LOOKUPS_PER_PHONE": "1000000",
    "PIN_FAILURES_PER_ADDRESS": "1000000",
    "API_CLIENT_DEFAULT_REQUESTS_PER_MINUTE": "100000",
    "API_ANONYMOUS_RATE": "1000000/minute",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """The child processes of the run; `stop()` ends each by its own id (TERM, then KILL)."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        out = (self.logdir / f"{name}.log").open("ab")
        process = subprocess.Popen(  # nosec B603  # our own commands, no shell
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        self.running.append((name, process))
        return process

    def stop_one(self, process: subprocess.Popen, wait: float = 30) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(wait)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def stop(self) -> None:
        for _name, process in reversed(self.running):
            self.stop_one(process)
        self.running.clear()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_for_http(url: str, seconds: float = 90) -> None:
    import urllib3

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if urllib3.request("GET", url, timeout=5, retries=False).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s")


def database_url(name: str) -> str:
    """DATABASE_URL's PostgreSQL server and credentials, with the database `name`."""
    base = os.environ.get("DATABASE_URL", "postgres://mrejesho:mrejesho@127.0.0.1:5432/mrejesho")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server (the benchmark needs one)")
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(url: str) -> bool:
    """Create the run's database when missing; True if it was created."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone():
            return False
        connection.execute(f'CREATE DATABASE "{name}"')
        return True


def gunicorn(processes: Processes, env: dict, port: int, workers: int, name: str = "gunicorn"):
    """config.wsgi under gunicorn's sync workers on 127.0.0.1:port, answering /healthz."""
    processes.start(
        name,
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            *("--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
            *("--no-control-socket", "--timeout", "120"),
        ],
        env,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
    except SystemExit:
        log(processes.tail(name))
        raise


def ensure_command(command: str, package: str) -> str:
    """The path of a Debian command, installed with apt-get when missing and run as root."""
    found = shutil.which(command)
    if found is None and os.geteuid() == 0:
        log(f"installing {package} (apt-get install -y {package})")
        subprocess.run(  # nosec B603 B607  # Debian's package, as root
            ["apt-get", "install", "-y", package], check=True, stdout=subprocess.DEVNULL
        )
        found = shutil.which(command)
    if found is None:
        raise SystemExit(f"{command} is missing: install it (Debian: apt-get install {package})")
    return found


def redis_server(processes: Processes, port: int) -> str:
    """A Redis of the run's own on 127.0.0.1:port, in memory only; its URL."""
    binary = ensure_command("redis-server", "redis-server")
    processes.start(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        dict(os.environ),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.2)
    log(processes.tail("redis"))
    raise SystemExit(f"redis-server did not answer on 127.0.0.1:{port}")
