"""What the audit chain and the workflow cost per submission, as a ratio to a bare insert.

Run: .venv/bin/python bench/submission.py [N] [--quick] [--json PATH]   (PostgreSQL: the
server of DATABASE_URL, default the local mrejesho role, in a database of its own,
mrejesho_submissionbench or SUBMISSION_DATABASE). Both timings are taken in the same run, so
the ratio means something on a shared, noisy machine where the absolute numbers do not. No
issue gives a goal: the figure is the submission's cost in bare inserts.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from bench import contract

os.environ["DATABASE_URL"] = contract.database_url(
    os.environ.get("SUBMISSION_DATABASE", "mrejesho_submissionbench")
)
contract.ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from feedback import demo, references, workflow  # noqa: E402
from feedback.models import Case, Service  # noqa: E402


def best_of(repeats: int, run) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main(count: int = 200, json_path: str | None = None) -> None:
    started = contract.now()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    demo.seed_institutions()
    demo.seed_services()
    service = Service.objects.select_related("institution").first()
    now = timezone.now()

    def floor():
        # The least a submission must do: insert one row with a reference. bulk_create skips
        # the save signals, so no history row and no chain link: a bare INSERT.
        for _ in range(count):
            Case.objects.bulk_create(
                [
                    Case(
                        reference=references.new_reference(),
                        pin_digest="-",
                        kind="complaint",
                        channel="web",
                        institution=service.institution,
                        subject="s",
                        description="d",
                        consent_to_publish=False,
                        submitted_at=now,
                    )
                ]
            )

    def submit():
        for _ in range(count):
            workflow.submit(
                kind="complaint",
                institution=service.institution,
                service=service,
                subject="s",
                description="d",
                contact=workflow.ContactDetails(phone="+255712345678", notify_by="sms"),
            )

    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        floor_s = best_of(3, floor)
        submit_s = best_of(3, submit)
    print(f"database: postgresql, {count} submissions per run, best of 3")
    print(f"floor (bare insert):        {floor_s / count * 1000:.2f} ms each")
    print(f"workflow.submit (chained):  {submit_s / count * 1000:.2f} ms each")
    print(f"ratio submit / floor:       {submit_s / floor_s:.1f}x")
    if json_path:
        detail = (
            f"workflow.submit {submit_s / count * 1000:.2f} ms vs bare INSERT "
            f"{floor_s / count * 1000:.2f} ms each, best of 3 x {count}"
        )
        rows = [
            contract.row(
                "workflow + audit per submission",
                submit_s / floor_s,
                "x bare insert",
                detail=detail,
            )
        ]
        contract.write(json_path, "submission", started, {"submissions": count}, rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", nargs="?", type=int, help="submissions per timed run (200)")
    parser.add_argument("--quick", action="store_true", help="50 submissions per timed run")
    parser.add_argument("--json", help="write the bench row contract's rows to this file")
    args = parser.parse_args()
    main(args.count or (50 if args.quick else 200), args.json)
