"""What outcome search costs over the engine under it: indexing and the search page, as ratios.

Run:  .venv/bin/python bench/search.py [--es-size 1000000] [--db-size 100000]
      make bench BENCH_ARGS="--size 10000"   (no BENCH_ARGS: the issue's sizes)

Needs PostgreSQL (DATABASE_URL names the server, default the local mrejesho role; the
outcomes are kept between runs in mrejesho_searchbench for Elasticsearch and
mrejesho_searchbench_pg for the database engine, SEARCH_DATABASE changes the stem; at other
sizes than the issue's, <stem>_<size>, so a --quick run leaves the full run's data alone) and an
Elasticsearch for the 1M load (BENCH_ELASTICSEARCH_URL, default http://127.0.0.1:9252: `make
bench` starts its own; by hand `ES_PORT=9252 ES_HEAP=2g scripts/elasticsearch start`, not the
shared development one). The public page cache is off (PUBLIC_PAGE_CACHE_SECONDS=0): the page
is measured, not the cache. `--json PATH` writes the rows of the bench row contract
(bench/contract.py) for bench/run.py. In ONE run it measures:

1. Database engine at --db-size published outcomes: the index rebuild (rate only: it has no
   separate floor), then the search page against the raw SQL the engine sends.
2. Elasticsearch at --es-size published outcomes:
   - indexing: our path, `engine.rebuild(documents)` with the documents built from the
     database rows, against Elasticsearch's own `_bulk` rate for the very same documents
     (scrolled back out of the index we built, sent as raw NDJSON to a bare index with the
     same mapping and analysis, refresh off while loading, as any bulk load would do);
   - the search page against the same query bodies sent straight to Elasticsearch.

How the page is compared with its floor: gunicorn on 127.0.0.1 with 2 sync workers and the
production settings (DEBUG off, cached templates, persistent database connections), and
several representative searches (text, text + facets, facets only, Swahili, browse). Before
the load, each URL is requested once in-process with the engine's `search` wrapped, which
records exactly what the engine sent while serving that page (the Elasticsearch requests,
or the SQL statements on the database engine). The floor replays just those requests: to
Elasticsearch over HTTP, or the SQL over one psycopg connection per client thread. Page and
floor are driven by the same threads of this process at the same concurrency, in
alternating rounds, so the ratio holds on a shared, noisy machine where absolute figures do
not. Goal (issue 14): page p50 at most 1.5 times the raw engine's; printed, never asserted.

/healthz through the same gunicorn is printed too: the framework's floor (routing,
middleware, one database round trip), to tell what the page adds over any Django request.

The data: bench/searchdata.py writes real Case, Contact and PublicOutcome rows with
PostgreSQL COPY (not the workflow, which would take an hour a million); see its docstring.
The table is printed and written as JSON to bench/results/search-<date>.json.
"""

import argparse
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, Python puts bench/ first on the path, where this file would shadow the
# project's own `search` package: the project root goes there instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))

# The databases that keep the generated outcomes between runs, one per engine so that neither
# run trims the other's rows (DATABASE_URL names the server; SEARCH_DATABASE the stem).
DATABASE_STEM = os.environ.get("SEARCH_DATABASE", "mrejesho_searchbench")
DATABASES = {"database": DATABASE_STEM + "_pg", "elasticsearch": DATABASE_STEM}
DEFAULT_SIZES = {"database": 100_000, "elasticsearch": 1_000_000}  # the issue's
DEFAULT_ELASTICSEARCH = "http://127.0.0.1:9252"
INDEX_PREFIX = "searchbench"
GOAL = 1.5  # page p50 at most this many times the raw engine's
RAW_BULK_DOCS = 500  # documents per raw _bulk request: the engine's own chunk (BULK_CHUNK)

# Production settings for gunicorn and the in-process capture; secrets made up for the run.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "bench-" + "k3y" * 20,
    "AUDIT_CHAIN_KEY": "bench-audit-" + "c4a1n" * 8,
    # Contact details are encrypted at rest: production refuses to start without its own keys
    # (made up for the benchmark's generated contacts, which are never real).
    "CONTACT_ENCRYPTION_KEYS": "khl6JfBzmg9GgpEpFCLET3x7nr9PgA1ZGMBxpp2XwW0=",
    "CONTACT_DIGEST_KEY": "searchbench-digest-" + "d1g" * 12,
    "ALLOW_CONSOLE_MESSAGES": "1",  # nothing is sent: the benchmark only searches
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1, no proxy in front
    "DATABASE_CONN_MAX_AGE": "60",  # persistent connections, as production runs
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    # The public page cache off: identical searches repeated would be cache hits, and the
    # ratio against the engine would measure the cache, not the page.
    "PUBLIC_PAGE_CACHE_SECONDS": "0",
}


# --- the representative searches ----------------------------------------------------------


def searches() -> list[tuple[str, str]]:
    """(name, URL) of the searches timed; ids from the demo tree, words from searchdata."""
    from feedback.models import Institution

    def pk(code):
        return Institution.objects.get(short_code=code).pk

    def url(language, **params):
        return f"/{language}/search/" + (f"?{urlencode(params)}" if params else "")

    water, dar = pk("11"), pk("181")  # Ministry of Water; Dar es Salaam Region
    return [
        ("text", url("en", q="water bill")),
        ("text+facets", url("en", q="payment delay", kind="complaint", institution=water)),
        ("facets only", url("en", kind="complaint", region=dar, deadline_met="false")),
        ("swahili", url("sw", q="maji bili")),
        ("browse, page 3", url("en", page=3)),
    ]


# --- timing helpers -----------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def drive(call, count: int, concurrency: int) -> list[float]:
    """Run `call(worker_state)` `count` times over `concurrency` threads; seconds of each."""
    local = threading.local()
    timings: list[float] = []
    lock = threading.Lock()

    def one(_):
        start = time.perf_counter()
        call(local)
        elapsed = time.perf_counter() - start
        with lock:
            timings.append(elapsed)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return timings


def compare(page, floor, *, count, concurrency, budget, rounds=4) -> dict:
    """Page and floor in alternating rounds after a warm-up; p50 and p95 of each, in ms.

    At most `count` timed requests of each, fewer when the warm-up shows they would take
    longer than `budget` seconds in all (a slow engine at 100,000 outcomes), never under 40."""
    warm = max(4, count // 10)
    started = time.perf_counter()
    drive(page, warm, concurrency)
    drive(floor, warm, concurrency)
    per_pair = (time.perf_counter() - started) / warm  # seconds for one page + one floor
    count = max(40, min(count, int(budget / per_pair)))
    page_times, floor_times = [], []
    for _ in range(rounds):
        page_times += drive(page, count // rounds, concurrency)
        floor_times += drive(floor, count // rounds, concurrency)
    figures = {
        "page_p50_ms": statistics.median(page_times) * 1000,
        "page_p95_ms": percentile(page_times, 0.95) * 1000,
        "raw_p50_ms": statistics.median(floor_times) * 1000,
        "raw_p95_ms": percentile(floor_times, 0.95) * 1000,
        "requests": len(page_times),
    }
    figures["p50_ratio"] = figures["page_p50_ms"] / figures["raw_p50_ms"]
    figures["p95_ratio"] = figures["page_p95_ms"] / figures["raw_p95_ms"]
    figures["goal_met"] = figures["p50_ratio"] <= GOAL
    return figures


# --- gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn on 127.0.0.1 with 2 sync workers, the production settings, this environment."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.env = env
        self.process = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # nosec B603  # our own gunicorn, fixed arguments, no shell
            [
                *(str(gunicorn), "config.wsgi", "--workers", "2"),
                *("--bind", f"127.0.0.1:{self.port}", "--no-control-socket"),
                *("--log-level", "warning"),
            ],
            cwd=ROOT,
            env=self.env,
        )
        import urllib3

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = urllib3.request("GET", f"{self.base}/healthz", timeout=5, retries=False)
                if answer.status == 200:
                    return self
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- what the engine sends ----------------------------------------------------------------


class EngineRecorder:
    """Records the Elasticsearch requests and the SQL sent while the engine's `search` runs."""

    def __init__(self, engine):
        self.engine_class = type(engine)
        self.inside = False
        self.requests: list[tuple[str, str, bytes | None]] = []
        self.sql: list[str] = []

    def __enter__(self):
        from django.db import connection
        from elastic_transport import Transport

        recorder = self
        original_search = self.engine_class.search
        original_perform = Transport.perform_request
        self._restore = [
            (self.engine_class, "search", original_search),
            (Transport, "perform_request", original_perform),
        ]

        def search(engine, *args, **kwargs):
            recorder.inside = True
            try:
                return original_search(engine, *args, **kwargs)
            finally:
                recorder.inside = False

        def perform_request(transport, method, target, *, body=None, **kwargs):
            if recorder.inside:
                payload = body
                if payload is not None and not isinstance(payload, bytes | str):
                    payload = json.dumps(payload, default=str)
                if isinstance(payload, str):
                    payload = payload.encode()
                recorder.requests.append((method, target, payload))
            return original_perform(transport, method, target, body=body, **kwargs)

        def execute(run, sql, params, many, context):
            result = run(sql, params, many, context)
            if recorder.inside and not many:
                # The statement as PostgreSQL received it, parameters bound (Django's own
                # rendering for connection.queries).
                cursor = context["cursor"].cursor
                recorder.sql.append(connection.ops.last_executed_query(cursor, sql, params))
            return result

        self.engine_class.search = search
        Transport.perform_request = perform_request
        self._wrapper = connection.execute_wrapper(execute)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        for owner, name, original in self._restore:
            setattr(owner, name, original)


def capture(url: str) -> EngineRecorder:
    """Serve `url` once in-process and return what the engine sent for it."""
    from django.test import Client

    from search.engines import get_engine

    with EngineRecorder(get_engine()) as recorder:
        answer = Client(HTTP_HOST="127.0.0.1").get(url)
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered {answer.status_code}")
    if not (recorder.requests or recorder.sql):
        raise SystemExit(f"{url}: the engine's search was not called (or sent nothing)")
    return recorder


# --- where a page's time goes ------------------------------------------------------------

# (label, module, attribute path): what is timed inside one page, inclusive of what it calls.
PARTS = [
    ("engine", None, ("search",)),  # the class of get_engine()
    ("ORM check", "search.views", ("still_public",)),
    ("guidance", "search.views", ("_guidance_pages",)),
    ("labels", "search.facets", ("Labels", "__init__")),
    ("render", "django.template.response", ("SimpleTemplateResponse", "render")),
]


def breakdown(url: str, repeats: int = 15) -> dict:
    """Serve `url` in-process `repeats` times with the parts of the page wrapped in timers;
    median ms of each part and of the whole request. Parts are inclusive (labels looked up
    while the template renders count in both)."""
    import importlib

    from django.test import Client

    from search.engines import get_engine

    spent: dict[str, float] = {}
    restore = []
    for label, module, path in PARTS:
        owner = type(get_engine()) if module is None else importlib.import_module(module)
        for name in path[:-1]:
            owner = getattr(owner, name, None)
        original = getattr(owner, path[-1], None) if owner is not None else None
        if original is None:
            continue

        def timed(*args, _original=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - start

        setattr(owner, path[-1], timed)
        restore.append((owner, path[-1], original))
    client = Client(HTTP_HOST="127.0.0.1")
    samples: dict[str, list[float]] = {}
    try:
        for attempt in range(repeats + 3):
            spent.clear()
            start = time.perf_counter()
            client.get(url)
            spent["whole page"] = time.perf_counter() - start
            if attempt >= 3:  # the first few warm the caches
                for label, seconds in spent.items():
                    samples.setdefault(label, []).append(seconds)
    finally:
        for owner, name, original in restore:
            setattr(owner, name, original)
    return {label: statistics.median(values) * 1000 for label, values in samples.items()}


def profile(args) -> None:
    """cProfile over in-process requests of every search, on the index as it is: the
    functions that take the page's time, for whoever makes the page faster."""
    import cProfile
    import io
    import pstats

    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    profiler = cProfile.Profile()
    for _name, url in searches():
        for _ in range(3):
            client.get(url)  # warm
        profiler.enable()
        for _ in range(10):
            client.get(url)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())


# --- indexing -----------------------------------------------------------------------------


def documents():
    """The documents of every published outcome, built from the database rows by our code."""
    from search.documents import public_documents

    return public_documents()


def build_rate(sample: int = 20_000) -> dict:
    """How fast our code builds documents from the rows alone (the first `sample`), to tell
    building from sending in the rebuild's time."""
    start = time.perf_counter()
    built = sum(1 for _ in itertools.islice(documents(), sample))
    seconds = time.perf_counter() - start
    return {"documents": built, "seconds": seconds, "docs_per_s": built / seconds}


def timed_rebuild(engine, count: int) -> dict:
    done = [0]

    def progress(n, *_):
        done[0] = n

    start = time.perf_counter()
    indexed = engine.rebuild(documents(), progress=progress)
    seconds = time.perf_counter() - start
    return {"documents": indexed, "seconds": seconds, "docs_per_s": indexed / seconds}


def raw_bulk(es_url: str, live_alias: str, workdir: Path) -> dict:
    """Elasticsearch's own _bulk rate for the documents in `live_alias`, into a bare index
    with the same mapping and analysis; the documents are read back untimed first."""
    import urllib3

    http = urllib3.PoolManager(maxsize=4)

    def call(method, path, body=None, content_type="application/json"):
        answer = http.request(
            method, es_url + path, body=body, headers={"Content-Type": content_type}, timeout=600
        )
        if answer.status >= 300:
            raise SystemExit(f"{method} {path}: {answer.status} {answer.data[:500]!r}")
        return json.loads(answer.data) if answer.data else {}

    live = call("GET", f"/{live_alias}")
    live_name, live_index = next(iter(live.items()))
    analysis = live_index["settings"]["index"].get("analysis", {})
    raw_index = f"{INDEX_PREFIX}-rawbulk"
    http.request("DELETE", f"{es_url}/{raw_index}")
    settings = {
        "index": {
            "number_of_shards": live_index["settings"]["index"]["number_of_shards"],
            "number_of_replicas": 0,
            "refresh_interval": "-1",
            "analysis": analysis,
        }
    }
    body = {"settings": settings, "mappings": live_index["mappings"]}
    call("PUT", f"/{raw_index}", json.dumps(body))

    # Untimed: the same documents, as NDJSON chunks in a file.
    chunks: list[tuple[int, int]] = []  # (offset, length) in the file
    ndjson = workdir / "documents.ndjson"
    scroll = call("POST", f"/{live_alias}/_search?scroll=5m", json.dumps({"size": 5000}))
    with ndjson.open("wb") as out:
        buffer, in_buffer = [], 0
        while scroll["hits"]["hits"]:
            for hit in scroll["hits"]["hits"]:
                buffer.append(json.dumps({"index": {"_id": hit["_id"]}}).encode())
                buffer.append(json.dumps(hit["_source"], ensure_ascii=False).encode())
                in_buffer += 1
                if in_buffer == RAW_BULK_DOCS:
                    data = b"\n".join(buffer) + b"\n"
                    chunks.append((out.tell(), len(data)))
                    out.write(data)
                    buffer, in_buffer = [], 0
            scroll = call(
                "POST",
                "/_search/scroll",
                json.dumps({"scroll": "5m", "scroll_id": scroll["_scroll_id"]}),
            )
        if buffer:
            data = b"\n".join(buffer) + b"\n"
            chunks.append((out.tell(), len(data)))
            out.write(data)
    call("DELETE", "/_search/scroll", json.dumps({"scroll_id": scroll["_scroll_id"]}))
    count = call("GET", f"/{live_alias}/_count")["count"]

    # Timed: one connection sending the chunks in order, then the refresh that makes them
    # searchable (our rebuild ends searchable too).
    with ndjson.open("rb") as source:
        start = time.perf_counter()
        for offset, length in chunks:
            source.seek(offset)
            result = call(
                "POST", f"/{raw_index}/_bulk", source.read(length), "application/x-ndjson"
            )
            if result.get("errors"):
                raise SystemExit(f"raw _bulk reported errors: {str(result)[:500]}")
        call("PUT", f"/{raw_index}/_settings", json.dumps({"index": {"refresh_interval": "1s"}}))
        call("POST", f"/{raw_index}/_refresh")
        seconds = time.perf_counter() - start
    loaded = call("GET", f"/{raw_index}/_count")["count"]
    size = ndjson.stat().st_size
    ndjson.unlink()
    call("DELETE", f"/{raw_index}")
    if loaded != count:
        raise SystemExit(f"raw _bulk loaded {loaded} documents of {count}")
    return {
        "documents": loaded,
        "seconds": seconds,
        "docs_per_s": loaded / seconds,
        "ndjson_bytes": size,
        "live_index": live_name,
    }


# --- one phase: one engine, in a child process with its own settings ----------------------


def indexing(engine_name: str, engine, size: int, args) -> dict:
    """Our rebuild, and on Elasticsearch the raw _bulk of the same documents."""
    from django.conf import settings

    result = {}
    log(f"{engine_name}: rebuilding the index with {type(engine).__name__}.rebuild")
    result["rebuild"] = timed_rebuild(engine, size)
    log(f"  rebuild: {result['rebuild']['docs_per_s']:,.0f} documents/s")
    result["build_only"] = build_rate()
    log(f"  building documents alone: {result['build_only']['docs_per_s']:,.0f} documents/s")
    if engine_name == "elasticsearch":
        alias = args.es_alias or f"{settings.ELASTICSEARCH_INDEX_PREFIX}-outcomes"
        with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
            log("elasticsearch: raw _bulk of the same documents into a bare index")
            result["raw_bulk"] = raw_bulk(settings.ELASTICSEARCH_URL, alias, Path(workdir))
        result["bulk_time_ratio"] = result["rebuild"]["seconds"] / result["raw_bulk"]["seconds"]
        log(f"  raw _bulk: {result['raw_bulk']['docs_per_s']:,.0f} documents/s")

    return result


def phase(engine_name: str, size: int, args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from bench import searchdata
    from search.engines import get_engine

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    from feedback import demo
    from pages.demo import seed_pages

    demo.seed_institutions()
    demo.seed_services()
    demo.seed_users()
    seed_pages()
    start = time.perf_counter()
    searchdata.trim_to(size, progress=log)
    added = searchdata.ensure_published(size, progress=log)
    log(f"{engine_name}: {searchdata.published_count():,} published outcomes")
    result = {
        "engine": engine_name,
        "outcomes": searchdata.published_count(),
        "generated": added,
        "generate_seconds": time.perf_counter() - start,
    }
    engine = get_engine()
    if not args.searches_only:
        result.update(indexing(engine_name, engine, size, args))
    result["searches"] = page_against_engine(engine_name, args)
    return result


def page_against_engine(engine_name: str, args) -> dict:
    import urllib3
    from django.conf import settings
    from django.db import connection

    http = urllib3.PoolManager(maxsize=args.concurrency * 2)
    figures = {}
    with Gunicorn(dict(os.environ)) as server:
        for name, url in [*searches(), ("framework floor: /healthz", None)]:
            if url is None:
                page_url = server.base + "/healthz"
                recorded = None
            else:
                page_url = server.base + url
                recorded = capture(url)

            def page(_local, page_url=page_url):
                answer = http.request("GET", page_url, timeout=60, retries=False)
                if answer.status != 200:
                    raise RuntimeError(f"{page_url}: {answer.status}")

            if recorded is None:
                times = drive(page, args.requests, args.concurrency)
                figures[name] = {
                    "url": "/healthz",
                    "page_p50_ms": statistics.median(times) * 1000,
                    "page_p95_ms": percentile(times, 0.95) * 1000,
                    "requests": len(times),
                }
                continue
            if engine_name == "elasticsearch":
                sent = recorded.requests
                base = settings.ELASTICSEARCH_URL.rstrip("/")

                def floor(_local, sent=sent, base=base):
                    for method, target, body in sent:
                        answer = http.request(
                            method,
                            base + target,
                            body=body,
                            headers={"Content-Type": "application/json"},
                            timeout=60,
                            retries=False,
                        )
                        if answer.status != 200:
                            raise RuntimeError(f"{target}: {answer.status}")

                what = f"{len(sent)} Elasticsearch request(s)"
            else:
                sent = [sql for sql in recorded.sql if sql]
                dsn = connection.get_connection_params()

                def floor(local, sent=sent, dsn=dsn):
                    import psycopg

                    if not hasattr(local, "db"):
                        local.db = psycopg.connect(**dsn, autocommit=True)
                    with local.db.cursor() as cursor:
                        for sql in sent:
                            cursor.execute(sql)
                            if cursor.description:
                                cursor.fetchall()

                what = f"{len(sent)} SQL statement(s)"
            log(f"{engine_name}: {name}: {url} (floor: {what})")
            figures[name] = compare(
                page, floor, count=args.requests, concurrency=args.concurrency, budget=args.budget
            )
            figures[name]["url"] = url
            figures[name]["floor"] = what
            figures[name]["parts_ms"] = breakdown(url)
    return figures


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the parent: runs both phases, prints one table ---------------------------------------


def run_child(engine_name: str, size: int, args) -> dict:
    from bench.contract import database_url, ensure_database, sized_database

    env = dict(os.environ, **PRODUCTION_ENV)
    name = sized_database(DATABASES[engine_name], size, DEFAULT_SIZES[engine_name])
    env["DATABASE_URL"] = database_url(name)
    if ensure_database(env["DATABASE_URL"]):
        log(f"{engine_name}: created the database {name}")
    env["ELASTICSEARCH_INDEX_PREFIX"] = INDEX_PREFIX
    env["TASKS_BACKEND"] = "immediate"
    if engine_name == "elasticsearch":
        env["ELASTICSEARCH_URL"] = args.es_url
    else:
        env.pop("ELASTICSEARCH_URL", None)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, __file__, "--phase", engine_name, "--size", str(size)]
        command += ["--requests", str(args.requests), "--concurrency", str(args.concurrency)]
        command += ["--budget", str(args.budget)]
        command += ["--phase-output", out.name, "--workdir", args.workdir]
        if args.es_alias:
            command += ["--es-alias", args.es_alias]
        if args.searches_only:
            command.append("--searches-only")
        subprocess.run(command, env=env, check=True, cwd=ROOT)  # nosec B603  # this script itself, fixed arguments, no shell
        return json.loads(Path(out.name).read_text())


def table(results: dict) -> str:
    lines = []
    for engine_name, result in results.items():
        if engine_name.startswith("_"):
            continue
        lines.append(f"{engine_name} engine, {result['outcomes']:,} published outcomes")
        rebuild = result.get("rebuild")
        if rebuild:
            lines.append(
                f"  rebuild (our path):  {rebuild['documents']:>9,} docs in"
                f" {rebuild['seconds']:7.1f} s = {rebuild['docs_per_s']:8,.0f} docs/s"
            )
        if "build_only" in result:
            built = result["build_only"]
            lines.append(
                f"  of which building:   {built['docs_per_s']:8,.0f} docs/s building documents"
                f" from the rows alone (first {built['documents']:,}, not sent anywhere)"
            )
        if "raw_bulk" in result:
            raw = result["raw_bulk"]
            lines.append(
                f"  raw _bulk (floor):   {raw['documents']:>9,} docs in {raw['seconds']:7.1f} s"
                f" = {raw['docs_per_s']:8,.0f} docs/s"
            )
            lines.append(
                f"  indexing ratio:      our path takes {result['bulk_time_ratio']:.2f}x the raw"
                f" _bulk time ({rebuild['docs_per_s'] / raw['docs_per_s']:.0%} of its rate)"
            )
        lines.append(
            f"  {'search':<26} {'page p50':>9} {'p95':>8} {'raw p50':>8} {'p95':>8}"
            f" {'p50 x':>6} {'p95 x':>6}  goal p50 <= {GOAL}x"
        )
        for name, row in result["searches"].items():
            if "raw_p50_ms" not in row:
                lines.append(
                    f"  {name:<26} {row['page_p50_ms']:8.1f}ms {row['page_p95_ms']:6.1f}ms"
                )
                continue
            lines.append(
                f"  {name:<26} {row['page_p50_ms']:8.1f}ms {row['page_p95_ms']:6.1f}ms"
                f" {row['raw_p50_ms']:6.1f}ms {row['raw_p95_ms']:6.1f}ms"
                f" {row['p50_ratio']:5.2f}x {row['p95_ratio']:5.2f}x"
                f"  {'met' if row['goal_met'] else 'NOT met'}"
            )
        parts = [label for label, _module, _path in PARTS]
        lines.append(
            "  where a page's time goes (in-process, median ms, parts inclusive): "
            + ", ".join(["whole page", *parts])
        )
        for name, row in result["searches"].items():
            if "parts_ms" in row:
                values = [row["parts_ms"].get(p) for p in ["whole page", *parts]]
                shown = " ".join("    n/a" if v is None else f"{v:7.1f}" for v in values)
                lines.append(f"  {name:<26} {shown}")
        lines.append("")
    return "\n".join(lines)


def rows(results: dict) -> tuple[list[dict], list[str]]:
    """The bench row contract's rows and notes from the results of a run."""
    from bench.contract import row

    found, notes = [], []
    parts = ["whole page", *(label for label, _module, _path in PARTS)]
    for engine_name, result in results.items():
        if engine_name.startswith("_"):
            continue
        size = f"{result['outcomes']:,} outcomes"
        if "raw_bulk" in result:
            ours, raw = result["rebuild"], result["raw_bulk"]
            found.append(
                row(
                    f"{engine_name}: bulk indexing rate, {size}",
                    ours["docs_per_s"] / raw["docs_per_s"],
                    "x _bulk docs/s",
                    detail=f"rebuild {ours['docs_per_s']:,.0f} docs/s vs raw _bulk "
                    f"{raw['docs_per_s']:,.0f} docs/s (building documents alone "
                    f"{result['build_only']['docs_per_s']:,.0f} docs/s)",
                )
            )
        elif "rebuild" in result:
            notes.append(
                f"search, {engine_name} engine: rebuild {result['rebuild']['docs_per_s']:,.0f} "
                f"docs/s at {size} (no separate floor for the database engine's index)"
            )
        floor = result["searches"].get("framework floor: /healthz")
        for name, figures in result["searches"].items():
            if "raw_p50_ms" not in figures:
                continue
            met = figures["p50_ratio"] <= GOAL
            found.append(
                row(
                    f"{engine_name}: search page p50, {name}, {size}",
                    figures["p50_ratio"],
                    "x engine p50",
                    f"<= {GOAL}",
                    met,
                    f"page {figures['page_p50_ms']:.0f} ms vs {figures['floor']} "
                    f"{figures['raw_p50_ms']:.0f} ms (p95 {figures['p95_ratio']:.2f}x)",
                )
            )
            if not met:
                spent = figures.get("parts_ms", {})
                notes.append(
                    f"search, {engine_name}, {name}: page p50 {figures['p50_ratio']:.2f}x the "
                    "engine's. Where the page's time goes (in-process median ms, parts "
                    "inclusive): "
                    + ", ".join(f"{p} {spent[p]:.1f}" for p in parts if p in spent)
                    + (f"; /healthz alone {floor['page_p50_ms']:.1f} ms" if floor else "")
                    + ". What is not the engine is ours to cut: `bench/search.py --profile` "
                    "names the functions."
                )
    notes.append(
        "search: measured with the public page cache off (PUBLIC_PAGE_CACHE_SECONDS=0); "
        "repeated identical searches would otherwise be cache hits and flatter the ratio."
    )
    return found, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the bench row contract's rows to this file")
    parser.add_argument("--size", type=int, help="both engines at this size (e.g. 10000)")
    parser.add_argument("--es-size", type=int, default=DEFAULT_SIZES["elasticsearch"])
    parser.add_argument("--db-size", type=int, default=DEFAULT_SIZES["database"])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 outcomes, 60 requests, 20 s per search"
    )
    parser.add_argument("--engines", default="database,elasticsearch")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per search")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--budget", type=float, default=90, help="seconds of timed load per search, about"
    )
    parser.add_argument("--es-url", default=os.environ.get("BENCH_ELASTICSEARCH_URL"))
    parser.add_argument("--es-alias", help="the live alias (default: <prefix>-outcomes)")
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help="for the NDJSON file")
    parser.add_argument(
        "--searches-only", action="store_true", help="time the searches on the index as it is"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the searches in-process on the index as it is (set the environment)",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--phase-output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.es_url = args.es_url or DEFAULT_ELASTICSEARCH
    if args.quick:
        args.size, args.requests, args.budget = args.size or 10_000, 60, 20

    if args.profile:
        profile(args)
        return
    if args.phase:
        result = phase(args.phase, args.size, args)
        Path(args.phase_output).write_text(json.dumps(result, indent=2, default=str))
        return

    sizes = {"database": args.size or args.db_size, "elasticsearch": args.size or args.es_size}
    results = {
        "_run": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "concurrency": args.concurrency,
            "requests_per_search": args.requests,
            "gunicorn": "2 sync workers, config.settings.production, 127.0.0.1",
            "cores": os.cpu_count(),
            "goal": f"page p50 <= {GOAL}x raw engine p50",
        }
    }
    # The database engine first: the generator only adds rows, so the smaller size goes first.
    for engine_name in sorted(args.engines.split(","), key=lambda name: sizes[name]):
        results[engine_name] = run_child(engine_name, sizes[engine_name], args)
    results["_run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = table(results)
    print(text)
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = out_dir / f"search-{stamp}.json"
    results["_run"]["table"] = text.splitlines()
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"written to {out.relative_to(ROOT)}")
    if args.json:
        from bench.contract import write

        found, notes = rows(results)
        write(args.json, "search", results["_run"]["started"], sizes, found, notes)


if __name__ == "__main__":
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        raise SystemExit("gunicorn is not installed in this environment")
    main()
