"""Front end: Lighthouse's four scores, axe-core's violations and the weight of the public pages.

Run:  .venv/bin/python bench/frontend.py [--json PATH] [--runs 3] [--screenshots DIR]

Twelve pages: home, a service page, the feedback form, the tracking form, the outcome search
with a query and its results, and an outcome page, each in English (/en/) and Swahili (/sw/),
served by gunicorn (production settings, 2 workers, 127.0.0.1) from a PostgreSQL database of
its own (FRONTEND_DATABASE, default mrejesho_frontendbench: created, migrated and seeded with
`seed_demo` once, then KEPT) and production's static storage (hashed and compressed:
`collectstatic` runs only when bench/load.py's staleness check says so). Search uses the
database engine (no Elasticsearch needed: both engines render the same page).

For each page:
- Lighthouse 12 (npm), mobile defaults, with Debian's Chromium headless: performance,
  accessibility, best practices, SEO; goal 100 each; the median of --runs runs (3), as
  Lighthouse advises: on 2 busy cores one run's performance score swings by 10 points.
  Installed on first use OUTSIDE the clone, in $HOME/.cache/mrejesho-bench/node, so CI's
  `npm install --no-save axe-core@4` in the clone is left alone. Its JSON reports (about
  0.5 MB each) go to a temporary folder, removed at the end unless --keep-reports names one.
- weight: every response the page loads in Chromium (HTML, CSS, favicon...), as transferred
  (compressed body plus headers; the browser sends Accept-Encoding: gzip, deflate, br);
  goal under 100 KB.
- axe-core (node_modules/axe-core, as the tests find it): violations, goal 0; the rules that
  answered "needs review" are listed in the detail.
Timings are not measured: Lighthouse's performance score is its own.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))

from bench.load import static_is_stale  # noqa: E402
from bench.server import (  # noqa: E402
    PRODUCTION_ENV,
    Processes,
    ensure_database,
    log,
    wait_for_http,
)

DEFAULT_DATABASE_NAME = "mrejesho_frontendbench"
DEFAULT_PORT = 8221
CHROMIUM = Path("/usr/bin/chromium")
NODE_PREFIX = Path.home() / ".cache/mrejesho-bench/node"
LIGHTHOUSE = NODE_PREFIX / "node_modules/.bin/lighthouse"
LIGHTHOUSE_PACKAGE = "lighthouse@12"
AXE_CANDIDATES = [
    ROOT / "node_modules/axe-core/axe.min.js",
    Path("/tmp/axe/node_modules/axe-core/axe.min.js"),  # nosec B108  # only read, never written
]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
WEIGHT_GOAL_KB = 100
LANGUAGES = ("en", "sw")
SEARCH_QUERY = "maji"  # a word of the demo outcomes in both languages' pages


def chromium_path() -> Path:
    if not CHROMIUM.exists():
        raise SystemExit("Debian's Chromium is missing: apt-get install -y chromium")
    return CHROMIUM


def ensure_lighthouse() -> Path:
    """Lighthouse from the npm registry, in a folder of the user's cache (never the clone)."""
    if not LIGHTHOUSE.exists():
        if not shutil.which("npm"):
            raise SystemExit("npm is missing: apt-get install -y npm")
        log(f"installing {LIGHTHOUSE_PACKAGE} into {NODE_PREFIX}")
        NODE_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # nosec B603 B607  # npm, fixed arguments
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_PREFIX),
                "--",
                LIGHTHOUSE_PACKAGE,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return LIGHTHOUSE


def axe_source() -> str:
    found = next((path for path in AXE_CANDIDATES if path.exists()), None)
    if found is None:
        raise SystemExit("axe-core is missing: npm install --no-save axe-core@4")
    return found.read_text()


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://mrejesho:mrejesho@127.0.0.1:5432/mrejesho")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server")
    return urlunsplit(parts._replace(path="/" + name))


def setup_world() -> dict[str, str]:
    """Migrate, collect static files when stale, seed the demo (idempotent); the pages' paths."""
    from io import StringIO

    from django.core.management import call_command

    def run(*command, **options):
        call_command(*command, verbosity=0, stdout=StringIO(), **options)

    log("  messages, migrate")
    # The Swahili pages need the compiled catalogue (*.mo are not in the repository).
    subprocess.run(  # nosec B603  # our own script, no shell
        [sys.executable, str(ROOT / "scripts/compile_messages.py")],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    run("migrate")
    run("createcachetable")
    if static_is_stale():
        log("  collectstatic (production storage: hashed and compressed; minutes)")
        run("collectstatic", interactive=False)
    log("  seed_demo")
    run("seed_demo", not_production=True)
    return page_paths()


def page_paths() -> dict[tuple[str, str], str]:
    """(page, language) -> path, read from the seeded database."""
    from feedback.models import PublicOutcome
    from pages.models import FeedbackPage, ServicePage

    outcome = PublicOutcome.objects.public().order_by("published_at", "pk").first()
    if outcome is None:
        raise SystemExit("seed_demo published no outcome: the outcome page cannot be measured")
    paths = {}
    for language in LANGUAGES:
        service = (
            ServicePage.objects.live().filter(locale__language_code=language).order_by("path")
        ).first()
        feedback = FeedbackPage.objects.live().filter(locale__language_code=language).first()
        paths[("home", language)] = f"/{language}/"
        paths[("service page", language)] = service.url
        paths[("feedback form", language)] = f"{feedback.url}new/"
        paths[("tracking form", language)] = f"{feedback.url}track/"
        paths[("search results", language)] = f"/{language}/search/?q={SEARCH_QUERY}"
        paths[("outcome page", language)] = f"/{language}/outcomes/{outcome.case.reference}/"
    return paths


def lighthouse(url: str, out: Path, env: dict, attempts: int = 3) -> dict:
    """The four category scores (0-100), the audits that lost points, the bytes transferred.

    On a busy machine Chromium's trace now and then misses the navigation (NO_NAVSTART):
    such a run is repeated, up to `attempts` times."""
    for attempt in range(1, attempts + 1):
        try:
            return lighthouse_once(url, out, env)
        except RuntimeError as error:
            if attempt == attempts:
                raise
            log(f"    {error}; again")
    raise AssertionError("unreachable")


def lighthouse_once(url: str, out: Path, env: dict) -> dict:
    command = [
        str(ensure_lighthouse()),
        url,
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ]
    done = subprocess.run(  # nosec B603  # our own command, no shell
        command,
        env={**env, "CHROME_PATH": str(chromium_path())},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-500:]}")
    report = json.loads(out.read_text())
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse: {report['runtimeError']}")
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    failed = sorted(
        audit_id
        for name in CATEGORIES
        for ref in report["categories"][name]["auditRefs"]
        if ref["weight"]
        and (audit_id := ref["id"])
        and report["audits"][audit_id]["score"] is not None
        and report["audits"][audit_id]["score"] < 1
    )
    weight = report["audits"]["total-byte-weight"]["numericValue"]
    return {"scores": scores, "failed": failed, "bytes": weight}


AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations", "incomplete"]});
    const brief = (items) => items.map((item) => ({
        id: item.id, targets: item.nodes.map((node) => node.target.join(" ")),
    }));
    return {violations: brief(result.violations), incomplete: brief(result.incomplete)};
}"""


def browse(chromium, url: str, axe: str) -> dict:
    """Every response's transferred size, and axe's findings, on a phone-sized page."""
    context = chromium.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    sizes: dict[str, int] = {}

    def finished(request):
        size = request.sizes()
        sizes[request.url] = size["responseBodySize"] + size["responseHeadersSize"]

    page.on("requestfinished", finished)
    response = page.goto(url, wait_until="networkidle")
    if response.status != 200:
        raise RuntimeError(f"{url} answered {response.status}")
    page.evaluate(axe)  # not a <script> tag: the pages' CSP forbids inline scripts
    report = page.evaluate(AXE_RUN)
    context.close()
    return {"bytes": sum(sizes.values()), "resources": sizes, **report}


def median_of(runs: list[dict]) -> dict:
    """Each category's median score over the runs (Lighthouse's own advice against the noise
    of a busy machine), the audits that lost points with how many runs they did, the bytes."""
    failed = Counter(audit for run in runs for audit in run["failed"])
    return {
        "scores": {
            name: int(statistics.median(run["scores"][name] for run in runs)) for name in CATEGORIES
        },
        "runs": [run["scores"] for run in runs],
        "failed": [f"{audit} ({n} of {len(runs)})" for audit, n in sorted(failed.items())],
        "bytes": statistics.median(run["bytes"] for run in runs),
    }


def measure(
    base: str, paths: dict, env: dict, reports: Path, runs: int, shots: Path | None
) -> list:
    from playwright.sync_api import sync_playwright

    axe = axe_source()
    measured = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path()), headless=True, args=["--no-sandbox"]
        )
        try:
            for (name, language), path in paths.items():
                url = base + path
                log(f"  {name} ({language}): {path}")
                row = {"page": name, "language": language, "path": path}
                row.update(browse(chromium, url, axe))
                if shots:
                    row_page = chromium.new_page(viewport={"width": 360, "height": 640})
                    row_page.goto(url)
                    slug = f"{name.replace(' ', '-')}-{language}.png"
                    row_page.screenshot(path=str(shots / slug), full_page=True)
                    row_page.close()
                if runs:
                    slug = f"{name.replace(' ', '-')}-{language}"
                    try:
                        row["lighthouse"] = median_of(
                            [
                                lighthouse(url, reports / f"{slug}-{n}.json", env)
                                for n in range(runs)
                            ]
                        )
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        row["lighthouse_error"] = str(error)[:300]
                measured.append(row)
        finally:
            chromium.close()
    return measured


def rows_of(measured: list) -> list[dict]:
    rows = []
    for page in measured:
        what = f"{page['page']} ({page['language']})"
        if "lighthouse" in page:
            scores = page["lighthouse"]["scores"]
            failed = page["lighthouse"]["failed"]
            rows.append(
                {
                    "what": f"{what}: Lighthouse, lowest of 4",
                    "figure": min(scores.values()),
                    "unit": "score",
                    "goal": "100 in each",
                    "met": all(score == 100 for score in scores.values()),
                    "detail": " ".join(f"{k} {v}" for k, v in scores.items())
                    + f" (median of {len(page['lighthouse']['runs'])} runs)"
                    + (f"; audits losing points: {', '.join(failed)}" if failed else ""),
                }
            )
        if "lighthouse_error" in page:
            rows.append(
                {
                    "what": f"{what}: Lighthouse, lowest of 4",
                    "figure": None,
                    "unit": "score",
                    "goal": "100 in each",
                    "met": False,
                    "detail": f"did not run: {page['lighthouse_error']}",
                }
            )
        kb = page["bytes"] / 1000
        rows.append(
            {
                "what": f"{what}: weight, compressed",
                "figure": round(kb, 1),
                "unit": "KB",
                "goal": f"< {WEIGHT_GOAL_KB}",
                "met": kb < WEIGHT_GOAL_KB,
                "detail": f"{len(page['resources'])} resources: "
                + ", ".join(
                    f"{urlsplit(url).path.rsplit('/', 1)[-1] or urlsplit(url).path} "
                    f"{size / 1000:.1f}"
                    for url, size in page["resources"].items()
                ),
            }
        )
        violations = page["violations"]
        rows.append(
            {
                "what": f"{what}: axe violations",
                "figure": len(violations),
                "unit": "violations",
                "goal": "0",
                "met": not violations,
                "detail": "; ".join(f"{v['id']}: {', '.join(v['targets'])}" for v in violations)
                + (" | needs review: " if page["incomplete"] else "")
                + ", ".join(item["id"] for item in page["incomplete"]),
            }
        )
    return rows


def table(measured: list) -> str:
    head = f"{'page':<16} {'lang':<4} {'perf':>4} {'a11y':>4} {'b.p.':>4} {'seo':>4}"
    lines = [head + f" {'KB':>6} {'axe':>4}  needs review"]
    for page in measured:
        scores = page.get("lighthouse", {}).get("scores", {})
        cells = " ".join(f"{scores.get(name, '-'):>4}" for name in CATEGORIES)
        review = ", ".join(item["id"] for item in page["incomplete"]) or "-"
        lines.append(
            f"{page['page']:<16} {page['language']:<4} {cells} {page['bytes'] / 1000:6.1f}"
            f" {len(page['violations']):>4}  {review}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the rows there (bench row contract)")
    parser.add_argument(
        "--database", default=os.environ.get("FRONTEND_DATABASE", DEFAULT_DATABASE_NAME)
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--runs", type=int, default=3, help="Lighthouse runs per page (median); 0: none"
    )
    parser.add_argument("--screenshots", type=Path, help="save each page's screenshot here")
    parser.add_argument("--keep-reports", type=Path, help="keep Lighthouse's JSON reports here")
    parser.add_argument("--quick", action="store_true", help="one Lighthouse run per page")
    args = parser.parse_args()
    if args.quick:
        args.runs = min(args.runs, 1)
    started = datetime.now(UTC)

    env = dict(os.environ, **PRODUCTION_ENV)
    env["DATABASE_URL"] = database_url(args.database)
    env["ELASTICSEARCH_URL"] = ""  # the database engine: the same page, no search server
    env["SITE_URL"] = f"http://127.0.0.1:{args.port}"
    # The pages are only read: nothing is sent. Were a mail sent, it would fail, not print.
    env["EMAIL_HOST"], env["EMAIL_PORT"] = "127.0.0.1", "9"
    workdir = Path(tempfile.mkdtemp(prefix="frontendbench-"))
    env["MEDIA_ROOT"] = str(workdir / "media")
    env["REPORTS_ROOT"] = str(workdir / "reports")
    reports = args.keep_reports or workdir / "lighthouse"
    reports.mkdir(parents=True, exist_ok=True)
    if args.runs:
        ensure_lighthouse()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    processes = Processes(workdir)
    try:
        os.environ.update(env)
        import django

        django.setup()
        created = ensure_database(env["DATABASE_URL"])
        log(f"database {args.database} ({'created' if created else 'kept'}); setting up")
        paths = setup_world()
        from django.db import connections

        connections.close_all()
        base = f"http://127.0.0.1:{args.port}"
        processes.start(
            "gunicorn",
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                *("--workers", "2", "--bind", f"127.0.0.1:{args.port}", "--no-control-socket"),
            ],
            env,
        )
        try:
            wait_for_http(base + "/healthz")
        except SystemExit:
            log(processes.tail("gunicorn"))
            raise
        measured = measure(base, paths, env, reports, args.runs, args.screenshots)
    finally:
        processes.stop()

    print(table(measured))
    rows = rows_of(measured)
    unmet = [row["what"] for row in rows if row["met"] is False]
    result = {
        "benchmark": "frontend",
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": f"{platform.node()}, {os.cpu_count()} cores, {platform.platform()}",
        "sizes": {"pages": len(measured), "languages": list(LANGUAGES)},
        "rows": rows,
        "notes": [
            "Weight: every response the page loads in Chromium, body as transferred "
            "(compressed when the server compresses) plus headers.",
            *(f"NOT met: {what}" for what in unmet),
        ],
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written to {args.json}")
    if not args.keep_reports:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
