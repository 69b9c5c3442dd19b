"""10,000 submissions under load with nothing lost: throughput, latency, and the proof.

Run:  .venv/bin/python bench/load.py [--submissions 10000] [--clients 50]
      make bench-load BENCH_ARGS="--submissions 1000"

Needs PostgreSQL (DATABASE_URL: its server and credentials; the run uses a database of its
own, LOAD_DATABASE, default mrejesho_loadbench, created when missing and KEPT: migrating a
fresh one takes half a minute here, and every run tags its cases so it finds exactly its own)
and Elasticsearch (ELASTICSEARCH_URL, default http://127.0.0.1:9200; an index prefix named
after the database, mrejesho-loadbench, rebuilt at each run).

The production shape, on 127.0.0.1:
- gunicorn (config.wsgi, production settings, --workers 2 x cores + 1 sync workers);
- TASKS_BACKEND=database and two `manage.py db_worker` processes running during the load;
- e-mail sent over SMTP to a server of this process (aiosmtpd), which counts what arrives;
  SMS through feedback.sms.MemorySMSBackend in the workers, counted as SmsDelivery rows;
- citizens behind a reverse proxy (TRUSTED_PROXY_COUNT=1), each from an address of its own
  and with a phone number of its own, so the abuse limits count them apart as they would
  real citizens: no limit has to be switched off. The limits are raised too, by the
  environment (RAISED_LIMITS in bench/server.py), for settings that read it.

The load is driven by locust (bench/locustfile.py: who the citizens are and what they do),
in a process of its own (gevent), with --clients concurrent users: 40 in 50 submit (3 in 5
through the web form's three steps, 2 in 5 through the API with an Idempotency-Key, some
sent twice on purpose), 6 in 50 follow cases already answered (look-up, PIN, API look-up),
4 in 50 search outcomes. First the same number of users request /healthz alone for
--floor-seconds: the floor every figure is divided by, measured through the same gunicorn in
the same run (wrk would give a sharper floor, but not the form journeys with their cookies and
CSRF tokens, nor the references each answer carries: locust does both in one tool).

Afterwards, with the workers drained, it verifies: the database holds exactly the cases that
got a success answer (by reference), every reference is unique, the replays answered the
first case and made none, the audit chain verifies (verify_audit_chain), the search index
verifies (search_index verify), no task is left ready, running or failed, every
notification expected was sent (SMS rows, e-mails received) exactly once, and no answer was
a 5xx. One table is printed (and written to bench/results/load-<time>.json); the exit status
is 1 when any verification fails. Timings are reported, never asserted.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, Python puts bench/ first on the path, where search.py would shadow the
# project's own `search` package: the project root goes there instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))

from bench.server import (  # noqa: E402  # after the path is set
    BIN,
    PRODUCTION_ENV,
    RAISED_LIMITS,
    Processes,
    database_url,
    ensure_database,
    free_port,
    gunicorn,
    log,
)

DEFAULT_DATABASE_NAME = "mrejesho_loadbench"
DEMO_CASES = 40  # seeded through the workflow: some published outcomes to search


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- the SMTP server that counts the e-mails ---------------------------------------------


class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd): every message's subject, kept to be counted."""

    def __init__(self):
        self.subjects: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.subjects.append(str(message.get("Subject", "")))
        return "250 OK"

    def __enter__(self):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


# --- setup: the database, the small world, the index, the API key ------------------------


def static_is_stale() -> bool:
    """Whether collectstatic must run: production's storage hashes and compresses every file
    (Wagtail's too: 218 s here on a busy machine), so it runs only when the manifest is
    missing or older than one of the project's own static files."""
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    newest = max(
        (path.stat().st_mtime for folder in ROOT.glob("*/static") for path in folder.rglob("*")),
        default=0,
    )
    return newest > manifest.stat().st_mtime


def setup_world(run: str, static: str) -> dict:
    """Migrate, seed a small world (idempotent), rebuild the index; a fresh API client."""
    from django.core.management import call_command

    from feedback import demo
    from feedback.channels import keys
    from feedback.models import Service
    from pages.demo import seed_pages

    def step(name, *command, **options):
        started = time.monotonic()
        if callable(command[0]):
            command[0](*command[1:])
        else:
            call_command(*command, verbosity=0, stdout=StringIO(), **options)
        log(f"  {name}: {time.monotonic() - started:.1f} s")

    step("migrate", "migrate")
    step("cache table", "createcachetable")
    if static == "collect" and static_is_stale():
        step("static files", "collectstatic", interactive=False)
    step("institutions", demo.seed_institutions)
    step("services", demo.seed_services)
    step("users", demo.seed_users)
    step("pages", seed_pages)
    # Through the workflow, only when the database is new: some published outcomes.
    step("demo cases", demo.seed_cases, DEMO_CASES)
    step("search index", "search_index", "rebuild", "--quiet-progress")
    _client, key = keys.create_client(
        name=f"Load test {run}", organisation="bench/load.py", requests_per_minute=100_000
    )
    services = [
        [service.pk, service.global_code]
        for service in Service.objects.filter(is_active=True, institution__is_active=True)
        .select_related("institution")
        .order_by("pk")
    ]
    return {"api_key": key, "services": services}


# --- the load -----------------------------------------------------------------------------


def locust(processes, env, base, out: Path, users: list[str], clients, run_time, extra) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "locust"),
        *("-f", str(BENCH / "locustfile.py"), "--headless", "--only-summary"),
        *("-u", str(clients), "-r", str(clients), "-H", base),
        *("--run-time", f"{int(run_time)}s", "--stop-timeout", "30", "--loglevel", "WARNING"),
        *users,
    ]
    name = f"locust-{out.name}"
    process = processes.start(name, command, {**env, **extra, "LOAD_OUT": str(out)})
    process.wait()
    answers = out / "requests.json"
    if not answers.exists():
        raise SystemExit(f"locust wrote no answers:\n{processes.tail(name)}")
    return json.loads(answers.read_text())


def drain(seconds: float, count_ready: bool = False):
    """Wait until the workers have taken every ready task; the queue's counts by status (or,
    with count_ready, how many were ready when called)."""
    from django.db import close_old_connections
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + seconds
    ready = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
    while True:
        close_old_connections()
        counts = dict(Counter(DBTaskResult.objects.values_list("status", flat=True)))
        if not counts.get("READY") and not counts.get("RUNNING"):
            return ready if count_ready else counts
        if time.monotonic() > deadline:
            return ready if count_ready else counts
        time.sleep(1)


# --- the verification ---------------------------------------------------------------------


def verify(
    run, count: int, sent: int, answers: list[dict], seen: dict, mailbox: Mailbox, queue: dict
) -> list:
    """(what, ok, detail) for each check."""
    from django.core.management import CommandError, call_command
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from feedback.models import Case, SmsDelivery

    checks = []

    def check(what, ok, detail=""):
        checks.append((what, bool(ok), detail))

    submitted = [a for a in answers if a["kind"] in ("web", "api")]
    references = [a["reference"] for a in submitted]
    cases = Case.objects.filter(subject__endswith=f"[{run}]")
    stored = list(cases.values_list("reference", flat=True))
    missing = sorted(set(references) - set(stored))
    extra = sorted(set(stored) - set(references))
    check(
        "the database holds exactly the cases answered with success",
        not missing and not extra,
        f"{len(set(references))} answered, {len(stored)} stored; "
        f"missing {len(missing)} {missing[:5]}, extra {len(extra)} {extra[:5]}",
    )
    failed = [a for a in answers if a["kind"].endswith("failed")]
    cut = f" (of {count:,} planned: cut at --max-minutes)" if sent < count else ""
    check(
        "every submission was answered with success",
        not failed and len(submitted) == sent,
        f"{sent:,} sent{cut}, {len(submitted):,} answered, {len(failed)} refused "
        f"{dict(Counter(str(a.get('status')) for a in failed))}",
    )
    duplicated = [r for r, n in Counter(references).items() if n > 1]
    in_database = Case.objects.values("reference").annotate(n=Count("pk")).filter(n__gt=1).count()
    check(
        "every reference is unique",
        not duplicated and not in_database,
        f"{len(references)} answers, {len(duplicated)} references answered twice, "
        f"{in_database} repeated in the database",
    )
    replays = [a for a in answers if "replay" in a["kind"]]
    wrong = [
        a
        for a in replays
        if a["status"] != 200
        or a["replayed"] != a["reference"]
        or a["pin_shown"]
        or (a["kind"] == "api replay" and a.get("header") != "true")
    ]
    check(
        "replays answered the first case and made none",
        not wrong and replays,
        f"{len(replays)} replays ({sum(1 for a in replays if a['kind'] == 'web replay')} web "
        f"double sends, {sum(1 for a in replays if a['kind'] == 'api replay')} API retries), "
        f"{len(wrong)} wrong",
    )

    out = StringIO()
    try:
        call_command("verify_audit_chain", stdout=out)
        check("the audit chain verifies", True, out.getvalue().strip()[:90])
    except CommandError as error:
        check("the audit chain verifies", False, str(error)[:300])
    out = StringIO()
    try:
        call_command("search_index", "verify", stdout=out)
        check("the search index verifies", True, out.getvalue().strip().splitlines()[0][:90])
    except CommandError as error:
        check("the search index verifies", False, f"{error}: {out.getvalue()[:300]}")

    left = {status: n for status, n in queue.items() if status != "SUCCESSFUL"}
    check(
        "no task left ready, running or failed",
        not left,
        f"queue after the drain: {queue}",
    )
    case_ids = list(cases.values_list("pk", flat=True))
    by_way = Counter(a["notify_by"] for a in submitted)
    tasks = DBTaskResult.objects.filter(
        task_path="feedback.notifications.notify_citizen",
        args_kwargs__kwargs__action="submit",
        args_kwargs__kwargs__case_id__in=case_ids,
    )
    task_counts = dict(Counter(tasks.values_list("status", flat=True)))
    expected = by_way["sms"] + by_way["email"]
    check(
        "every notification was queued and ran",
        task_counts == {"SUCCESSFUL": expected} or (expected == 0 and not task_counts),
        f"{expected} expected, tasks {task_counts}",
    )
    sms = SmsDelivery.objects.filter(case_id__in=case_ids, purpose="submit")
    sms_states = dict(Counter(sms.values_list("state", flat=True)))
    sms_cases = sms.values("case_id").distinct().count()
    check(
        "every SMS expected was sent, once",
        sms_states == ({"sent": by_way["sms"]} if by_way["sms"] else {})
        and sms_cases == by_way["sms"],
        f"{by_way['sms']} expected, deliveries {sms_states} for {sms_cases} cases",
    )
    emailed = Counter(
        "".join(ch for ch in subject if ch.isdigit())[-10:] for subject in mailbox.subjects
    )
    expected_mail = {a["reference"] for a in submitted if a["notify_by"] == "email"}
    check(
        "every e-mail expected arrived, once",
        set(emailed) == expected_mail and all(n == 1 for n in emailed.values()),
        f"{len(expected_mail)} expected, {sum(emailed.values())} received for "
        f"{len(emailed)} references",
    )
    server_errors = {
        kind: {s: n for s, n in entry["status"].items() if s.startswith("5") or s == "0"}
        for kind, entry in seen.items()
    }
    server_errors = {kind: codes for kind, codes in server_errors.items() if codes}
    check("no 5xx answer (nor a dropped connection)", not server_errors, str(server_errors or ""))
    return checks


# --- the table ----------------------------------------------------------------------------


def figures(answers: dict) -> dict:
    elapsed = answers["timing"]["ended"] - answers["timing"]["started"]
    rows = {}
    for kind, entry in sorted(answers["kinds"].items()):
        ms = entry["ms"]
        rows[kind] = {
            "requests": len(ms),
            "p50": statistics.median(ms),
            "p95": percentile(ms, 0.95),
            "p99": percentile(ms, 0.99),
            "status": entry["status"],
        }
    total = sum(row["requests"] for row in rows.values())
    return {"seconds": elapsed, "requests": total, "rps": total / elapsed, "kinds": rows}


def table(result: dict) -> str:
    load, floor = result["load"], result["floor"]
    floor_row = floor["kinds"]["floor: /healthz"]
    lines = [
        f"load: {result['sent']:,} submissions (of {result['submissions']:,} asked) from "
        f"{result['clients']} clients, "
        f"gunicorn {result['gunicorn_workers']} workers, {result['task_workers']} task workers, "
        f"{os.cpu_count()} cores shared with the client",
        f"  submissions/s  {result['submissions_per_s']:8.1f}   (in {load['seconds']:.0f} s)",
        f"  requests/s     {load['rps']:8.1f}   floor /healthz alone: {floor['rps']:.1f}/s"
        f" ({load['rps'] / floor['rps']:.2f}x of the floor's)",
        "",
        f"  {'request kind':<22} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'p50 x':>7} {'p95 x':>7} {'p99 x':>7}  statuses",
    ]
    for kind, row in [("floor: /healthz", floor_row), *load["kinds"].items()]:
        ratios = [row[p] / max(floor_row[p], 0.001) for p in ("p50", "p95", "p99")]
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(row["status"].items()))
        lines.append(
            f"  {kind:<22} {row['requests']:>7,} {row['p50']:8.1f} {row['p95']:8.1f}"
            f" {row['p99']:8.1f} {ratios[0]:6.1f}x {ratios[1]:6.1f}x {ratios[2]:6.1f}x  {statuses}"
        )
    errors = Counter()
    for row in load["kinds"].values():
        for status, n in row["status"].items():
            if not status.startswith(("2", "3")):
                errors[status] += n
    lines.append(
        "  errors by status: "
        + (", ".join(f"{s}: {n}" for s, n in sorted(errors.items())) or "none")
    )
    lines.append("")
    lines.append("verification")
    for what, ok, detail in result["checks"]:
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {what}: {detail}")
    lines.append(
        f"verification {'passed' if all(ok for _w, ok, _d in result['checks']) else 'FAILED'}"
    )
    return "\n".join(lines)


# --- the run ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50, help="concurrent locust users")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--task-workers", type=int, default=2, help="db_worker processes")
    parser.add_argument("--floor-seconds", type=float, default=15)
    parser.add_argument(
        "--database", default=os.environ.get("LOAD_DATABASE", DEFAULT_DATABASE_NAME)
    )
    parser.add_argument(
        "--max-minutes", type=float, default=120, help="give up on the load after this long"
    )
    parser.add_argument("--drain-seconds", type=float, default=300)
    parser.add_argument(
        "--static",
        choices=["collect", "plain"],
        default="collect",
        help="collect: production's static storage (collectstatic when stale); plain: "
        "bench/load_settings.py, no collectstatic (CI)",
    )
    parser.add_argument("--no-results-file", action="store_true")
    parser.add_argument("--json", help="write the bench row contract's rows (bench/run.py)")
    parser.add_argument(
        "--quick", action="store_true", help="300 submissions, 5 s of floor, plain static"
    )
    args = parser.parse_args()
    if args.quick:
        args.submissions, args.floor_seconds, args.static = 300, 5, "plain"

    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    env = dict(os.environ, **PRODUCTION_ENV, **RAISED_LIMITS)
    if args.static == "plain":
        env["DJANGO_SETTINGS_MODULE"] = "bench.load_settings"
    env["DATABASE_URL"] = database_url(args.database)
    env["ELASTICSEARCH_URL"] = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    # An index of its own per database: two runs on two databases never verify each other's.
    env["ELASTICSEARCH_INDEX_PREFIX"] = args.database.lower().replace("_", "-")
    workdir = Path(tempfile.mkdtemp(prefix="loadbench-"))
    env["MEDIA_ROOT"] = str(workdir / "media")
    env["REPORTS_ROOT"] = str(workdir / "reports")
    processes = Processes(workdir)

    def terminated(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    try:
        with Mailbox() as mailbox:
            env["EMAIL_HOST"], env["EMAIL_PORT"] = "127.0.0.1", str(mailbox.port)
            os.environ.update(env)
            import django

            django.setup()
            created = ensure_database(env["DATABASE_URL"])
            log(f"database {args.database} ({'created' if created else 'kept'}); setting up")
            started = time.monotonic()
            world = setup_world(run, args.static)
            log(f"set up in {time.monotonic() - started:.0f} s; starting gunicorn and workers")
            from django.db import connections

            connections.close_all()

            port = free_port()
            base = f"http://127.0.0.1:{port}"
            for number in range(args.task_workers):
                processes.start(
                    f"worker{number}",
                    [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-reload"],
                    env,
                )
            gunicorn(processes, env, port, args.workers)
            # A run interrupted before its drain leaves tasks in the kept database: the workers
            # deliver them now (nothing is lost), before this run's mail is counted.
            leftover = drain(args.drain_seconds, count_ready=True)
            mailbox.subjects.clear()
            if leftover:
                log(f"delivered {leftover} tasks left in the queue by an earlier run")
            log(f"floor: /healthz from {args.clients} clients for {args.floor_seconds:.0f} s")
            floor = locust(
                processes,
                env,
                base,
                workdir / "floor",
                ["Floor"],
                args.clients,
                args.floor_seconds,
                {},
            )
            log(f"load: {args.submissions:,} submissions from {args.clients} clients")
            extra = {
                "LOAD_SUBMISSIONS": str(args.submissions),
                "LOAD_RUN": run,
                "LOAD_API_KEY": world["api_key"],
                "LOAD_SERVICES": json.dumps(world["services"]),
            }
            load = locust(
                processes,
                env,
                base,
                workdir / "load",
                ["Submitter", "Tracker", "Searcher"],
                args.clients,
                args.max_minutes * 60,
                extra,
            )
            answers = [
                json.loads(line)
                for line in (workdir / "load" / "references.jsonl").read_text().splitlines()
            ]
            log("load done; draining the task queue")
            queue = drain(args.drain_seconds)
            processes.stop()  # gunicorn and the workers: nothing more reaches the database
            log("verifying")
            checks = verify(
                run, args.submissions, load["sent"], answers, load["kinds"], mailbox, queue
            )
    finally:
        processes.stop()

    result = {
        "run": run,
        "submissions": args.submissions,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "task_workers": args.task_workers,
        "floor": figures(floor),
        "load": figures(load),
        "checks": checks,
    }
    result["sent"] = load["sent"]
    result["submissions_per_s"] = load["sent"] / result["load"]["seconds"]
    text = table(result)
    print(text)
    if not args.no_results_file:
        out_dir = BENCH / "results"
        out_dir.mkdir(exist_ok=True)
        out = out_dir / f"load-{run[:14]}.json"
        result["table"] = text.splitlines()
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"written to {out.relative_to(ROOT)}")
    passed = all(ok for _what, ok, _detail in checks)
    if args.json:
        from bench import contract

        failed = [what for what, ok, _detail in checks if not ok]
        rows = [
            contract.row(
                f"{load['sent']:,} submissions from {args.clients} clients, nothing lost",
                None,
                "",
                "every check passes",
                passed,
                f"{len(checks) - len(failed)} of {len(checks)} checks passed"
                + (f"; failed: {'; '.join(failed)}" if failed else ""),
            ),
            contract.row(
                "requests/s under the mixed load",
                result["load"]["rps"] / result["floor"]["rps"],
                "x floor req/s",
                detail=f"{result['load']['rps']:.1f} req/s ({result['submissions_per_s']:.1f} "
                f"submissions/s) vs /healthz alone {result['floor']['rps']:.1f} req/s",
            ),
        ]
        notes = [f"load: {what}: {detail}" for what, ok, detail in checks if not ok]
        sizes = {"submissions": args.submissions, "sent": load["sent"], "clients": args.clients}
        started = datetime.strptime(run[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()
        contract.write(args.json, "load", started, sizes, rows, notes)
    if passed:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"the logs of gunicorn, the workers and locust are kept in {workdir}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
