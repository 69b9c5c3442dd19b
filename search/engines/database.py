"""The embedded default engine: the database's own full-text search, no search server.

Documents live in search.models.OutcomeDocument (the document as Elasticsearch would hold
it, the sort columns, the text) with their facet values in OutcomeFacet: a filter is an
EXISTS on that table, a facet's counts one GROUP BY. The text is searched by PostgreSQL's
full-text search (weighted tsvector, GIN index, ts_rank, ts_headline) or by SQLite's FTS5
(bm25, highlight()), both behind `_TextIndex`. Same protocol, same result shape as the
Elasticsearch engine; where the database cannot do what Elasticsearch does, it says so.
"""

import functools
import html
import operator
import re
from collections.abc import Iterator

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL

from search.engines.base import FACETS, Hit, SearchParams, SearchResult
from search.models import OutcomeDocument, OutcomeFacet
from search.queries import active_filters, sort_order, sorted_facet

WORD = re.compile(r"\w+")
# Marks around matched words while the text is still raw: the text is HTML-escaped after the
# database marked it, then the marks become <mark>, so no other markup survives.
START, STOP = "\x02", "\x03"
CHUNK = 500
SIMILAR_WORDS = 30
FTS_TABLE = "outcomes_search_fts"
TEXT_CONFIGS = {"en": "english", "sw": "simple"}  # PostgreSQL has no Swahili configuration


def words_of(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        seen.setdefault(word, None)
    return list(seen)


def marked(text: str) -> str:
    return html.escape(text).replace(START, "<mark>").replace(STOP, "</mark>")


def facet_values(document: dict) -> list[tuple[str, str]]:
    """(facet, value) pairs of one document, spelled as the URL and active_filters spell them."""
    pairs = [("institution", str(i)) for i in document["institutions"]]
    pairs += [("region", str(a)) for a in document["areas"]]
    pairs.append(("kind", document["kind"]))
    if document.get("service"):
        pairs.append(("service", str(document["service"]["id"])))
    if document.get("year"):
        pairs.append(("year", str(document["year"])))
    pairs.append(("deadline_met", "true" if document["deadline_met"] else "false"))
    pairs.append(("satisfaction", document["satisfaction"]))
    return list(dict.fromkeys(pairs))


class _SQLiteText:
    """FTS5 (porter stemming over unicode61 words): bm25 ranking, highlight()."""

    @staticmethod
    def _expression(words: list[str], joiner: str) -> str:
        return f" {joiner} ".join('"{}"'.format(w.replace('"', '""')) for w in words)

    def write(self, rows: list[OutcomeDocument]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, summary, response) VALUES (%s, %s, %s)",  # nosec B608  # FTS_TABLE is a constant; values are parameters
                [(row.pk, row.summary, row.response) for row in rows],
            )

    def delete(self, ids: list[int] | None) -> None:
        with connection.cursor() as cursor:
            if ids is None:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")  # nosec B608  # FTS_TABLE is a constant; values are parameters
            elif ids:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", ids)  # nosec B608  # FTS_TABLE is a constant; ids are parameters

    def matching(self, queryset, words: list[str]):
        matches = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # nosec B608  # FTS_TABLE is a constant; the match is a parameter
        return queryset.filter(pk__in=RawSQL(matches, [self._expression(words, "AND")]))  # nosec B611  # the SQL above is constant; words are parameters

    def ranked(self, queryset, words: list[str], *, any_word: bool = False):
        # bm25 is lower for better matches; weights: summary 2, response 1. NULL: no match.
        expression = self._expression(words, "OR" if any_word else "AND")
        table = OutcomeDocument._meta.db_table
        score = (
            f"(SELECT -bm25({FTS_TABLE}, 2.0, 1.0) FROM {FTS_TABLE} "  # nosec B608  # constant table names; the match is a parameter
            f"WHERE {FTS_TABLE} MATCH %s AND rowid = {table}.id)"
        )
        return queryset.annotate(rank=RawSQL(score, [expression]))  # nosec B611  # the SQL above is constant; words are parameters

    def highlights(self, ids: list[int], words: list[str]) -> dict[int, dict[str, str]]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT rowid, highlight({FTS_TABLE}, 0, %s, %s), highlight({FTS_TABLE}, 1, %s, %s) "  # nosec B608  # FTS_TABLE is a constant; values are parameters
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})"
        )
        args = [START, STOP, START, STOP, self._expression(words, "OR"), *ids]
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return {pk: {"summary": s, "response": r} for pk, s, r in cursor.fetchall()}


class _PostgresText:
    """A weighted tsvector (summary A, response B) in the document's language's configuration,
    searched with each word in both configurations, so a Swahili word is found from English."""

    @staticmethod
    def _query(words: list[str], *, any_word: bool = False) -> SearchQuery:
        queries = [
            SearchQuery(word, config="english") | SearchQuery(word, config="simple")
            for word in words
        ]
        return functools.reduce(operator.or_ if any_word else operator.and_, queries)

    def write(self, rows: list[OutcomeDocument]) -> None:
        config = F("text_config")
        OutcomeDocument.objects.filter(pk__in=[row.pk for row in rows]).update(
            search_vector=SearchVector("summary", config=config, weight="A")
            + SearchVector("response", config=config, weight="B")
        )

    def delete(self, ids: list[int] | None) -> None:
        """The vector is a column of the document row: it goes with the row."""

    def matching(self, queryset, words: list[str]):
        return queryset.filter(search_vector=self._query(words))

    def ranked(self, queryset, words: list[str], *, any_word: bool = False):
        query = self._query(words, any_word=any_word)
        return queryset.annotate(rank=SearchRank(F("search_vector"), query))

    def highlights(self, ids: list[int], words: list[str]) -> dict[int, dict[str, str]]:
        if not ids:
            return {}
        query = self._query(words, any_word=True)
        options = {"config": F("text_config"), "start_sel": START, "stop_sel": STOP}
        rows = OutcomeDocument.objects.filter(pk__in=ids).annotate(
            summary_marked=SearchHeadline("summary", query, highlight_all=True, **options),
            response_marked=SearchHeadline("response", query, highlight_all=True, **options),
        )
        return {
            pk: {"summary": s, "response": r}
            for pk, s, r in rows.values_list("pk", "summary_marked", "response_marked")
        }


class DatabaseEngine:
    name = "database"

    @property
    def _text(self):
        return _PostgresText() if connection.vendor == "postgresql" else _SQLiteText()

    # -- reading ---------------------------------------------------------------------------

    def _filtered(self, params: SearchParams, *, except_facet: str = ""):
        queryset = OutcomeDocument.objects.all()
        for name, value in active_filters(params).items():
            if name != except_facet:
                has_value = OutcomeFacet.objects.filter(
                    document=OuterRef("pk"), name=name, value=value
                )
                queryset = queryset.filter(Exists(has_value))
        if params.text:
            words = words_of(params.text)
            queryset = self._text.matching(queryset, words) if words else queryset.none()
        return queryset

    def _ordered(self, queryset, params: SearchParams):
        order = sort_order(params)
        if order == "relevance":
            queryset = self._text.ranked(queryset, words_of(params.text))
            return queryset.order_by(F("rank").desc(nulls_last=True), "-published_at", "reference")
        if order == "fastest":
            return queryset.order_by(
                F("days_taken").asc(nulls_last=True), "-published_at", "reference"
            )
        return queryset.order_by("-published_at", "reference")

    def _facet(self, name: str, params: SearchParams):
        counts = (
            OutcomeFacet.objects.filter(
                name=name, document__in=self._filtered(params, except_facet=name).values("pk")
            )
            .values_list("value")
            .annotate(count=Count("document_id"))
            .order_by()
        )
        return sorted_facet(counts)

    def search(self, params: SearchParams) -> SearchResult:
        filtered = self._filtered(params)
        total = filtered.count()
        start = (params.page - 1) * params.page_size
        rows = list(
            self._ordered(filtered, params).values_list("pk", "reference", "document")[
                start : start + params.page_size
            ]
        )
        marks = {}
        if params.text and rows:
            marks = self._text.highlights([pk for pk, _r, _d in rows], words_of(params.text))
        hits = [
            Hit(reference=reference, document=document, highlights=self._fragments(marks.get(pk)))
            for pk, reference, document in rows
        ]
        facets = {name: self._facet(name, params) for name in FACETS}
        return SearchResult(hits=hits, total=total, facets=facets, params=params)

    @staticmethod
    def _fragments(marked_fields: dict[str, str] | None) -> dict[str, list[str]]:
        if not marked_fields:
            return {}
        return {
            field: [marked(text)] for field, text in marked_fields.items() if text and START in text
        }

    def similar(self, reference: str, *, limit: int = 5) -> list[Hit]:
        """The database has no more-like-this: outcomes of the same service (or, without one,
        the same institution), ranked by how many of this outcome's words they share
        (bm25 or ts_rank over an OR of its words), then newest."""
        source = OutcomeDocument.objects.filter(reference=reference).first()
        if source is None:
            return []
        document = source.document
        near = Q(document__institution__id=document["institution"]["id"])
        if document.get("service"):
            near = Q(document__service__id=document["service"]["id"])
        candidates = OutcomeDocument.objects.filter(near).exclude(pk=source.pk)
        words = [w for w in words_of(f"{source.summary} {source.response}") if len(w) > 2]
        if words:
            candidates = self._text.ranked(candidates, words[:SIMILAR_WORDS], any_word=True)
            ordering = [F("rank").desc(nulls_last=True), "-published_at", "reference"]
        else:
            ordering = ["-published_at", "reference"]
        rows = candidates.order_by(*ordering).values_list("reference", "document")[:limit]
        return [Hit(reference=r, document=d) for r, d in rows]

    def scan(self, params: SearchParams) -> Iterator[dict]:
        ordered = self._ordered(self._filtered(params), params)
        yield from ordered.values_list("document", flat=True).iterator(chunk_size=CHUNK)

    def indexed_versions(self) -> dict[str, str]:
        return dict(OutcomeDocument.objects.values_list("reference", "version"))

    # -- writing ---------------------------------------------------------------------------

    def index(self, documents: list[dict]) -> None:
        documents = list(documents)
        for start in range(0, len(documents), CHUNK):
            chunk = documents[start : start + CHUNK]
            with transaction.atomic():
                self._delete([d["reference"] for d in chunk])
                self._insert(chunk)

    def remove(self, references: list[str]) -> None:
        with transaction.atomic():
            self._delete(list(references))

    def rebuild(self, documents, *, progress=None) -> int:
        """Everything replaced in one transaction: readers see the old table until it commits."""
        count = 0
        with transaction.atomic():
            self._text.delete(None)
            OutcomeFacet.objects.all().delete()
            OutcomeDocument.objects.all().delete()
            chunk: list[dict] = []
            for document in documents:
                chunk.append(document)
                if len(chunk) == CHUNK:
                    count += self._insert(chunk)
                    chunk = []
                    if progress:
                        progress(count)
            count += self._insert(chunk)
            if progress:
                progress(count)
        return count

    def _insert(self, documents: list[dict]) -> int:
        if not documents:
            return 0
        rows = OutcomeDocument.objects.bulk_create(
            [
                OutcomeDocument(
                    reference=d["reference"],
                    version=d["version"],
                    document=d,
                    language=d["language"],
                    published_at=d["published_at"],
                    days_taken=d["days_taken"],
                    summary=d["summary"],
                    response=d["response"],
                    text_config=TEXT_CONFIGS.get(d["language"], "simple"),
                )
                for d in documents
            ]
        )
        OutcomeFacet.objects.bulk_create(
            [
                OutcomeFacet(document_id=row.pk, name=name, value=value)
                for row in rows
                for name, value in facet_values(row.document)
            ]
        )
        self._text.write(rows)
        return len(rows)

    def _delete(self, references: list[str]) -> None:
        ids = list(
            OutcomeDocument.objects.filter(reference__in=references).values_list("pk", flat=True)
        )
        if ids:
            self._text.delete(ids)
            OutcomeFacet.objects.filter(document_id__in=ids).delete()
            OutcomeDocument.objects.filter(pk__in=ids).delete()
