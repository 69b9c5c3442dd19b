"""Per-case working days, counted once when the fact happens, and rebuilt from the chain.

The transition frame (feedback.workflow.transitions.transition) calls `record_case_timing`
inside its transaction after it saves the case, so the derived row commits or rolls back with
the fact. `rebuild_case_timings` writes every row again from the chained facts alone (the case
row's first acknowledgement and first resolution, and the case's history rows for interim
replies and resolutions); `case_timing_mismatches` says where the table and the facts differ.

Interim replies "kept": each interim reply names a date; it is kept when the case's next
resolution (whichever level gives it) comes no later than the end of that date. Replies whose
case has not been resolved since are pending: neither kept nor broken yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.apps import apps as django_apps
from django.db import transaction
from django.db.models import Q

from feedback import sla

# The only actions that change a timing: the others leave the row alone (and cost no query).
TIMED_ACTIONS = frozenset({"acknowledge", "resolve", "interim_reply"})
BATCH = 2000


@dataclass(frozen=True)
class Timing:
    acknowledge_days: int | None = None
    resolve_days: int | None = None
    interim_replies_kept: int = 0
    promises_pending: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return self == Timing()


def working_days(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return sla.working_days_between(start, end, sla.default_country())


def _promise(expected_by: datetime) -> str:
    return expected_by.astimezone(UTC).isoformat()


def after_step(
    kept: int, pending: tuple[str, ...], action: str, at: datetime, expected_by: datetime | None
) -> tuple[int, tuple[str, ...]]:
    """Interim-reply bookkeeping after one step: a reply adds its promise, a resolution settles
    every pending promise (kept if the resolution came by the promised date)."""
    if action == "interim_reply" and expected_by is not None:
        return kept, (*pending, _promise(expected_by))
    if action == "resolve":
        met = sum(1 for p in pending if at <= datetime.fromisoformat(p))
        return kept + met, ()
    return kept, pending


def record_case_timing(case, action: str, now: datetime) -> None:
    """The transition frame's hook: update the case's derived row after `action` at `now`."""
    if action not in TIMED_ACTIONS:
        return
    model = django_apps.get_model("feedback", "CaseTiming")
    row = model.objects.filter(case_id=case.pk).first() or model(case_id=case.pk)
    kept, pending = after_step(
        row.interim_replies_kept, tuple(row.promises_pending), action, now, case.expected_by
    )
    row.acknowledge_days = working_days(case.submitted_at, case.first_acknowledged_at)
    row.resolve_days = working_days(case.submitted_at, case.first_resolved_at)
    row.interim_replies_kept = kept
    row.promises_pending = list(pending)
    row.save()


def _action_of(reason: str | None) -> str:
    return (reason or "").split(":", 1)[0]


def derived_timings(case_model=None, history_model=None) -> dict[int, Timing]:
    """Every non-empty timing, computed from the chained facts alone (keyed by case id).

    The models are parameters so a data migration can pass its historical ones."""
    case_model = case_model or django_apps.get_model("feedback", "Case")
    history_model = history_model or django_apps.get_model("feedback", "HistoricalCase")
    steps: dict[int, list[tuple[str, datetime | None, datetime | None]]] = {}
    rows = (
        history_model.objects.filter(
            Q(history_change_reason__startswith="interim_reply")
            | Q(history_change_reason__startswith="resolve")
        )
        .order_by("chain_seq")
        .values_list("id", "history_change_reason", "resolved_at", "expected_by")
    )
    for case_id, reason, resolved_at, expected_by in rows.iterator(chunk_size=BATCH):
        action = _action_of(reason)
        if action in ("interim_reply", "resolve"):
            steps.setdefault(case_id, []).append((action, resolved_at, expected_by))
    result = {}
    facts = case_model.objects.values_list(
        "pk", "submitted_at", "first_acknowledged_at", "first_resolved_at"
    )
    for pk, submitted_at, first_ack, first_res in facts.iterator(chunk_size=BATCH):
        kept, pending = 0, ()
        for action, at, expected_by in steps.get(pk, ()):
            kept, pending = after_step(kept, pending, action, at, expected_by)
        timing = Timing(
            working_days(submitted_at, first_ack),
            working_days(submitted_at, first_res),
            kept,
            pending,
        )
        if not timing.is_empty or pk in steps:
            result[pk] = timing
    return result


def stored_timings(timing_model=None) -> dict[int, Timing]:
    timing_model = timing_model or django_apps.get_model("feedback", "CaseTiming")
    rows = timing_model.objects.values_list(
        "case_id", "acknowledge_days", "resolve_days", "interim_replies_kept", "promises_pending"
    )
    return {
        pk: Timing(ack, res, kept, tuple(pending))
        for pk, ack, res, kept, pending in rows.iterator(chunk_size=BATCH)
    }


def rebuild_case_timings(case_model=None, history_model=None, timing_model=None) -> int:
    """Write the whole table again from the chained facts; returns the number of rows."""
    timing_model = timing_model or django_apps.get_model("feedback", "CaseTiming")
    derived = derived_timings(case_model, history_model)
    with transaction.atomic():
        timing_model.objects.all().delete()
        timing_model.objects.bulk_create(
            (
                timing_model(
                    case_id=pk,
                    acknowledge_days=t.acknowledge_days,
                    resolve_days=t.resolve_days,
                    interim_replies_kept=t.interim_replies_kept,
                    promises_pending=list(t.promises_pending),
                )
                for pk, t in derived.items()
            ),
            batch_size=BATCH,
        )
    return len(derived)


def case_timing_mismatches(ids: Iterable[int] | None = None) -> list[int]:
    """Ids of the cases whose stored row differs from what the chained facts give."""
    derived, stored = derived_timings(), stored_timings()
    keys = set(ids) if ids is not None else derived.keys() | stored.keys()
    return sorted(pk for pk in keys if derived.get(pk, Timing()) != stored.get(pk, Timing()))
