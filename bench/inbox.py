"""How fast the inbox answers with 1,000,000 cases on PostgreSQL: the officer's and the lead's
listing (default view, overdue filter, search by words, a deep page), p50 and p95 per view
with its query count, beside a floor measured in the same run (a trivial admin listing through
the same stack). Goal: p95 under 300 ms.

Run: .venv/bin/python bench/inbox.py [N] [--requests R] [--quick] [--json PATH]   (or `make
bench-inbox`). PostgreSQL: the server of DATABASE_URL (default the local mrejesho role), in a
database of its own, mrejesho_inbox (or INBOX_DATABASE; mrejesho_inbox_<N> at another size, so
a --quick run leaves the full run's data alone). The cases are generated once with one
INSERT ... SELECT generate_series (no workflow, no history: the inbox reads only case rows,
their events and directives) and kept for later runs, like bench/reports.py's. Half of them
sit in the subtree of one big institution (the demo water utility, where the demo officer and
lead work), the rest are spread over the other institutions of the demo tree.

Requests go through gunicorn on 127.0.0.1 (2 sync workers, production settings with plain
static storage, bench/load_settings.py), each user signed in with a session cookie of their
own; one request per view is also served in-process to count its queries. The floor is a
trivial admin listing (the charter terms, a handful of rows) through the same stack, per user.
"""

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import contract  # noqa: E402
from bench.search import PRODUCTION_ENV, Gunicorn  # noqa: E402

# Production's settings with plain static storage (no collectstatic: the admin's CSS is not
# what is timed), the same for gunicorn and for this process, whose sessions gunicorn reads.
ENV = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "bench.load_settings"}
os.environ.update(ENV)
DEFAULT_COUNT = 1_000_000


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, help=f"cases ({DEFAULT_COUNT:,})")
    parser.add_argument("--requests", type=int, help="timed requests per view (30)")
    parser.add_argument("--quick", action="store_true", help="10,000 cases, 10 requests a view")
    parser.add_argument("--json", help="write the bench row contract's rows to this file")
    args = parser.parse_args()
    args.count = args.count or (10_000 if args.quick else DEFAULT_COUNT)
    args.requests = args.requests or (10 if args.quick else 30)
    return args


ARGS = arguments()  # before Django's setup: the size picks the database
stem = os.environ.get("INBOX_DATABASE", "mrejesho_inbox")
os.environ["DATABASE_URL"] = contract.database_url(
    contract.sized_database(stem, ARGS.count, DEFAULT_COUNT)
)
contract.ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from feedback import demo, workflow  # noqa: E402
from feedback.models import Case, Institution  # noqa: E402

MARK = "bench-inbox"  # the pin_digest of generated cases: how a later run finds them
SUBJECTS = [
    "Water bill doubled",
    "Meter not read for months",
    "Pipe leak on our street",
    "No water since Monday",
    "Slow service at the office",
    "Staff asked for a bribe",
    "Thank you for the quick repair",
    "Sewage overflow near the school",
]
WORDS = [
    "meter",
    "leak",
    "bill",
    "pressure",
    "connection",
    "payment",
    "office",
    "road",
    "tank",
    "pump",
    "receipt",
    "queue",
]


def generate(count: int, big: Institution) -> None:
    """`count` cases, once. Statuses as a working registry holds them (about a quarter open),
    submitted over the past year, deadlines two and ten days after submission; next_due as
    feedback.workflow.next_due sets it (checked on a sample below)."""
    have = Case.objects.filter(pin_digest=MARK).count()
    if have == count:
        return
    if have:
        print(f"  removing {have} generated cases of another size", flush=True)
        # Raw SQL: they have no related rows and no history, and the ORM's delete would write
        # (and chain) a history record per case.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM feedback_case WHERE pin_digest = %s", [MARK])
    bigs = list(Institution.objects.filter(path__startswith=big.path).values_list("pk", flat=True))
    others = list(
        Institution.objects.exclude(path__startswith=big.path).values_list("pk", flat=True)
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.16)")
        cursor.execute(
            """
            WITH raw AS (
                SELECT i, random() AS r_inst, random() AS r_status, random() AS r_when,
                       random() AS r_text, random() AS r_words, random() AS r_kind
                FROM generate_series(1, %(count)s) AS i
            ), shaped AS (
                SELECT i,
                    CASE WHEN r_inst < 0.5
                         THEN (%(bigs)s::bigint[])[1 + floor(r_inst * 2 * %(nbig)s)::int]
                         ELSE (%(others)s::bigint[])
                              [1 + floor((r_inst - 0.5) * 2 * %(nothers)s)::int]
                    END AS institution_id,
                    CASE WHEN r_status < 0.04 THEN 'submitted'
                         WHEN r_status < 0.09 THEN 'acknowledged'
                         WHEN r_status < 0.22 THEN 'in_progress'
                         WHEN r_status < 0.24 THEN 'awaiting_citizen'
                         WHEN r_status < 0.25 THEN 'reopened'
                         WHEN r_status < 0.45 THEN 'resolved'
                         WHEN r_status < 0.95 THEN 'closed'
                         ELSE 'rejected' END AS status,
                    now() - r_when * interval '365 days' AS submitted_at,
                    r_text, r_words, r_kind
                FROM raw
            )
            INSERT INTO feedback_case (
                reference, pin_digest, kind, channel, location, subject, description, language,
                is_anonymous, consent_to_publish, is_confidential, status, escalation_level,
                rejection_reason, referral_count, reopen_count, escalation_count,
                interim_reply_count, submitted_at, updated_at, satisfaction_comment,
                institution_id, acknowledge_due, resolve_due, acknowledged_at, resolved_at,
                closed_at, paused_at, next_due
            )
            SELECT
                lpad((8000000000 + i)::text, 10, '0'), %(mark)s,
                (ARRAY['complaint','complaint','inquiry','suggestion','compliment'])
                    [1 + floor(r_kind * 5)::int],
                (ARRAY['web','api','ussd','sms','service_point','open311'])
                    [1 + floor(r_kind * 6)::int],
                '', (%(subjects)s::text[])[1 + floor(r_text * %(nsubjects)s)::int],
                'About my account: ' || (%(words)s::text[])[1 + floor(r_words * %(nwords)s)::int]
                    || ' and ' || (%(words)s::text[])[1 + floor(r_text * %(nwords)s)::int]
                    || ' problems, reported at the office.',
                CASE WHEN r_words < 0.6 THEN 'sw' ELSE 'en' END,
                true, false, false, status, 0,
                CASE WHEN status = 'rejected' THEN 'out_of_scope' ELSE '' END, 0, 0, 0, 0,
                submitted_at, now(), '', institution_id,
                submitted_at + interval '2 days', submitted_at + interval '10 days',
                CASE WHEN status <> 'submitted' THEN submitted_at + interval '1 day' END,
                CASE WHEN status IN ('resolved', 'closed')
                    THEN submitted_at + interval '8 days' END,
                CASE WHEN status IN ('closed', 'rejected')
                    THEN submitted_at + interval '9 days' END,
                CASE WHEN status = 'awaiting_citizen' THEN submitted_at + interval '3 days' END,
                CASE WHEN status = 'submitted' THEN submitted_at + interval '2 days'
                     WHEN status IN ('acknowledged', 'in_progress', 'reopened')
                         THEN submitted_at + interval '10 days' END
            FROM shaped
            """,
            {
                "count": count,
                "bigs": bigs,
                "nbig": len(bigs),
                "others": others,
                "nothers": len(others),
                "mark": MARK,
                "subjects": SUBJECTS,
                "nsubjects": len(SUBJECTS),
                "words": WORDS,
                "nwords": len(WORDS),
            },
        )
        cursor.execute("ANALYZE feedback_case")
    print(f"  generated {count} cases in {time.perf_counter() - start:.0f} s", flush=True)


def mark_disputed() -> None:
    """One reopened case in five disputed (the citizen said "not resolved"): about 2,000 per
    1,000,000, 1,004 of them open under 111. The inbox's "Disputed" filter and the
    dashboards' count find them through the partial index on disputed_at. Idempotent."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE feedback_case SET disputed_at = submitted_at + interval '9 days' "
            "WHERE pin_digest = %s AND status = 'reopened' AND disputed_at IS NULL "
            "AND id %% 5 = 0",
            [MARK],
        )
        cursor.execute("ANALYZE feedback_case")


def check_sample() -> None:
    """The generator's next_due is the workflow's (feedback.workflow.next_due) on a sample."""
    sample = Case.objects.filter(pin_digest=MARK).order_by("?")[:500]
    wrong = [case.reference for case in sample if case.next_due != workflow.next_due(case)]
    if wrong:
        sys.exit(f"generated next_due differs from workflow.next_due: {wrong[:5]}")


def query_count(client: Client, path: str) -> int:
    """The queries of one request of `path`, served in-process (after a warm-up)."""
    assert client.get(path).status_code == 200, path  # nosec B101  # a benchmark's own sanity check, never run under -O
    queries = 0

    def counter(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(path)
    return queries


def timed_requests(http, url: str, cookie: str, requests: int) -> list[float]:
    """Milliseconds per request through gunicorn, after two warm-up requests."""
    timings = []
    for attempt in range(requests + 2):
        start = time.perf_counter()
        answer = http.request("GET", url, headers={"Cookie": cookie}, redirect=False, timeout=120)
        elapsed = (time.perf_counter() - start) * 1000
        if answer.status != 200:
            raise SystemExit(f"{url} answered {answer.status} (signed out?)")
        if attempt >= 2:
            timings.append(elapsed)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


VIEWS = [
    ("floor: charter terms listing", "/admin/feedback/charterterm/"),
    ("inbox, default", "/admin/feedback/case/"),
    ("inbox, overdue", "/admin/feedback/case/?overdue=on"),
    ("inbox, disputed", "/admin/feedback/case/?disputed=on"),
    ("inbox, search words", "/admin/feedback/case/?q=meter+leak"),
    ("inbox, deep page (p=400)", "/admin/feedback/case/?p=400"),
    ("inbox, all statuses", "/admin/feedback/case/?show=all"),
]


def signed_in_with_second_factor(client: Client, user) -> None:
    """Mark the session as having passed the second factor, as django_otp's login does, with
    a device of the user's own: production asks the lead for it (STAFF_TWO_FACTOR_ROLES)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="bench-inbox", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


GOAL_MS = 300  # issue 16: the inbox's p95 under 300 ms at 1,000,000 cases


def main() -> None:
    import urllib3
    from django.conf import settings

    args = ARGS
    count, requests = args.count, args.requests
    started = contract.now()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    demo.seed_institutions()
    demo.seed_services()
    demo.seed_users()
    users = get_user_model().objects.filter(username__in=["officer", "lead"])
    big = users.get(username="officer").staff_profile.institution
    generate(count, big)
    mark_disputed()
    check_sample()
    in_big = Case.objects.filter(institution__path__startswith=big.path)
    sizes = {
        "cases": Case.objects.count(),
        "under the officer's institution": in_big.count(),
        "open there": in_big.open().count(),
        "requests per view": requests,
    }
    in_big_count = sizes["under the officer's institution"]
    print(
        f"database: postgresql; {sizes['cases']} cases, {in_big_count} "
        f"in {big.short_code} {big.name} and below ({sizes['open there']} open); "
        f"{requests} requests per view, gunicorn (2 workers, production settings)"
    )
    print(f"{'user':8} {'view':28} {'p50 ms':>8} {'p95 ms':>8} {'p95/floor':>9} {'queries':>7}")
    rows, notes = [], []
    http = urllib3.PoolManager()
    connection.close()  # gunicorn's workers open their own
    with Gunicorn(dict(os.environ)) as server:
        for user in users.order_by("username").reverse():  # officer, then lead
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            signed_in_with_second_factor(client, user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
            floor = None
            for label, path in VIEWS:
                timings = timed_requests(http, server.base + path, cookie, requests)
                queries = query_count(client, path)
                p50, p95 = statistics.median(timings), percentile(timings, 0.95)
                floor = floor or (p50, p95)
                print(
                    f"{user.username:8} {label:28} {p50:8.1f} {p95:8.1f} "
                    f"{p95 / floor[1]:8.1f}x {queries:7d}",
                    flush=True,
                )
                if label.startswith("floor"):
                    continue
                met = p95 < GOAL_MS
                rows.append(
                    contract.row(
                        f"{user.username}: {label}, {count:,} cases",
                        p95 / floor[1],
                        "x floor p95",
                        f"p95 < {GOAL_MS} ms",
                        met,
                        f"p95 {p95:.0f} ms, p50 {p50:.0f} ms; floor (charter terms listing) "
                        f"p95 {floor[1]:.0f} ms; {queries} queries",
                    )
                )
                if not met:
                    notes.append(
                        f"inbox, {user.username}, {label}: p95 {p95:.0f} ms, "
                        f"{p95 / floor[1]:.1f}x the floor (whose own p95 is {floor[1]:.0f} ms: "
                        "on a loaded machine the floor alone can exceed the goal). cProfile of "
                        f"one request, cumulative: {contract.profile(partial(client.get, path))}"
                    )
    notes.append(
        "inbox: the goal (issue 16) is absolute, p95 under 300 ms; the figure is the ratio to "
        "the floor measured in the same run, which tells the view's cost from the machine's."
    )
    if args.json:
        contract.write(args.json, "inbox", started, sizes, rows, notes)


if __name__ == "__main__":
    main()
