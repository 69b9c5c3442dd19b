"""A tamper-evident audit trail: every history record is chained to the one before it by a
keyed hash, and the chain's head is published daily outside the database.

django-simple-history writes one history row per change of every domain model. After each
row is saved, `chain_history_record` reads it back, stores a SHA-256 digest of its content on
it, and links it to the previous row with HMAC-SHA256 under `settings.AUDIT_CHAIN_KEY`, a key
from the environment that the database never sees. Someone who can write to the database but
does not hold the key cannot recompute the chain after an edit. Someone who holds the key could,
so the head is published once a day (`publish_head`): an auditor who kept a published line can
prove that the record at that position still has that hash (`verify_chain(published=...)`).
`verify_chain` also compares every live row with its latest history record, so a change written
around simple-history (a queryset `.update()`, raw SQL) is named; rows written in bulk are
chained by `ChainedHistoryManager`.

Erasure. A history model may declare fields an erasure must be able to blank
(`ERASABLE_FIELDS`; none today: Contact's history leaves name, phone and e-mail out entirely).
Such fields are committed to apart from the rest: `personal_digest` is an HMAC of a per-row
random salt and their values, and only that digest enters `content_digest`. `blank_personal_data`
blanks the fields and the salt (so the digest can no longer be tested against guessed values) and
writes `erasure_seal`, an HMAC of the row's record hash. `verify_chain` accepts blanked fields
only with a valid seal, which only the key's holder can make; blanking without it, or changing a
personal value to anything else, is reported as tampering. The chain itself is untouched.
"""

import hashlib
import heapq
import hmac
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords, registered_models
from simple_history.signals import post_create_historical_record

GENESIS_HASH = "0" * 64
# Fields that hold the row's place in the chain and its digests rather than its content.
CHAIN_FIELDS = (
    "chain_seq",
    "prev_hash",
    "record_hash",
    "content_digest",
    "personal_digest",
    "personal_salt",
    "erasure_seal",
)
# History model label -> fields an erasure may blank. Declare a field here before its history
# rows are written: rows chained earlier commit to it as ordinary content.
ERASABLE_FIELDS: dict[str, tuple[str, ...]] = {}
# Fields added to a chained model after rows were chained, with NULL as their old value: left
# out of a record's content while NULL, so the digests of rows written before the column
# existed still verify. Name every nullable field added to a history model here.
ADDED_LATER: frozenset[str] = frozenset({"service_point_id", "api_client_id", "disputed_at"})
# Live model label -> fields a live row may hold apart from its latest history record: treebeard
# renumbers siblings' paths and counts children with queryset updates that write no history.
UNTRACKED_UPDATES: dict[str, tuple[str, ...]] = {"feedback.Institution": ("path", "numchild")}


class ChainedHistoryManager(models.Manager):
    """Chains rows written in bulk: simple-history's `bulk_history_create` and
    `bulk_create_with_history` call `bulk_create`, which sends no post_create signal."""

    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            for row in created:
                _append_to_chain(self.model, row, using=self.db)
        return created


class ChainedHistoricalRecord(models.Model):
    """Abstract base for every history model: its place in the chain and its digests."""

    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    record_hash = models.CharField(max_length=64, blank=True, editable=False)
    content_digest = models.CharField(max_length=64, blank=True, editable=False)
    personal_digest = models.CharField(max_length=64, blank=True, editable=False)
    personal_salt = models.CharField(max_length=32, blank=True, editable=False)
    erasure_seal = models.CharField(max_length=64, blank=True, editable=False)

    objects = ChainedHistoryManager()

    class Meta:
        abstract = True


def chained_history(**options) -> HistoricalRecords:
    """HistoricalRecords for a chained model. The acting user is kept as a plain id, not a
    foreign key: deleting a user must not rewrite (SET_NULL) the history rows they wrote."""
    return HistoricalRecords(
        bases=[ChainedHistoricalRecord],
        history_user_id_field=models.IntegerField(null=True, blank=True, db_index=True),
        **options,
    )


class AuditChainHead(models.Model):
    """One row: the last link of the chain. Locking it serialises writers of the chain."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        app_label = "feedback"

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class PublishedChainHead(models.Model):
    """The chain head as published on one day; copies kept by the public anchor it."""

    date = models.DateField(unique=True)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "feedback"
        ordering = ["-date"]

    def __str__(self) -> str:
        return published_line(self.date, self.seq, self.hash)


def chain_key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode("utf-8")


def _keyed(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\n".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


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


def erasable_fields(record: models.Model) -> tuple[str, ...]:
    return ERASABLE_FIELDS.get(record._meta.label, ())


def _canonical(values: dict) -> str:
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


def record_content(record: models.Model) -> str:
    """Canonical JSON of a history row's content: its own fields, with erasable fields
    represented by their keyed digest only."""
    hidden = set(CHAIN_FIELDS) | set(erasable_fields(record))
    content = {
        field.attname: _plain(getattr(record, field.attname))
        for field in record._meta.concrete_fields
        if field.name not in hidden
        and not (field.attname in ADDED_LATER and getattr(record, field.attname) is None)
    }
    if erasable_fields(record):
        content["personal_digest"] = record.personal_digest
    return _canonical(content)


def content_digest(record: models.Model) -> str:
    return hashlib.sha256(record_content(record).encode("utf-8")).hexdigest()


def personal_digest(record: models.Model, key: bytes) -> str:
    """Keyed digest of the salt and the erasable fields ("" when the model declares none)."""
    fields = erasable_fields(record)
    if not fields:
        return ""
    values = {name: _plain(getattr(record, name)) for name in fields}
    return _keyed(key, record.personal_salt, _canonical(values))


def link_hash(prev_hash: str, record: models.Model, key: bytes) -> str:
    """The record's hash: keyed over the previous hash, its model and its stored content digest."""
    return _keyed(key, prev_hash, record._meta.label, record.content_digest)


def erasure_seal(record: models.Model, key: bytes) -> str:
    return _keyed(key, "erased", record.record_hash)


def seal_record(record: models.Model, prev_hash: str, seq: int, key: bytes) -> None:
    """Fill a row's chain fields in memory for position `seq` after `prev_hash`."""
    if erasable_fields(record) and not record.personal_salt:
        record.personal_salt = secrets.token_hex(16)
    record.personal_digest = personal_digest(record, key)
    record.content_digest = content_digest(record)
    record.chain_seq = seq
    record.prev_hash = prev_hash
    record.record_hash = link_hash(prev_hash, record, key)


def _save_chain_fields(record: models.Model, using=None) -> None:
    type(record).objects.using(using).filter(pk=record.pk).update(
        **{name: getattr(record, name) for name in CHAIN_FIELDS}
    )


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


def _append_to_chain(history_model, row, using=None) -> None:
    with transaction.atomic(using=using):
        heads = AuditChainHead.objects.using(using)
        # Lock order: a transition locks the case row first, then this chain head (here, when
        # its history row is written). Never lock a case after the head in one transaction.
        head = heads.select_for_update().filter(pk=1).first()
        if head is None:
            # Genesis (a fresh or flushed database); get_or_create settles a race for it.
            heads.get_or_create(pk=1)
            head = heads.select_for_update().get(pk=1)
        # Read the row back so the digest covers exactly what the database stored.
        stored = history_model.objects.using(using).get(pk=row.pk)
        seal_record(stored, head.hash, head.seq + 1, chain_key())
        _save_chain_fields(stored, using)
        head.seq = stored.chain_seq
        head.hash = stored.record_hash
        head.save(update_fields=["seq", "hash"])
    for name in CHAIN_FIELDS:
        setattr(row, name, getattr(stored, name))


@receiver(post_create_historical_record)
def chain_history_record(sender, history_instance, using=None, **kwargs):
    if isinstance(history_instance, ChainedHistoricalRecord):
        _append_to_chain(sender, history_instance, using=using)


def _merged(history_models: Iterable) -> Iterator[models.Model]:
    streams = [
        model.objects.filter(chain_seq__isnull=False).order_by("chain_seq").iterator()
        for model in history_models
    ]
    return heapq.merge(*streams, key=lambda row: row.chain_seq)


def rechain(history_models: Iterable, head_model, key: bytes) -> tuple[int, str]:
    """Recompute every chained row's digests and hashes under `key`, numbering them 1..n in
    their current order, and move the head. Used by the migration that introduced the keyed
    scheme; with a wrong key it is exactly what a forger without the key can do."""
    prev, seq = GENESIS_HASH, 0
    for record in _merged(list(history_models)):
        seq += 1
        seal_record(record, prev, seq, key)
        _save_chain_fields(record)
        prev = record.record_hash
    head_model.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})
    return seq, prev


def blank_personal_data(record: models.Model) -> None:
    """Erase a history row's erasable fields without breaking the chain (see the module doc)."""
    fields = erasable_fields(record)
    if not fields:
        return
    for name in fields:
        field = record._meta.get_field(name)
        setattr(record, field.attname, None if field.null else "")
    record.personal_salt = ""
    record.erasure_seal = erasure_seal(record, chain_key())
    type(record).objects.filter(pk=record.pk).update(
        personal_salt="",
        erasure_seal=record.erasure_seal,
        **{record._meta.get_field(n).attname: getattr(record, n) for n in fields},
    )


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


def current_head() -> ChainHead:
    """The last link of the chain as committed now (for reports and publication)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return ChainHead(head.seq, head.hash) if head else ChainHead(0, GENESIS_HASH)


def published_line(day: date, seq: int, hash_: str) -> str:
    return f"{day.isoformat()} {seq} {hash_}"


def publish_head(today: date | None = None) -> tuple[PublishedChainHead, bool]:
    """Publish today's chain head once; later calls the same day return the first one."""
    today = today or timezone.localdate()
    head = current_head()
    return PublishedChainHead.objects.get_or_create(
        date=today, defaults={"seq": head.seq, "hash": head.hash}
    )


@dataclass(frozen=True)
class PublishedHead:
    date: date
    seq: int
    hash: str


class PublishedFileError(ValueError):
    """A line of a saved published-heads file that is not `DATE SEQ HASH`."""


def parse_published(text: str) -> list[PublishedHead]:
    """Read the plain-text list of published heads as an auditor saved it."""
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            day, seq, hash_ = line.split()
            head = PublishedHead(date.fromisoformat(day), int(seq), hash_.lower())
        except ValueError as error:
            raise PublishedFileError(f"line {number} is not 'DATE SEQ HASH': {line!r}") from error
        if len(head.hash) != 64 or head.seq < 0:
            raise PublishedFileError(f"line {number} is not 'DATE SEQ HASH': {line!r}")
        heads.append(head)
    return heads


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    problem: str = ""
    model: str = ""
    record_id: str = ""
    position: int | None = None
    erased: int = 0


def _chain_order() -> Iterator[models.Model]:
    streams = []
    for model in chained_history_models():
        unchained = model.objects.filter(chain_seq__isnull=True).first()
        if unchained is not None:
            # A row outside the chain was written around the audit trail.
            streams.append(iter([unchained]))
    streams.append(_merged(chained_history_models()))
    return heapq.merge(*streams, key=lambda row: row.chain_seq or 0)


def _personal_break(record, key: bytes) -> str:
    if not erasable_fields(record):
        return ""
    if record.erasure_seal:
        if record.erasure_seal != erasure_seal(record, key):
            return "personal data was blanked without a valid erasure seal"
        if any(getattr(record, name) not in ("", None) for name in erasable_fields(record)):
            return "an erased record holds personal data again"
        return ""
    if personal_digest(record, key) != record.personal_digest:
        return "personal data does not match its digest (the record was edited)"
    return ""


def _first_break(record, position: int, expected_prev: str, key: bytes) -> str:
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
    if content_digest(record) != record.content_digest:
        return "content does not match its hash (the record was edited)"
    if link_hash(record.prev_hash, record, key) != record.record_hash:
        return "hash was not made with the chain key (the chain was recomputed without it)"
    return _personal_break(record, key)


def _live_break() -> tuple[str, str, str]:
    """(model, pk, problem) of the first live row that differs from its latest history row
    (e.g. after a queryset .update() that wrote no history), or of a row deleted without a
    history record; ("", "", "") if none."""
    for history_model in chained_history_models():
        live_model = history_model.instance_type
        pk_name = live_model._meta.pk.attname
        names = [field.attname for field in history_model.tracked_fields]
        ignored = set(UNTRACKED_UPDATES.get(live_model._meta.label, ()))
        ignored |= set(ERASABLE_FIELDS.get(history_model._meta.label, ()))
        latest = {}
        rows = history_model.objects.filter(chain_seq__isnull=False).order_by("chain_seq")
        for row in rows.values_list("history_type", *names).iterator():
            values = dict(zip(names, row[1:], strict=True))
            latest[values[pk_name]] = (row[0], values)
        for values in live_model._base_manager.values(*names).iterator():
            pk = values[pk_name]
            kind, recorded = latest.pop(pk, ("", None))
            if recorded is None:
                problem = "has no history record"
            elif kind == "-":
                problem = "is deleted in its history but still present"
            else:
                changed = sorted(
                    name
                    for name in names
                    if name not in ignored and _plain(values[name]) != _plain(recorded[name])
                )
                if not changed:
                    continue
                problem = (
                    f"differs from its latest history record in {', '.join(changed)} "
                    "(changed without history, e.g. a queryset update)"
                )
            return live_model._meta.label, str(pk), problem
        # What is left was never seen live: its history must end with its deletion.
        for pk, (kind, _recorded) in latest.items():
            if kind != "-":
                return live_model._meta.label, str(pk), "is gone but its history has no deletion"
    return "", "", ""


def verify_chain(published: Iterable[PublishedHead] = ()) -> ChainReport:
    """Walk the whole chain; report the first record that was changed, moved, added or removed,
    a published head the chain no longer contains, or a live row its history does not explain.

    Heads published in this database are checked too, but only copies kept elsewhere (the
    `published` lines an auditor saved) resist someone who holds the chain key."""
    key = chain_key()
    wanted = {row.seq: row for row in PublishedChainHead.objects.all()}
    wanted.update({row.seq: row for row in published})
    expected_prev = GENESIS_HASH
    position = erased = 0

    def broken(problem: str, record=None, at: int | None = None, checked: int | None = None):
        return ChainReport(
            ok=False,
            checked=position - 1 if checked is None else checked,
            head_hash=expected_prev,
            problem=problem,
            model=record._meta.label if record is not None else "",
            record_id=str(record.pk) if record is not None else "",
            position=position if at is None else at,
        )

    for record in _chain_order():
        position += 1
        problem = _first_break(record, position, expected_prev, key)
        if problem:
            return broken(problem, record)
        anchor = wanted.get(position)
        if anchor is not None and anchor.hash != record.record_hash:
            return broken(
                f"the head published for {anchor.date} was #{anchor.seq} {anchor.hash}; "
                "the chain holds another record there (rewritten after publication)",
                record,
            )
        erased += bool(record.erasure_seal)
        expected_prev = record.record_hash

    beyond = [row for seq, row in sorted(wanted.items()) if seq > position]
    if beyond:
        return broken(
            f"chain ends at #{position} but the head published for {beyond[0].date} was "
            f"#{beyond[0].seq}: records were removed",
            at=position + 1,
            checked=position,
        )
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None and position:
        return broken("the chain head is missing", at=position + 1, checked=position)
    if head is not None and (head.seq, head.hash) != (position, expected_prev):
        return broken(
            f"chain ends at #{position} but its head says #{head.seq}: "
            "records at the end were removed",
            at=position + 1,
            checked=position,
        )
    model, pk, problem = _live_break()
    if problem:
        return ChainReport(
            ok=False,
            checked=position,
            head_hash=expected_prev,
            problem=problem,
            model=model,
            record_id=pk,
        )
    return ChainReport(ok=True, checked=position, head_hash=expected_prev, erased=erased)
