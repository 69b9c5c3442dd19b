"""What the audit chain and the workflow cost per submission, as a ratio to a bare insert.

Run: .venv/bin/python bench/submission.py [N]   (DATABASE_URL picks the database; default a
throwaway SQLite file). Both timings are taken in the same run, so the ratio means something
on a shared, noisy machine where the absolute numbers do not.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

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


def main(count: int = 200) -> None:
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
    print(f"database: {os.environ['DATABASE_URL'].split(':')[0]}, {count} submissions per run")
    print(f"floor (bare insert):        {floor_s / count * 1000:.2f} ms each")
    print(f"workflow.submit (chained):  {submit_s / count * 1000:.2f} ms each")
    print(f"ratio submit / floor:       {submit_s / floor_s:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
