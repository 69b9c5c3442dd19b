"""`make bench`: every benchmark under bench/, one table of ratios to floors measured in the run.

Run:  .venv/bin/python bench/run.py [--quick] [--only pages,search]

Each benchmark runs as a subprocess of its own, `bench/<name>.py --json <tmp file>` (plus
`--quick` for small sizes), and writes its rows there (the bench row contract,
bench/contract.py). A benchmark that is missing, crashes or writes no rows becomes one row
"did not run: <error>" and the others still run; the exit status is then 1. A goal not met
is a finding, not a failure: the row says NOT met and the notes carry the profile.

The table (benchmark, what, figure, unit, goal, met, detail) is printed, and written with the
machine (cores, RAM, load average before and after, Python, PostgreSQL and Elasticsearch
versions), the sizes and the notes to bench/results/bench-<UTC time>.json and, as markdown
for the README's performance section, to bench/results/latest.md.

Provisioning: PostgreSQL from DATABASE_URL (default the local server's mrejesho role, as
.ci/run provisions it); each benchmark keeps its generated data in a database of its own on
that server, so a second run does not generate it again. Elasticsearch: BENCH_ELASTICSEARCH_URL
if set, else our own started with scripts/elasticsearch on port 9252 with a 2 GB heap, its
distribution and data kept outside the clone (BENCH_ES_ROOT, default
$HOME/.cache/mrejesho-bench/es, or /var/cache/mrejesho-bench/es as root, whose home the
unprivileged Elasticsearch user cannot enter), and stopped at the end unless it was running
before.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))

from bench.contract import DEFAULT_SERVER  # noqa: E402

# In the order they run: the cheap ones first, so a quick look needs no wait for the long ones.
BENCHMARKS = ["submission", "pages", "frontend", "reports", "inbox", "search", "load"]
NEEDS_ELASTICSEARCH = {"search", "load"}
ES_PORT = "9252"
ES_HEAP = "2g"
COLUMNS = ["benchmark", "what", "figure", "unit", "goal", "met", "detail"]


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- Elasticsearch ------------------------------------------------------------------------


def es_root() -> Path:
    if os.environ.get("BENCH_ES_ROOT"):
        return Path(os.environ["BENCH_ES_ROOT"])
    if os.geteuid() == 0:
        return Path("/var/cache/mrejesho-bench/es")
    return Path.home() / ".cache" / "mrejesho-bench" / "es"


def es_healthy(url: str) -> bool:
    import urllib3

    try:
        answer = urllib3.request(
            "GET", f"{url}/_cluster/health", timeout=5, retries=False
        )  # GET / answers 405 on the test distribution
    except urllib3.exceptions.HTTPError:
        return False
    return answer.status == 200


def es_version(url: str) -> str:
    import urllib3

    try:
        answer = urllib3.request("GET", f"{url}/_nodes/_local", timeout=5, retries=False)
        return next(iter(json.loads(answer.data)["nodes"].values()))["version"]
    except (urllib3.exceptions.HTTPError, ValueError, KeyError, StopIteration):
        return "unknown"


class Elasticsearch:
    """The benchmarks' Elasticsearch: the one BENCH_ELASTICSEARCH_URL names, or our own."""

    def __init__(self, needed: bool):
        self.needed = needed
        self.given = os.environ.get("BENCH_ELASTICSEARCH_URL")
        self.url = self.given or f"http://127.0.0.1:{ES_PORT}"
        self.started = False
        self.env = dict(os.environ, ES_PORT=ES_PORT, ES_HEAP=ES_HEAP, ES_ROOT=str(es_root()))

    def __enter__(self):
        if not self.needed or self.given or es_healthy(self.url):
            return self
        log(f"starting Elasticsearch on {self.url} (ES_ROOT {self.env['ES_ROOT']})")
        Path(self.env["ES_ROOT"]).mkdir(parents=True, exist_ok=True)
        done = subprocess.run(  # nosec B603 B607  # our own script, fixed arguments, no shell
            ["bash", str(ROOT / "scripts" / "elasticsearch"), "start"], env=self.env, cwd=ROOT
        )
        self.started = done.returncode == 0
        if not self.started:
            log("Elasticsearch did not start: the benchmarks that need it will say so")
        return self

    def __exit__(self, *exc):
        if self.started:
            log("stopping the Elasticsearch this run started")
            subprocess.run(  # nosec B603 B607  # our own script, fixed arguments, no shell
                ["bash", str(ROOT / "scripts" / "elasticsearch"), "stop"], env=self.env, cwd=ROOT
            )


# --- the machine --------------------------------------------------------------------------


def ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def postgres_version() -> str:
    import psycopg

    url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as error:
        return f"not reachable ({str(error).strip().splitlines()[0]})"


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


# --- one benchmark ------------------------------------------------------------------------


def run_one(name: str, scripts: Path, quick: bool, env: dict) -> dict:
    """Run bench/<name>.py with --json; its result, or a "did not run" row."""
    script = scripts / f"{name}.py"
    started = time.monotonic()
    result = {"benchmark": name, "rows": [], "notes": [], "sizes": {}}
    if not script.exists():
        result["error"] = f"{script.relative_to(scripts.parent)} does not exist"
        return result
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        out = Path(folder) / "rows.json"
        command = [sys.executable, str(script), "--json", str(out)]
        if quick:
            command.append("--quick")
        log(f"{name}: {' '.join(command[1:])}")
        tail: deque[str] = deque(maxlen=40)
        process = subprocess.Popen(  # nosec B603  # our own benchmark scripts, no shell
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        for line in process.stdout:
            sys.stderr.write(f"  {name} | {line}")
            tail.append(line.rstrip())
        status = process.wait()
        written = None
        if out.exists():
            try:
                written = json.loads(out.read_text())
            except ValueError as error:
                result["error"] = f"its --json file is not JSON ({error})"
    result["seconds"] = round(time.monotonic() - started, 1)
    result["exit_status"] = status
    if written and written.get("rows"):
        result.update({key: value for key, value in written.items() if key != "benchmark"})
        if status != 0:
            result["notes"].append(f"{name} exited with status {status} after writing its rows")
        return result
    if "error" not in result:
        last = next((line for line in reversed(tail) if line.strip()), "")
        result["error"] = (
            f"exit status {status}: {last}" if status else "it wrote no rows to its --json file"
        )
    result["tail"] = list(tail)
    return result


def table_rows(results: list[dict]) -> list[list[str]]:
    lines = []
    for result in results:
        if "error" in result:
            lines.append([result["benchmark"], f"did not run: {result['error']}", *[""] * 5])
            continue
        for row in result["rows"]:
            figure = row.get("figure")
            lines.append(
                [
                    result["benchmark"],
                    row["what"],
                    "" if figure is None else f"{figure:.3g}",
                    row.get("unit") or "",
                    row.get("goal") or "",
                    {True: "met", False: "NOT met", None: ""}[row.get("met")],
                    row.get("detail") or "",
                ]
            )
    return lines


def text_table(lines: list[list[str]]) -> str:
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(COLUMNS)]
    widths[-1] = len(COLUMNS[-1])  # the detail column is last: never padded

    def one(cells):
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    return "\n".join(one(cells).rstrip() for cells in [COLUMNS, *lines])


def markdown(run: dict, lines: list[list[str]]) -> str:
    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    machine = run["machine"]
    out = [
        f"`make bench` on {run['finished']} ({'--quick' if run['quick'] else 'full sizes'}"
        f", {run['seconds'] / 60:.0f} minutes): {machine['cores']} cores, {machine['ram_gb']} GB "
        f"RAM, load average {machine['load_before'][0]} before and {machine['load_after'][0]} "
        f"after; Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"Elasticsearch {machine['elasticsearch']}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | --- | ---: | --- | --- | --- | --- |",
        *("| " + " | ".join(escape(cell) for cell in cells) + " |" for cells in lines),
        "",
        "Sizes: "
        + "; ".join(
            f"{result['benchmark']} "
            + ", ".join(
                f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
                for key, value in result.get("sizes", {}).items()
            )
            for result in run["benchmarks"]
            if result.get("sizes")
        )
        + ".",
    ]
    notes = [note for result in run["benchmarks"] for note in result.get("notes", [])]
    if notes:
        out += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"a comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes everywhere: minutes in all, for trying"
    )
    parser.add_argument("--scripts", default=str(BENCH), help=argparse.SUPPRESS)  # tests
    parser.add_argument("--results", default=str(BENCH / "results"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = BENCHMARKS
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in names if name not in BENCHMARKS]
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {BENCHMARKS}")

    started = datetime.now(UTC)
    clock = time.monotonic()
    machine = {
        "cores": os.cpu_count(),
        "ram_gb": ram_gb(),
        "load_before": load_average(),
        "python": platform.python_version(),
        "postgresql": postgres_version(),
    }
    if machine["postgresql"].startswith("not reachable"):
        log(
            f"PostgreSQL is {machine['postgresql']}: set DATABASE_URL to a server where a role "
            f"may create databases (default {DEFAULT_SERVER}, as .ci/run provisions it); the "
            "benchmarks that need it will not run"
        )
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_SERVER)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # each benchmark chooses its settings
    results = []
    with Elasticsearch(needed=bool(NEEDS_ELASTICSEARCH & set(names))) as engine:
        if engine.needed:
            env["BENCH_ELASTICSEARCH_URL"] = env["ELASTICSEARCH_URL"] = engine.url
        else:  # no engine started: the others search the database (`--only pages,inbox`)
            env.pop("ELASTICSEARCH_URL", None)
        machine["elasticsearch"] = (
            es_version(engine.url) if es_healthy(engine.url) else "not running"
        )
        for name in names:
            results.append(run_one(name, Path(args.scripts), args.quick, env))
    machine["load_after"] = load_average()
    run = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - clock),
        "quick": args.quick,
        "only": names,
        "machine": machine,
        "benchmarks": results,
    }
    lines = table_rows(results)
    print(text_table(lines))
    failed = [result["benchmark"] for result in results if "error" in result]
    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    (results_dir / f"bench-{stamp}.json").write_text(json.dumps(run, indent=2) + "\n")
    (results_dir / "latest.md").write_text(markdown(run, lines))
    print(f"\nwritten to {results_dir / f'bench-{stamp}.json'} and {results_dir / 'latest.md'}")
    if failed:
        print(f"did not run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
