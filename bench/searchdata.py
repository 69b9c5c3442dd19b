"""Published outcomes in bulk, for the search benchmark: real rows, loaded fast.

`ensure_published(count)` tops the database up to `count` published public outcomes. Each
one is a real `Case` (resolved, closed, appealed or reopened, with the dates, counts and
rating the search document reads), a `Contact` for one case in three, and a `PublicOutcome`
in state published, consented and not confidential, so `PublicOutcome.objects.public()`
returns it. They hang off the demo institution tree and services (`seed_demo`'s
`seed_institutions` and `seed_services`, which this module runs first).

The rows are written with PostgreSQL's COPY, 50,000 at a time, NOT through the workflow:
the workflow takes about 10 ms a case (history rows, the audit chain, events), an hour per
million. So these cases have no history rows, no events and no audit chain links; the search
document does not read any of them. Data made this way is for benchmarks only.

The text is drawn from word lists so that search sees realistic term distributions: English
or Swahili (60/40), words drawn with Zipf weights (a hand-written core of the registry's
vocabulary first, then the hunspell en_US and sw_TZ dictionaries as the long tail), function
words at their usual share, and the words of the case's own service, so that text and facets
correlate the way they do in real feedback. Generation is seeded: the same count gives the
same rows.
"""

import bisect
import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection, transaction

from feedback import demo, encryption, references
from feedback.channels.phones import phone_digest
from feedback.models import Institution, Service

CHUNK = 50_000


def _words(text: str) -> list[str]:
    return text.split()


START = datetime(2023, 1, 2, 6, 0, tzinfo=UTC)
END = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

FUNCTION_WORDS = {
    "en": _words(
        "the of and to a in was is for my that it on with at as i by we have from this not "
        "be but our they an were been after had no which when their all there are has so "
        "or did would still only more than two three about before"
    ),
    "sw": _words(
        "na ya wa kwa la za katika ni kuwa hii hiyo huo lakini pia bado tu sana kama kila "
        "hadi baada kabla bila wala au mimi sisi wao yetu yangu lake zao mara siku mwezi "
        "wiki leo jana tena zaidi"
    ),
}

# The registry's own vocabulary: what complaints and answers are about. Ranked first.
CORE_WORDS = {
    "en": _words(
        "water bill payment office officer delay application passport meter account "
        "electricity power connection days weeks months queue counter document receipt "
        "refund fee charge card number service staff response complaint request problem "
        "supply pipe leak road clinic hospital medicine doctor loan student school tax "
        "licence permit land title plot registration certificate birth identity card "
        "police traffic fine network outage rejected approved corrected credited replaced "
        "repaired paid delayed closed waited visited called promised explained apologised "
        "broken missing wrong late slow rude polite helpful quick village ward district"
    ),
    "sw": _words(
        "maji bili malipo ofisi afisa ucheleweshaji maombi pasipoti mita akaunti umeme "
        "muunganisho siku wiki miezi foleni dirisha hati stakabadhi marejesho ada gharama "
        "kadi namba huduma watumishi majibu malalamiko ombi tatizo usambazaji bomba "
        "kuvuja barabara zahanati hospitali dawa daktari mkopo mwanafunzi shule kodi leseni "
        "kibali ardhi hati kiwanja usajili cheti kuzaliwa kitambulisho polisi usalama faini "
        "mtandao kukatika imekataliwa imeidhinishwa imesahihishwa imerejeshwa imebadilishwa "
        "imerekebishwa imelipwa imechelewa imefungwa nilisubiri nilitembelea nilipiga "
        "waliahidi walieleza samahani imeharibika haipo vibaya kuchelewa polepole haraka "
        "kijiji kata wilaya mkoa"
    ),
}

RESPONSE_OPENINGS = {
    "en": [
        "We checked the matter and",
        "The office reviewed the case and",
        "After a site visit the team",
        "Thank you for writing; we",
    ],
    "sw": [
        "Tumeshughulikia suala hili na",
        "Ofisi imepitia malalamiko na",
        "Baada ya kutembelea eneo timu",
        "Asante kwa kutuandikia; sisi",
    ],
}

DICTIONARIES = {"en": "/usr/share/hunspell/en_US.dic", "sw": "/usr/share/hunspell/sw_TZ.dic"}
_WORD = re.compile(r"^[a-z]{3,}$")  # lower case only: no proper nouns, no abbreviations


def _dictionary(language: str) -> list[str]:
    path = Path(DICTIONARIES[language])
    if not path.exists():  # the long tail is optional; the core alone still searches
        return []
    words = []
    for line in path.read_text(encoding="utf-8", errors="ignore").splitlines()[1:]:
        word = line.split("/", 1)[0].strip()
        if _WORD.match(word):
            words.append(word)
    return words


class Vocabulary:
    """Zipf-weighted content words of one language: the core first, then the dictionary."""

    def __init__(self, language: str, rng: random.Random, exponent: float = 1.1):
        tail = [w for w in _dictionary(language) if w not in set(CORE_WORDS[language])]
        rng.shuffle(tail)
        self.words = CORE_WORDS[language] + tail
        weights = [1 / (rank + 2.7) ** exponent for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]
        self.function = FUNCTION_WORDS[language]

    def draw(self, rng: random.Random) -> str:
        return self.words[bisect.bisect(self.cumulative, rng.random() * self.total)]


def _service_words(service: Service) -> dict[str, list[str]]:
    def words(*texts):
        return [w for t in texts for w in re.findall(r"[a-z]{4,}", t.lower())]

    return {
        "en": words(service.name, service.description, service.institution.name),
        "sw": words(service.name_sw, service.description_sw, service.institution.name_sw),
    }


def _text(rng, vocabulary, topic, low, high, opening=""):
    tokens = [opening] if opening else []
    for position in range(rng.randint(low, high)):
        roll = rng.random()
        if roll < 0.35:
            tokens.append(rng.choice(vocabulary.function))
        elif roll < 0.5 and topic:
            tokens.append(rng.choice(topic))
        else:
            tokens.append(vocabulary.draw(rng))
        if position % 13 == 12:
            tokens[-1] += "."
    text = " ".join(tokens).rstrip(".") + "."
    return text[0].upper() + text[1:]


def _reference(sequence: int) -> str:
    # An affine bijection of 0..10^9-1 (the factor is coprime to 10): unique and random-looking.
    payload = f"{(sequence * 738_219_403 + 91_733) % 1_000_000_000:09d}"
    return payload + references.check_digit(payload)


CASE_COLUMNS = _words(
    "id reference pin_digest kind channel location subject description language is_anonymous "
    "consent_to_publish is_confidential status escalation_level escalated_to_id "
    "rejection_reason referral_count reopen_count escalation_count interim_reply_count "
    "submitted_at acknowledged_at resolved_at closed_at acknowledge_due resolve_due "
    "reopen_until first_acknowledged_at first_resolved_at original_acknowledge_due "
    "original_resolve_due updated_at satisfaction satisfaction_comment institution_id "
    "service_id area_id"
)
OUTCOME_COLUMNS = _words(
    "state language summary response removed written_at review_note published_at updated_at "
    "case_id written_by_id reviewed_by_id"
)
CONTACT_COLUMNS = _words("name phone email notify_by phone_digest email_digest case_id")

KINDS = ("complaint", "complaint", "complaint", "suggestion", "inquiry", "compliment")
CHANNELS = ("web", "ussd", "sms", "service_point", "api", "open311", "web", "ussd")
# (status, weight): the statuses a case with a published outcome can be in now.
STATUSES = (("closed", 55), ("resolved", 33), ("appealed", 6), ("reopened", 6))


class Generator:
    def __init__(self, seed: int = 14):
        rng = random.Random(seed)  # nosec B311  # seeded data for a benchmark, not a secret
        self.vocabulary = {lang: Vocabulary(lang, rng) for lang in ("en", "sw")}
        self.services = list(Service.objects.select_related("institution").order_by("pk"))
        self.topics = {s.pk: _service_words(s) for s in self.services}
        self.areas = list(
            Institution.objects.filter(level__in=["region", "district"]).values_list(
                "pk", flat=True
            )
        )
        self.ancestors = {
            i.pk: [a.pk for a in i.get_ancestors()]
            for i in Institution.objects.filter(pk__in={s.institution_id for s in self.services})
        }
        self.statuses = [s for s, _ in STATUSES]
        self.status_weights = list(itertools.accumulate(w for _, w in STATUSES))
        self.span = (END - START).total_seconds()

    def rows(self, sequence: int, case_id: int, officer: int | None, lead: int | None):
        rng = random.Random(sequence)  # nosec B311  # seeded data for a benchmark, not a secret
        service = self.services[rng.randrange(len(self.services))]
        language = "en" if rng.random() < 0.6 else "sw"
        vocabulary, topic = self.vocabulary[language], self.topics[service.pk][language]
        kind = KINDS[rng.randrange(len(KINDS))]
        status = rng.choices(self.statuses, cum_weights=self.status_weights)[0]
        submitted = START + timedelta(seconds=rng.random() * self.span)
        acknowledged = submitted + timedelta(hours=rng.randint(1, 72))
        resolved = acknowledged + timedelta(hours=rng.randint(4, 24 * 40))
        ack_due = submitted + timedelta(days=service.acknowledge_days + 1)
        resolve_due = submitted + timedelta(days=round(service.resolve_days * 1.4))
        closed = resolved + timedelta(days=rng.randint(1, 10)) if status == "closed" else None
        published = resolved + timedelta(days=rng.randint(1, 14))
        rating = None
        if status == "closed":
            rating = rng.choice((None, 1, 2, 3, 4, 4, 5, 5))
        elif status == "appealed":
            rating = rng.choice((1, 2))
        elif status == "resolved" and rng.random() < 0.2:
            rating = rng.randint(1, 5)
        escalations = rng.choice((0, 0, 0, 0, 0, 1, 1, 2))
        ancestors = self.ancestors[service.institution_id]
        escalated_to = ancestors[-min(escalations, len(ancestors))] if escalations else None
        area = self.areas[rng.randrange(len(self.areas))] if rng.random() < 0.85 else None
        summary = _text(rng, vocabulary, topic, 18, 45)
        case = (
            case_id,
            _reference(sequence),
            "-",
            kind,
            CHANNELS[sequence % len(CHANNELS)],
            "",
            summary[:80].rsplit(" ", 1)[0],
            summary,
            language,
            False,
            True,
            False,
            "in_progress" if status == "reopened" else status,
            1 if escalated_to else 0,
            escalated_to,
            "",
            rng.choice((0, 0, 0, 0, 1, 1, 2)),
            1 if status == "reopened" else 0,
            escalations,
            0,
            submitted,
            acknowledged,
            None if status == "reopened" else resolved,
            closed,
            ack_due,
            resolve_due,
            None,
            acknowledged,
            resolved,
            ack_due,
            resolve_due,
            published,
            rating,
            "",
            service.institution_id,
            service.pk,
            area,
        )
        opening = RESPONSE_OPENINGS[language][rng.randrange(4)]
        outcome = (
            "published",
            language,
            summary,
            _text(rng, vocabulary, topic, 12, 35, opening),
            "[]",
            published - timedelta(days=1),
            "",
            published,
            published,
            case_id,
            officer,
            lead,
        )
        contact = None
        if sequence % 3 == 0:
            # Written by COPY, past Contact.save(): encrypted and digested here, as save() does.
            phone = f"+2557{10_000_000 + sequence % 89_999_999}"
            name, phone_text = encryption.encrypt("Asha Mwinyi"), encryption.encrypt(phone)
            contact = (name, phone_text, "", "sms", phone_digest(phone), "", case_id)
        return case, outcome, contact


def published_count() -> int:
    from feedback.models import PublicOutcome

    return PublicOutcome.objects.public().count()


def _user_id(username: str) -> int | None:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


def ensure_published(count: int, *, progress=print, seed: int = 14) -> int:
    """Top the database up to `count` published outcomes; returns how many were added."""
    if connection.vendor != "postgresql":
        raise SystemExit("the search benchmark's data generator needs PostgreSQL (COPY)")
    demo.seed_institutions()
    demo.seed_services()
    existing = published_count()
    if existing >= count:
        return 0
    generator = Generator(seed)
    officer, lead = _user_id("officer"), _user_id("lead")
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM feedback_case")
        next_id = cursor.fetchone()[0] + 1
        # The sequence number that seeds each row: go on where the last top-up stopped.
        cursor.execute("SELECT count(*) FROM feedback_case WHERE pin_digest = '-'")
        sequence = cursor.fetchone()[0]
    added = 0
    while existing + added < count:
        size = min(CHUNK, count - existing - added)
        cases, outcomes, contacts = [], [], []
        for offset in range(size):
            case, outcome, contact = generator.rows(
                sequence + offset, next_id + offset, officer, lead
            )
            cases.append(case)
            outcomes.append(outcome)
            if contact:
                contacts.append(contact)
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY
            for table, columns, rows in (
                ("feedback_case", CASE_COLUMNS, cases),
                ("feedback_publicoutcome", OUTCOME_COLUMNS, outcomes),
                ("feedback_contact", CONTACT_COLUMNS, contacts),
            ):
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        next_id += size
        sequence += size
        added += size
        progress(f"  generated {existing + added:,} / {count:,} published outcomes")
    with connection.cursor() as cursor:
        for table in ("feedback_case", "feedback_publicoutcome", "feedback_contact"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608  # table names from the literal tuple above
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
            cursor.execute(f"ANALYZE {table}")
    return added


def trim_to(count: int, *, progress=print) -> int:
    """Remove generated outcomes (the newest first) until at most `count` are published, so a
    run at a smaller size after a larger one measures the size it names."""
    excess = published_count() - count
    if excess <= 0:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_trim ON COMMIT DROP AS SELECT id FROM feedback_case "
            "WHERE pin_digest = '-' ORDER BY id DESC LIMIT %s",
            [excess],
        )
        for table in ("feedback_publicoutcome", "feedback_contact"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id IN (SELECT id FROM bench_trim)")  # nosec B608  # table names from the literal tuple above
        cursor.execute("DELETE FROM feedback_case WHERE id IN (SELECT id FROM bench_trim)")
        removed = cursor.rowcount
    progress(f"  removed {removed:,} generated outcomes, down to {count:,}")
    # Reclaim the dead rows now, so the smaller run does not scan a large run's leftovers
    # (VACUUM cannot run inside a transaction: a test's, for one).
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            return removed
        for table in ("feedback_case", "feedback_publicoutcome", "feedback_contact"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return removed
