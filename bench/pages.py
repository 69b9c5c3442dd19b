"""Public pages' throughput against the framework floor, through gunicorn on PostgreSQL.

Run:  .venv/bin/python bench/pages.py [--json PATH] [--duration S] [--repeats N] [--quick]

Needs PostgreSQL (DATABASE_URL: its server and credentials; the run uses a database of its
own, PAGES_DATABASE, default mrejesho_pagebench, created, migrated and seeded with seed_demo
when missing and KEPT), wrk and redis-server (Debian's packages: installed with apt-get when
missing and run as root, else the script says how). No Elasticsearch: outcomes are searched
in the database.

The shape measured: gunicorn with 2 sync workers (the issue's measurement) on 127.0.0.1,
production settings (bench/pages_settings.py: plain static storage, no collectstatic, since
no client fetches CSS; and bench/urls.py, production's URLs plus the floor).

- The floor: a view answering a fixed "ok" through the whole MIDDLEWARE (bench/urls.py), the
  most any page could do on this stack. Every figure is a ratio to the floor's requests per
  second measured in the same run, next to it: each round requests floor, page, floor, page...
  (wrk, the same connections and duration for every URL) and a page's ratio is to the mean of
  the floors just before and after it; the figure is the median over the rounds, so drift on
  a shared machine shows in the detail instead of in the figure.
- Pages are requested as a browser sends them (Accept-Encoding: gzip, br), anonymously.
- The server runs twice: with PUBLIC_PAGE_CACHE_SECONDS=0 (the shared page cache off: the
  uncached figures), with the environment as production has it (cached: the pages in the
  database cache) and with PAGE_CACHE_URL naming a Redis of the run's own (cached in Redis;
  redis-server, installed with apt-get like wrk). The cache is warmed before timing. The floor
  is outside the site's language prefixes, so it never pays the page cache's look-up: each
  cached figure is against the bare framework. The feedback form is kept with a placeholder
  for its CSRF token (config/page_cache.keep_form_page): its cached figure is an answer from
  the cache with a fresh token and cookie, its uncached one the whole render.
- A whole web submission (GET form, POST form, GET review, POST send) needs cookies and CSRF
  tokens: a Python client (threads with requests) with --clients concurrent citizens, each
  submission from its own address and phone, against the floor requested by the same client
  with the same concurrency. Its figure: (floor's time per request x 4) / time per submission.

Where a goal is not met, the notes carry the profile of that page in this process (the Django
test client through the same settings: cProfile's top functions by cumulative time, and the
SQL queries it makes). Timings are reported, never asserted (tests/bench/test_pages.py runs
--quick and checks the rows' shape).
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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
    PRODUCTION_ENV,
    RAISED_LIMITS,
    Processes,
    database_url,
    ensure_command,
    ensure_database,
    free_port,
    gunicorn,
    log,
    redis_server,
)

DEFAULT_DATABASE_NAME = "mrejesho_pagebench"
WORKERS = 2  # the measurement: gunicorn, 2 workers
BROWSER_HEADERS = {"Accept-Encoding": "gzip, br", "Accept": "text/html", "Accept-Language": "en"}
FLOOR = "/bench/floor"
SUBMISSION_REQUESTS = 4
# What the profiles show (run on 2026-11-26) and what would reach each goal: printed beside
# the fresh profile wherever the goal is still missed.
WHAT_WOULD_REACH = {
    "home page": "a cached page is answered by the shared page cache (config/page_cache.py) "
    "before Wagtail's routing, the view or the template: one look-up, already compressed. On "
    "the database cache (the default) that look-up is a round trip to PostgreSQL and "
    "unpickling the page; in Redis (PAGE_CACHE_URL=redis://..., the rows 'cached in Redis') "
    "it is cheaper, by what those rows show. Uncached, the time is Wagtail finding the page (site, "
    "locale, path, aliases, view restrictions: most of the queries, each a round trip), the "
    "language switcher's translation look-ups and the template",
    "whole web submission": "the blank form now comes from the page cache, but the other 3 "
    "requests each pay Wagtail's routing of the feedback page (about 8 queries) and the "
    "session; the POST that sends writes the case, its chained audit rows (the chain head "
    "is locked) and the notification task in one transaction, committed to disk. Serving "
    "the routable page's URLs without Wagtail's per-request page look-up (a route table "
    "kept in memory, cleared on publication) would take about a third of the queries off; "
    "the writes are the floor of a submission that must not be lost",
    "feedback form": "the blank form is kept in the page cache with a placeholder for the "
    "CSRF token (config/page_cache.keep_form_page): an answer from the cache costs the two "
    "cache SELECTs, a fresh token and its cookie, and compressing the page again (it "
    "differs per visitor, so it cannot be kept compressed). If this is missed, the profile "
    "shows which of those dominates",
}
WHAT_WOULD_REACH["service page"] = WHAT_WOULD_REACH["home page"]
WHAT_WOULD_REACH["outcome page"] = WHAT_WOULD_REACH["home page"].replace(
    "Wagtail finding the page (site, locale, path, aliases, view restrictions: most of the "
    "queries, each a round trip), the language switcher's translation look-ups",
    "the outcome's document (several queries), the similar outcomes from the search engine "
    "(the database engine here)",
)
# Where a request's time goes, by the function that holds each part (file, function).
PARTS = {
    "SQL (psycopg's execute, round trips included)": ("psycopg/cursor.py", "execute"),
    "template rendering (queries it runs included)": ("django/template/response.py", "render"),
    "Wagtail finding the page": ("wagtail/models/pages.py", "route_for_request"),
    "form widgets": ("django/forms/boundfield.py", "as_widget"),
    "language switcher": ("pages/templatetags/language_switcher.py", "language_switcher"),
}
OUR_PACKAGES = {"config", "feedback", "pages", "search"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERENCE = re.compile(r'data-testid="reference">([^<]+)<')


# --- the world ----------------------------------------------------------------------------


def setup_world() -> dict:
    """Migrate and seed (seed_demo: idempotent, so a kept database changes nothing); the URLs
    to measure, and a service to submit about."""
    from django.core.management import call_command

    from feedback.models import Case, Service
    from pages.models import ServicePage
    from search.documents import public_outcomes

    for command in (("migrate",), ("createcachetable",)):
        call_command(*command, verbosity=0, stdout=StringIO())
    if not public_outcomes().exists():
        started = time.monotonic()
        log("  seeding the demo (seed_demo, once: the database is kept)")
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=StringIO())
        log(f"  seeded in {time.monotonic() - started:.0f} s")
    outcome = public_outcomes().values_list("case__reference", flat=True).first()
    if outcome is None:
        raise SystemExit("seed_demo published no outcome: no outcome page to measure")
    service_page = ServicePage.objects.live().filter(locale__language_code="en").first()
    service = Service.objects.filter(is_active=True, institution__is_active=True).first()
    return {
        "urls": {
            "home page": "/en/",
            "service page": service_page.get_url(),
            "outcome page": f"/en/outcomes/{outcome}/",
            "feedback form": "/en/feedback/new/",
            "tracking form": "/en/feedback/track/",
        },
        "service": service.pk,
        "sizes": {
            "cases": Case.objects.count(),
            "published outcomes": public_outcomes().count(),
            "service pages": ServicePage.objects.live().count(),
        },
    }


# --- wrk ----------------------------------------------------------------------------------


def wrk(binary: str, url: str, seconds: float, connections: int) -> dict:
    """Requests per second of one URL; non-2xx/3xx answers and socket errors counted."""
    headers = [
        part for name, value in BROWSER_HEADERS.items() for part in ("-H", f"{name}: {value}")
    ]
    command = [binary, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", *headers, url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # nosec B603  # our own command
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": rps,
        "bad": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def check_answers(base: str, urls: dict) -> None:
    """Every URL answers 200 before it is timed (a 404 would be a very fast page)."""
    import urllib3

    for name, url in urls.items():
        status = urllib3.request("GET", base + url, headers=BROWSER_HEADERS, retries=False).status
        if status != 200:
            raise SystemExit(f"{name} ({url}) answered {status}, not 200")


def interleaved(binary, base, urls: dict, seconds, connections, repeats) -> dict:
    """Each round: floor, page, floor, page, ..., floor. A page's ratio in a round is to the
    mean of the floors on either side of it. {name: {"ratios": [...], "rps": [...],
    "floor": [...], "bad": n}}."""
    results = {name: {"ratios": [], "rps": [], "floor": [], "bad": 0} for name in urls}
    for round_number in range(repeats):
        before = wrk(binary, base + FLOOR, seconds, connections)
        for name, url in urls.items():
            page = wrk(binary, base + url, seconds, connections)
            after = wrk(binary, base + FLOOR, seconds, connections)
            floor = (before["rps"] + after["rps"]) / 2
            entry = results[name]
            entry["ratios"].append(page["rps"] / floor)
            entry["rps"].append(page["rps"])
            entry["floor"].append(floor)
            entry["bad"] += page["bad"] + page["socket_errors"] + after["bad"] + before["bad"]
            log(
                f"  round {round_number + 1}: {name}: {page['rps']:,.1f} req/s, "
                f"floor {floor:,.0f} req/s: {page['rps'] / floor:.3f}"
            )
            before = after
    return results


# --- the whole web submission (a Python client: cookies, CSRF) ----------------------------


class Citizen:
    """One browser: its cookies (kept by hand: production marks them Secure, and this is
    plain HTTP on 127.0.0.1) and its own address, as behind the reverse proxy."""

    def __init__(self, session, base: str, number: int):
        self.session, self.base, self.cookies = session, base, {}
        self.headers = {
            **BROWSER_HEADERS,
            "X-Forwarded-For": f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}",
        }

    def request(self, method: str, path: str, **kwargs):
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.session.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response


def submit(session, base: str, number: int, service: int) -> bool:
    citizen = Citizen(session, base, number)
    form = citizen.request("GET", "/en/feedback/new/")
    if form.status_code != 200:
        return False
    data = {
        "csrfmiddlewaretoken": CSRF.search(form.text).group(1),
        "kind": "complaint",
        "service": service,
        "subject": f"Page bench {number}",
        "description": f"Submission {number} of bench/pages.py: the meter reading is wrong.",
        "phone": f"0713{number % 1_000_000:06d}",
        "email": "",
        "notify_by": "sms",
        "consent_to_publish": "on",
    }
    if citizen.request("POST", "/en/feedback/new/", data=data).status_code != 302:
        return False
    review = citizen.request("GET", "/en/feedback/new/review/")
    if review.status_code != 200:
        return False
    send = {"csrfmiddlewaretoken": CSRF.search(review.text).group(1), "send": "1"}
    sent = citizen.request("POST", "/en/feedback/new/review/", data=send)
    return sent.status_code == 200 and REFERENCE.search(sent.text) is not None


def python_client(base: str, clients: int, seconds: float, job) -> dict:
    """`clients` threads, each with its own connection pool, running job(session, number)
    in a loop for `seconds`: completed jobs per second, and failures."""
    import requests

    counter = iter(range(10**9))
    lock = threading.Lock()
    done, failed = [0], [0]
    deadline = time.monotonic() + seconds

    def loop():
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    number = next(counter)
                ok = job(session, number)
                with lock:
                    done[0] += ok
                    failed[0] += not ok

    started = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"per_s": done[0] / (time.monotonic() - started), "failed": failed[0]}


def submissions(base, service, seconds, clients, repeats) -> dict:
    """Rounds of floor, submissions, floor with the same Python client and concurrency."""
    offset = int(time.time()) % 100_000 * 100  # each run's citizens: new addresses and phones

    def floor(session, _number):
        return session.get(base + FLOOR, headers=BROWSER_HEADERS, timeout=60).status_code == 200

    def web(session, number):
        return submit(session, base, offset + number, service)

    result = {"figures": [], "per_s": [], "floor": [], "failed": 0}
    before = python_client(base, clients, seconds, floor)
    for round_number in range(repeats):
        sent = python_client(base, clients, seconds, web)
        after = python_client(base, clients, seconds, floor)
        floor_rps = (before["per_s"] + after["per_s"]) / 2
        # (floor's seconds per request x requests) / submission's seconds
        figure = (SUBMISSION_REQUESTS / floor_rps) / (1 / max(sent["per_s"], 1e-9))
        result["figures"].append(figure)
        result["per_s"].append(sent["per_s"])
        result["floor"].append(floor_rps)
        result["failed"] += sent["failed"] + before["failed"] + after["failed"]
        log(
            f"  round {round_number + 1}: submissions {sent['per_s']:.2f}/s, "
            f"floor {floor_rps:,.0f} req/s (Python client): {figure:.3f}"
        )
        before = after
    return result


# --- profiles of the pages that miss their goal -------------------------------------------


def profile(path: str, requests: int = 20, steps=None) -> str:
    """cProfile's top functions by cumulative time over `requests` GETs of `path` in this
    process (Django's test client, the same settings and middleware), leaving out the frames
    that wrap the whole request (the handler, each middleware), and the SQL of one request.
    `steps(client, number)` replaces the GET for a journey (the submission)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", headers=BROWSER_HEADERS)

    def once(number):
        if steps:
            steps(client, number)
        elif client.get(path).status_code != 200:
            raise SystemExit(f"{path} did not answer 200 in-process")

    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    once(0)  # warm: imports, templates, the cache
    with connection.execute_wrapper(record):
        once(1)
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(2, requests + 2):
        once(number)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)
    per = 1000 / requests
    rows = []
    for (filename, line, function), (
        _cc,
        _calls,
        tottime,
        cumtime,
        _callers,
    ) in stats.stats.items():
        where = re.sub(r".*/(site-packages|wt-[^/]+|main)/", "", filename)
        rows.append((cumtime, tottime, f"{where}:{line}({function})", where, function))
    parts = []
    for label, (suffix, function) in PARTS.items():
        found = [
            cum for cum, _own, _name, where, name in rows if where == suffix and name == function
        ]
        if found:
            parts.append(f"{label} {max(found) * per:.1f}")
    ours = sorted(
        (row for row in rows if row[3].split("/")[0] in OUR_PACKAGES and row[0] < 0.9 * total),
        reverse=True,
    )
    by_own = sorted(rows, key=lambda row: row[1], reverse=True)
    each = "submission" if steps else "request"
    lines = [
        f"profile of {path} in-process: {total * per:.1f} ms a {each} under cProfile "
        f"({requests} {each}s); of which, ms a {each}: {'; '.join(parts)}",
        f"  our functions by cumulative ms a {each} (own ms):",
        *(f"    {cum * per:7.1f} {own * per:7.1f}  {name}" for cum, own, name, _w, _f in ours[:10]),
        f"  every function by its own ms a {each} (cumulative ms):",
        *(
            f"    {own * per:7.1f} {cum * per:7.1f}  {name}"
            for cum, own, name, _w, _f in by_own[:10]
        ),
        f"  {len(queries)} SQL queries in one request:",
        *(f"    {sql[:150]}" for sql in queries),
    ]
    return "\n".join(lines)


def page_text(response) -> str:
    """The HTML of a test-client response, decompressed as a browser would (the profile asks
    for gzip and Brotli, so the compression is in what it measures)."""
    import gzip

    import brotli

    body = response.content
    encoding = response.get("Content-Encoding", "")
    if encoding == "br":
        body = brotli.decompress(body)
    elif encoding == "gzip":
        body = gzip.decompress(body)
    return body.decode()


def profile_submission(service: int, requests: int = 5) -> str:
    def steps(client, number):
        client.cookies.clear()
        address = f"10.200.{(number >> 8) & 255}.{number & 255}"
        form = client.get("/en/feedback/new/", HTTP_X_FORWARDED_FOR=address)
        data = {
            "csrfmiddlewaretoken": CSRF.search(page_text(form)).group(1),
            "kind": "complaint",
            "service": service,
            "subject": f"Page bench profile {number}",
            "description": "A profile of bench/pages.py: the meter reading is wrong.",
            "phone": f"0714{int(time.time() * 1000 + number) % 1_000_000:06d}",
            "notify_by": "sms",
            "consent_to_publish": "on",
        }
        client.post("/en/feedback/new/", data, HTTP_X_FORWARDED_FOR=address)
        review = client.get("/en/feedback/new/review/", HTTP_X_FORWARDED_FOR=address)
        send = {"csrfmiddlewaretoken": CSRF.search(page_text(review)).group(1), "send": "1"}
        client.post("/en/feedback/new/review/", send, HTTP_X_FORWARDED_FOR=address)

    return profile("a whole web submission", requests, steps=steps)


# --- the run ------------------------------------------------------------------------------


def row(what, figure, goal, detail):
    met = None if goal is None else figure >= goal
    return {
        "what": what,
        "figure": round(figure, 3),
        "unit": "x floor req/s",
        "goal": None if goal is None else f">= {goal}",
        "met": met,
        "detail": detail,
    }


def spread(values) -> str:
    return f"{min(values):,.3f}-{max(values):,.3f}" if len(values) > 1 else f"{values[0]:,.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the rows there (bench row contract)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of floor, page, ...")
    parser.add_argument("--connections", type=int, default=4, help="wrk's connections")
    parser.add_argument("--clients", type=int, default=4, help="Python client's threads")
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 round: a smoke test")
    parser.add_argument(
        "--database", default=os.environ.get("PAGES_DATABASE", DEFAULT_DATABASE_NAME)
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.repeats = 1, 1
    started = datetime.now(UTC)

    binary = ensure_command("wrk", "wrk")
    env = dict(os.environ, **PRODUCTION_ENV, **RAISED_LIMITS)
    env["DJANGO_SETTINGS_MODULE"] = "bench.pages_settings"
    env["DATABASE_URL"] = database_url(args.database)
    env.pop("ELASTICSEARCH_URL", None)  # outcomes searched in the database: no engine needed
    env.pop("PUBLIC_PAGE_CACHE_SECONDS", None)
    # Notifications are queued as tasks (part of a submission's cost) but no worker runs them:
    # production asks for a real mail server's address all the same.
    env["EMAIL_HOST"], env["EMAIL_PORT"] = "127.0.0.1", "8239"
    workdir = Path(tempfile.mkdtemp(prefix="pagebench-"))
    env["MEDIA_ROOT"] = str(workdir / "media")
    env["REPORTS_ROOT"] = str(workdir / "reports")
    processes = Processes(workdir)

    def terminated(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    os.environ.update(env)
    import django

    django.setup()
    created = ensure_database(env["DATABASE_URL"])
    log(f"database {args.database} ({'created' if created else 'kept'}); setting up")
    world = setup_world()
    urls = world["urls"]
    from django.db import connections

    connections.close_all()
    cacheable = {name: urls[name] for name in ("home page", "service page", "outcome page")}
    private = {name: urls[name] for name in ("feedback form", "tracking form")}
    timing = (args.duration, args.connections, args.repeats)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        log("uncached: PUBLIC_PAGE_CACHE_SECONDS=0")
        gunicorn(processes, {**env, "PUBLIC_PAGE_CACHE_SECONDS": "0"}, port, WORKERS, "uncached")
        check_answers(base, {"floor": FLOOR, **urls})
        uncached = interleaved(binary, base, {**cacheable, **private}, *timing)
        processes.stop()
        log("cached: the environment as production has it (the page cache on, where it exists)")
        gunicorn(processes, env, port, WORKERS, "cached")
        check_answers(base, {"floor": FLOOR, **urls})  # also warms the cache
        cached = interleaved(binary, base, {**cacheable, **private}, *timing)
        processes.stop()
        log("cached in Redis: PAGE_CACHE_URL=redis://, a Redis of the run's own")
        in_redis_env = {**env, "PAGE_CACHE_URL": redis_server(processes, free_port())}
        gunicorn(processes, in_redis_env, port, WORKERS, "redis")
        check_answers(base, {"floor": FLOOR, **urls})
        in_redis = interleaved(binary, base, {**cacheable, **private}, *timing)
        log(f"a whole web submission: {args.clients} Python clients")
        submitted = submissions(
            base, world["service"], args.duration * 2, args.clients, args.repeats
        )
    finally:
        processes.stop()

    goals = {**dict.fromkeys(cacheable, 0.6), "feedback form": 0.1}
    rows = []
    for name in [*cacheable, *private]:
        for what, entry, goal in (
            (f"{name}, cached", cached[name], goals.get(name)),
            (f"{name}, cached in Redis", in_redis[name], goals.get(name)),
            (f"{name}, uncached", uncached[name], None),
        ):
            rows.append(
                row(
                    what,
                    statistics.median(entry["ratios"]),
                    goal,
                    f"{statistics.median(entry['rps']):,.1f} req/s vs floor "
                    f"{statistics.median(entry['floor']):,.0f} req/s; "
                    f"rounds {spread(entry['ratios'])}",
                )
            )
    rows.append(
        {
            **row(
                "whole web submission (form, post, review, send)",
                statistics.median(submitted["figures"]),
                0.4,
                f"{statistics.median(submitted['per_s']):,.2f} submissions/s vs floor "
                f"{statistics.median(submitted['floor']):,.0f} req/s, {args.clients} Python "
                f"clients both; rounds {spread(submitted['figures'])}",
            ),
            "unit": "x (floor s/request x 4) / submission s",
        }
    )
    bad = sum(entry["bad"] for run in (cached, in_redis, uncached) for entry in run.values())
    notes = [
        f"gunicorn {WORKERS} sync workers, production settings (bench/pages_settings.py), "
        f"PostgreSQL; wrk -t1 -c{args.connections} for {args.duration:.0f} s per URL, "
        f"{args.repeats} round(s) of floor, page, floor...; median of the rounds; "
        f"{os.cpu_count()} cores shared by the server and the client",
    ]
    if bad or submitted["failed"]:
        notes.append(
            f"answers that were not 2xx/3xx: {bad}; failed submissions: {submitted['failed']}"
        )

    log("profiling what misses its goal")
    connections.close_all()
    for entry in rows:
        if entry["met"] is False:
            name = entry["what"].split(",")[0]
            why = WHAT_WOULD_REACH[name.split(" (")[0]]
            notes.append(f"{entry['what']}: goal {entry['goal']} missed: {why}")
            if name in urls:
                notes.append(profile(urls[name], 3 if args.quick else 20))
            else:
                notes.append(profile_submission(world["service"], 2 if args.quick else 5))

    result = {
        "benchmark": "pages",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.uname().nodename}, {os.cpu_count()} cores, {os.uname().release}",
        "sizes": {**world["sizes"], "gunicorn workers": WORKERS, "urls": urls},
        "rows": rows,
        "notes": notes,
    }
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written to {args.json}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def table(result: dict) -> str:
    lines = [f"pages: {result['notes'][0]}", ""]
    lines.append(f"  {'what':<50} {'figure':>8}  {'goal':<7} {'met':<5} detail")
    for entry in result["rows"]:
        met = {True: "yes", False: "NO", None: ""}[entry["met"]]
        lines.append(
            f"  {entry['what']:<50} {entry['figure']:8.3f}  {entry['goal'] or '':<7} {met:<5} "
            f"{entry['detail']}"
        )
    for note in result["notes"][1:]:
        lines.extend(["", note])
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
