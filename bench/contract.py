"""The bench row contract shared by the benchmarks `make bench` runs (bench/run.py collects).

A benchmark run with `--json PATH` writes there one object: benchmark, started, finished,
machine, sizes, rows (what, figure, unit, goal, met, detail) and notes. Each figure is a
ratio to a floor measured in the same run; `goal` and `met` are None where no issue gives a
goal. Also here: which PostgreSQL database a benchmark keeps its generated data in.
"""

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# The local server's mrejesho role, as .ci/run provisions it.
DEFAULT_SERVER = "postgres://mrejesho:mrejesho@127.0.0.1:5432/mrejesho"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def row(what: str, figure: float, unit: str, goal=None, met=None, detail: str = "") -> dict:
    return {
        "what": what,
        "figure": round(figure, 3) if figure is not None else None,
        "unit": unit,
        "goal": goal,
        "met": met,
        "detail": detail,
    }


def machine() -> str:
    return f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write(path, benchmark: str, started: str, sizes: dict, rows: list, notes=()) -> None:
    """Write the benchmark's rows to `path` (the orchestrator reads them)."""
    result = {
        "benchmark": benchmark,
        "started": started,
        "finished": now(),
        "machine": machine(),
        "sizes": sizes,
        "rows": rows,
        "notes": list(notes),
    }
    Path(path).write_text(json.dumps(result, indent=2, default=str) + "\n")


def database_url(name: str) -> str:
    """DATABASE_URL's server and role (default: the local mrejesho role) with the database a
    benchmark keeps its generated data in, so a second run does not generate it again."""
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(
            f"DATABASE_URL must name a PostgreSQL server (the benchmarks need one), "
            f"not {parts.scheme}"
        )
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(url: str) -> bool:
    """Create the database `url` names when missing; True if it was created."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if exists.fetchone():
                return False
            connection.execute(f'CREATE DATABASE "{name}"')
            return True
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"cannot reach PostgreSQL at {parts.hostname}:{parts.port or 5432} as "
            f"{parts.username}: {error}. Set DATABASE_URL to a server where that role may "
            "create databases (.ci/run provisions mrejesho/mrejesho on 127.0.0.1:5432)."
        ) from error


def profile(call, limit: int = 6) -> str:
    """cProfile of `call()` on one line for a note: the whole, our own functions by cumulative
    time (leaving out the wrappers around nearly all of it: middleware), and the functions
    of any code with the most time of their own (the database driver's waits, templates...)."""
    import cProfile
    import pstats

    root = str(Path(__file__).resolve().parent.parent)
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    entries = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, _)
    whole = max(cumtime for _cc, _nc, _tt, cumtime, _callers in entries.values())

    def name(key):
        path, line, function = key
        if "site-packages/" in path:
            path = path.split("site-packages/", 1)[1]
        elif path.startswith(root + "/"):
            path = path[len(root) + 1 :]
        return f"{path}:{line}({function})"

    ours = sorted(
        (
            (cumtime, key)
            for key, (_cc, _nc, _tt, cumtime, _callers) in entries.items()
            if key[0].startswith(root + "/") and "/.venv/" not in key[0] and cumtime < 0.75 * whole
        ),
        reverse=True,
    )[:limit]
    own = sorted(
        ((tottime, key) for key, (_cc, _nc, tottime, _ct, _callers) in entries.items()),
        reverse=True,
    )[:limit]
    return (
        f"whole {whole * 1000:.0f} ms; our code, cumulative: "
        + "; ".join(f"{name(key)} {seconds * 1000:.0f} ms" for seconds, key in ours)
        + "; most time of their own: "
        + "; ".join(f"{name(key)} {seconds * 1000:.0f} ms" for seconds, key in own)
    )


def sized_database(stem: str, size: int, default_size: int) -> str:
    """The database that keeps a benchmark's data at `size`: `stem` at the issue's size, a
    database of its own at any other (a --quick run never trims the full run's data)."""
    return stem if size == default_size else f"{stem}_{size}"
