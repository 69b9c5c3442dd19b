"""A tamper-evident audit trail: every history record is hash-chained to the one written before it.

django-simple-history writes one history row per change of every domain model. After each
row is saved, `chain_history_record` reads it back, hashes its content together with the
previous row's hash, and stores the hash on the row. `verify_chain` walks every history
table in chain order and names the first row whose content, order or presence was altered.
"""

import hashlib
import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from simple_history.models import registered_models
from simple_history.signals import post_create_historical_record

GENESIS_HASH = "0" * 64
CHAIN_FIELDS = ("chain_seq", "prev_hash", "record_hash")


class ChainedHistoricalRecord(models.Model):
    """Abstract base for every history model: its place in the chain and its hashes."""

    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    record_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True


class AuditChainHead(models.Model):
    """One row: the last link of the chain. Locking it serialises writers of the chain."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        app_label = "feedback"

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


def _plain(value):
    """A JSON-stable form of a field value, the same whether fresh or read back from the DB."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def record_content(record: models.Model) -> str:
    """Canonical JSON of a history row's own fields (everything but the chain fields)."""
    content = {
        field.attname: _plain(getattr(record, field.attname))
        for field in record._meta.concrete_fields
        if field.name not in CHAIN_FIELDS
    }
    return json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)


def link_hash(prev_hash: str, record: models.Model) -> str:
    payload = f"{prev_hash}\n{record._meta.label}\n{record_content(record)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chained_history_models() -> list[type[models.Model]]:
    return sorted(
        (
            model.history.model
            for model in registered_models.values()
            if hasattr(model, "history")
            and issubclass(model.history.model, ChainedHistoricalRecord)
        ),
        key=lambda model: model._meta.label,
    )


@receiver(post_create_historical_record)
def chain_history_record(sender, history_instance, using=None, **kwargs):
    if not isinstance(history_instance, ChainedHistoricalRecord):
        return
    with transaction.atomic(using=using):
        heads = AuditChainHead.objects.using(using)
        head = heads.select_for_update().filter(pk=1).first()
        if head is None:
            # Genesis (a fresh or flushed database); get_or_create settles a race for it.
            heads.get_or_create(pk=1)
            head = heads.select_for_update().get(pk=1)
        # Read the row back so the hash covers exactly what the database stored.
        stored = sender.objects.using(using).get(pk=history_instance.pk)
        record_hash = link_hash(head.hash, stored)
        sender.objects.using(using).filter(pk=stored.pk).update(
            chain_seq=head.seq + 1, prev_hash=head.hash, record_hash=record_hash
        )
        head.seq += 1
        head.hash = record_hash
        head.save(update_fields=["seq", "hash"])
    history_instance.chain_seq = head.seq
    history_instance.prev_hash = stored.prev_hash
    history_instance.record_hash = record_hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    problem: str = ""
    model: str = ""
    record_id: str = ""
    position: int | None = None


def _chain_order() -> Iterator[models.Model]:
    streams = []
    for model in chained_history_models():
        unchained = model.objects.filter(chain_seq__isnull=True).first()
        if unchained is not None:
            # A row outside the chain was written around the audit trail.
            streams.append(iter([unchained]))
        streams.append(
            model.objects.filter(chain_seq__isnull=False).order_by("chain_seq").iterator()
        )
    return heapq.merge(*streams, key=lambda row: row.chain_seq or 0)


def _first_break(record, position: int, expected_prev: str) -> str:
    """What is wrong with this record at this place in the chain ("" if nothing)."""
    if record.chain_seq is None:
        return "record is outside the chain (written without a hash)"
    if record.chain_seq != position:
        return (
            f"chain position {record.chain_seq} found where {position} was expected "
            "(a record before it was removed or renumbered)"
        )
    if record.prev_hash != expected_prev:
        return "previous-hash link is broken (records were reordered or replaced)"
    if link_hash(record.prev_hash, record) != record.record_hash:
        return "content does not match its hash (the record was edited)"
    return ""


def verify_chain() -> ChainReport:
    """Walk the whole chain; report the first record that was changed, moved, added or removed."""
    expected_prev = GENESIS_HASH
    position = 0
    for record in _chain_order():
        position += 1
        problem = _first_break(record, position, expected_prev)
        if problem:
            return ChainReport(
                ok=False,
                checked=position - 1,
                head_hash=expected_prev,
                problem=problem,
                model=record._meta.label,
                record_id=str(record.pk),
                position=position,
            )
        expected_prev = record.record_hash

    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None and position:
        return ChainReport(
            ok=False,
            checked=position,
            head_hash=expected_prev,
            problem="the chain head is missing",
            position=position + 1,
        )
    if head is not None and (head.seq, head.hash) != (position, expected_prev):
        return ChainReport(
            ok=False,
            checked=position,
            head_hash=expected_prev,
            problem=f"chain ends at #{position} but its head says #{head.seq}: "
            "records at the end were removed",
            position=position + 1,
        )
    return ChainReport(ok=True, checked=position, head_hash=expected_prev)
