"""A case's chained history for the auditor: every history row of the case and of what hangs
from it, in the order it was written, each with who, when, why and the fields it changed.

The rows are django-simple-history's (each chained by feedback.audit); the changes are its
`diff_against` the row before of the same object.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models

from feedback.audit import CHAIN_FIELDS
from feedback.models import (
    Appeal,
    Attachment,
    Case,
    CaseEvent,
    Contact,
    Directive,
    PersonalDataAccess,
    PublicOutcome,
)

# What hangs from a case, and the column of its history that names the case.
SOURCES: tuple[tuple[type[models.Model], str], ...] = (
    (Case, "id"),
    (Contact, "case_id"),
    (CaseEvent, "case_id"),
    (Attachment, "case_id"),
    (PublicOutcome, "case_id"),
    (Directive, "case_id"),
    (Appeal, "case_id"),
    (PersonalDataAccess, "case_id"),
)
# Never shown: a keyed digest of the PIN, a client's retry key, bookkeeping, the case itself
# (every row here is of this case).
HIDDEN_FIELDS = frozenset(
    {"id", "pin_digest", "idempotency_key", "updated_at", "case", *CHAIN_FIELDS}
)


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class Entry:
    at: datetime
    seq: int
    user: object
    kind: str  # "+" created, "~" changed, "-" deleted
    what: str  # the model's verbose name
    object_id: int
    reason: str
    changes: list[Change] = field(default_factory=list)


def _shown(model, name: str, value):
    """A value as people read it: a choice's label, not its code (related rows are named
    afterwards, all at once, by `_name_related`)."""
    model_field = model._meta.get_field(name)
    if model_field.choices and value not in (None, ""):
        return dict(model_field.flatchoices).get(value, value)
    if model_field.is_relation and value is not None:
        return (model_field.related_model, value)
    return value


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _fields(model) -> tuple[list[str], list[str]]:
    """The model's fields in its history: (editable ones, which `diff_against` compares;
    the others, such as the status, which only the workflow sets)."""
    shown = [
        f
        for f in model.history.model._meta.concrete_fields
        if not f.name.startswith("history_") and f.name not in HIDDEN_FIELDS
    ]
    return [f.name for f in shown if f.editable], [f.name for f in shown if not f.editable]


def _value(row, name: str):
    return getattr(row, row._meta.get_field(name).attname)


def _changes(model, row, before) -> list["Change"]:
    editable, fixed = _fields(model)
    if before is None:
        return [
            Change(_label(model, name), None, _shown(model, name, _value(row, name)))
            for name in editable + fixed
            if _value(row, name) not in (None, "", [], {})
        ]
    delta = row.diff_against(before, included_fields=editable)
    changed = [(c.field, c.old, c.new) for c in delta.changes]
    changed += [
        (name, _value(before, name), _value(row, name))
        for name in fixed
        if _value(before, name) != _value(row, name)
    ]
    return [
        Change(_label(model, name), _shown(model, name, old), _shown(model, name, new))
        for name, old, new in changed
    ]


def _name_related(entries: list["Entry"]) -> list["Entry"]:
    """Related rows (institution, service, officer) by name: one query per related model."""
    wanted: dict[type, set] = {}
    for entry in entries:
        for change in entry.changes:
            for value in (change.old, change.new):
                if isinstance(value, tuple):
                    wanted.setdefault(value[0], set()).add(value[1])
    found = {model: model._default_manager.in_bulk(ids) for model, ids in wanted.items()}

    def named(value):
        if isinstance(value, tuple):
            row = found[value[0]].get(value[1])
            return str(row) if row is not None else f"#{value[1]}"
        return value

    return [
        replace(
            entry,
            changes=[replace(c, old=named(c.old), new=named(c.new)) for c in entry.changes],
        )
        for entry in entries
    ]


def case_history(case: Case, *, internal: bool = True) -> list[Entry]:
    """The case's history rows, oldest first. Without `internal` (for agents, who read what
    the citizen reads): no rows of internal notes and their files, directives, draft outcomes
    or personal-data accesses, and the case's change reasons name the action only."""
    entries: list[Entry] = []
    for model, column in SOURCES:
        if not internal and model in (Directive, PersonalDataAccess, PublicOutcome):
            continue
        rows = model.history.filter(**{column: case.pk}).order_by("history_date", "history_id")
        hidden = set()
        if not internal and model is CaseEvent:
            hidden = set(
                CaseEvent.history.filter(case_id=case.pk, is_public=False).values_list(
                    "id", flat=True
                )
            )
        if not internal and model is Attachment:
            hidden = set(
                Attachment.objects.filter(case=case, event__is_public=False).values_list(
                    "id", flat=True
                )
            )
        previous: dict[int, models.Model] = {}
        for row in rows:
            if row.id in hidden:
                continue
            changes = _changes(model, row, previous.get(row.id))
            previous[row.id] = row
            reason = row.history_change_reason or ""
            if not internal and model is Case:
                reason = reason.split(":", 1)[0]  # the action, not an internal note's text
            entries.append(
                Entry(
                    at=row.history_date,
                    seq=row.chain_seq or 0,
                    user=row.history_user_id,
                    kind=row.history_type,
                    what=str(model._meta.verbose_name),
                    object_id=row.id,
                    reason=reason,
                    changes=changes,
                )
            )
    # The acting user is a plain id on chained history rows (feedback.audit): one query for all.
    users = (
        get_user_model()
        .objects.filter(pk__in={entry.user for entry in entries if entry.user})
        .select_related("staff_profile")
        .in_bulk()
    )
    entries = [replace(entry, user=users.get(entry.user)) for entry in entries]
    entries.sort(key=lambda entry: (entry.at, entry.seq))
    return _name_related(entries)
