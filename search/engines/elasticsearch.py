"""Elasticsearch: the connection (made once from settings, for search and health checks) and
the outcome search engine on it."""

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import elasticsearch_dsl as dsl
from django.conf import settings
from elastic_transport import TransportError
from elasticsearch import Elasticsearch, helpers
from elasticsearch import exceptions as es_exceptions
from elasticsearch_dsl import analyzer, connections, token_filter

from search import queries
from search.engines.base import FACETS, Hit, SearchParams, SearchResult


class SearchEngineUnavailable(Exception):
    """Elasticsearch is configured but does not answer, or answers that it is unhealthy."""


def is_configured() -> bool:
    return bool(settings.ELASTICSEARCH_URL)


def get_client() -> Elasticsearch:
    """The shared client of ELASTICSEARCH_URL, registered as elasticsearch-dsl's default
    connection. Kept per URL: a client kept regardless of the setting went on sending to the
    first URL it was made for after the setting changed (a test's dead engine reached the
    live one, so nothing was queued for retry)."""
    client = client_for(settings.ELASTICSEARCH_URL)
    connections.add_connection("default", client)
    return client


@cache
def client_for(url: str) -> Elasticsearch:
    return Elasticsearch(url, request_timeout=10, retry_on_timeout=True)


def index_name(name: str) -> str:
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-{name}"


def cluster_health() -> dict:
    """Cluster status; the test distribution answers 405 to `GET /`, so ping() cannot be used."""
    try:
        health = get_client().options(request_timeout=5).cluster.health()
    except Exception as error:  # any transport or HTTP failure means "unavailable"
        raise SearchEngineUnavailable(str(error)) from error
    if health["status"] not in ("green", "yellow"):
        raise SearchEngineUnavailable(f"cluster status is {health['status']}")
    return {"status": health["status"], "nodes": health["number_of_nodes"]}


# -- the outcome index ------------------------------------------------------------------------
#
# Analysis is built only from what Elasticsearch's server core carries, so the very same
# mapping runs on the test distribution (integ-test-zip: no analysis-common module) and on a
# full cluster: the standard tokenizer, lowercase, stop filters with our own word lists
# (search/analysis/) and hunspell with Debian's en_US and sw_TZ dictionaries. A full cluster
# would also fold accents (the `asciifolding` filter, so "Dodoma" and "Dódoma" meet); it lives
# in analysis-common, which the core lacks, and a mapping that names it would not even create
# the index there. It is left out rather than made to differ between the two.

MAPPING_VERSION = 1  # bump on any change of the mapping or analysis: `rebuild` then moves to it
ANALYSIS = Path(__file__).resolve().parent.parent / "analysis"
BULK_CHUNK = 500


def _stopwords(language: str) -> list[str]:
    lines = (ANALYSIS / f"stopwords_{language}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _text_analyzer(language: str, locale: str):
    return analyzer(
        f"text_{language}",
        tokenizer="standard",
        filter=[
            "lowercase",
            token_filter(f"stop_{language}", "stop", stopwords=_stopwords(language)),
            token_filter(f"hunspell_{language}", "hunspell", locale=locale, dedup=True),
        ],
    )


TEXT_EN = _text_analyzer("en", "en_US")
TEXT_SW = _text_analyzer("sw", "sw_TZ")
WORDS = analyzer("words", tokenizer="standard", filter=["lowercase"])  # the spelling suggester's


def _public_text():
    """Analysed for both languages, whatever the outcome's own: a Swahili word in an English
    outcome (a place, a service's name) is found from either."""
    return dsl.Text(analyzer=TEXT_EN, fields={"sw": dsl.Text(analyzer=TEXT_SW)}, copy_to="words")


def _named():
    return dsl.Object(properties={"id": dsl.Keyword()}, dynamic=False)


class OutcomeIndexDocument(dsl.Document):
    reference = dsl.Keyword()
    version = dsl.Keyword()
    language = dsl.Keyword()
    kind = dsl.Keyword()
    institution = _named()
    institutions = dsl.Keyword()
    ancestors = dsl.Object(enabled=False)
    service = _named()
    region = _named()
    district = _named()
    areas = dsl.Keyword()
    submitted_at = dsl.Date()
    resolved_at = dsl.Date()
    published_at = dsl.Date()
    year = dsl.Integer()
    promised_days = dsl.Integer()
    days_taken = dsl.Integer()
    deadline_met = dsl.Boolean()
    status = dsl.Keyword()
    satisfaction = dsl.Keyword()
    rating = dsl.Short()
    referral_count = dsl.Integer()
    escalation_count = dsl.Integer()
    reopen_count = dsl.Integer()
    summary = _public_text()
    response = _public_text()
    words = dsl.Text(analyzer=WORDS)

    class Meta:
        dynamic = dsl.MetaField(False)


def alias_name() -> str:
    return index_name("outcomes")


def _new_index(name: str, *, shards: int = 1) -> dsl.Index:
    index = dsl.Index(name)
    index.settings(number_of_shards=shards, number_of_replicas=0)
    index.document(OutcomeIndexDocument)
    index.mapping(OutcomeIndexDocument._doc_type.mapping)
    return index


def _unavailable(error: Exception) -> bool:
    if isinstance(error, es_exceptions.ApiError):
        return error.status_code in (429, 502, 503, 504)
    return isinstance(error, TransportError)


def _translated(method):
    """Transport failures become SearchEngineUnavailable: callers (indexing) then know to
    leave their work queued rather than fail."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (TransportError, es_exceptions.ApiError) as error:
            if _unavailable(error):
                raise SearchEngineUnavailable(str(error)) from error
            raise

    return wrapper


def _merged_highlights(found: dict) -> dict[str, list[str]]:
    """summary and response, from whichever analysis (English or Swahili) marked more."""
    merged = {}
    for field in ("summary", "response"):
        candidates = [found.get(field, []), found.get(f"{field}.sw", [])]
        best = max(candidates, key=lambda fragments: sum(f.count("<mark>") for f in fragments))
        if best:
            merged[field] = list(best)
    return merged


def _suggestion(text: str, entries) -> str:
    """The text with each unknown word replaced by the suggester's first option."""
    changed, pieces, position = False, [], 0
    for entry in entries or []:
        options = entry.get("options") or []
        if not options:
            continue
        offset, length = entry["offset"], entry["length"]
        pieces += [text[position:offset], options[0]["text"]]
        position = offset + length
        changed = True
    return "".join([*pieces, text[position:]]) if changed else ""


class ElasticsearchEngine:
    """Outcome search on Elasticsearch: an alias over a versioned index, bodies from
    search.queries, documents exactly as search.documents builds them."""

    name = "elasticsearch"

    def __init__(self, *, refresh: bool = False, shards: int = 1):
        self.refresh = refresh  # tests: every write visible at once
        self.shards = shards

    @property
    def client(self) -> Elasticsearch:
        return get_client()

    @property
    def alias(self) -> str:
        return alias_name()

    def _exists(self) -> bool:
        return bool(self.client.indices.exists_alias(name=self.alias))

    def _ensure_index(self) -> None:
        if not self._exists():
            name = f"{self.alias}-v{MAPPING_VERSION}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
            _new_index(name, shards=self.shards).create(using=self.client)
            self.client.indices.put_alias(index=name, name=self.alias)

    # -- reading ---------------------------------------------------------------------------

    @_translated
    def search(self, params: SearchParams) -> SearchResult:
        if not self._exists():
            return SearchResult(hits=[], total=0, facets={n: [] for n in FACETS}, params=params)
        body = queries.build_request(params)
        response = self.client.search(index=self.alias, body=body)
        hits = [
            Hit(
                reference=hit["_id"],
                document=hit["_source"],
                highlights=_merged_highlights(hit.get("highlight", {})),
                score=hit.get("_score"),
            )
            for hit in response["hits"]["hits"]
        ]
        facets = {
            name: queries.sorted_facet(
                (bucket.get("key_as_string", str(bucket["key"])), bucket["doc_count"])
                for bucket in response["aggregations"][name]["values"]["buckets"]
            )
            for name in FACETS
        }
        suggestion = ""
        if params.text:
            suggestion = _suggestion(
                params.text, response.get("suggest", {}).get(queries.SUGGEST_NAME)
            )
        return SearchResult(
            hits=hits,
            total=response["hits"]["total"]["value"],
            facets=facets,
            params=params,
            suggestion=suggestion,
        )

    @_translated
    def similar(self, reference: str, *, limit: int = 5) -> list[Hit]:
        if not self._exists():
            return []
        body = queries.similar_request(self.alias, reference, limit=limit)
        try:
            response = self.client.search(index=self.alias, body=body)
        except es_exceptions.NotFoundError:
            return []
        return [
            Hit(reference=hit["_id"], document=hit["_source"], score=hit.get("_score"))
            for hit in response["hits"]["hits"]
            if hit["_id"] != reference
        ]

    @_translated
    def scan(self, params: SearchParams) -> Iterator[dict]:
        if not self._exists():
            return
        body = queries.build_request(params)
        query = {key: body[key] for key in ("query", "post_filter", "sort") if key in body}
        for hit in helpers.scan(self.client, index=self.alias, query=query, preserve_order=True):
            yield hit["_source"]

    @_translated
    def indexed_versions(self) -> dict[str, str]:
        if not self._exists():
            return {}
        query = {"_source": ["version"], "query": {"match_all": {}}}
        return {
            hit["_id"]: hit["_source"].get("version", "")
            for hit in helpers.scan(self.client, index=self.alias, query=query, size=2000)
        }

    # -- writing ---------------------------------------------------------------------------

    def _bulk(self, actions, *, index: str, refresh) -> int:
        done, _errors = helpers.bulk(
            self.client,
            actions,
            index=index,
            chunk_size=BULK_CHUNK,
            refresh=refresh,
            ignore_status=(404,),
        )
        return done

    @_translated
    def index(self, documents: list[dict]) -> None:
        documents = list(documents)
        if not documents:
            return
        self._ensure_index()
        actions = ({"_id": d["reference"], "_source": d} for d in documents)
        self._bulk(actions, index=self.alias, refresh=self.refresh)

    @_translated
    def remove(self, references: list[str]) -> None:
        if not references or not self._exists():
            return
        actions = ({"_op_type": "delete", "_id": r} for r in references)
        self._bulk(actions, index=self.alias, refresh=self.refresh)

    @_translated
    def rebuild(self, documents, *, progress=None) -> int:
        """A new versioned index beside the live one, loaded by client-side bulk (the core
        has no _reindex), then the alias switched in one atomic call and the old deleted:
        searches never see a half-built index."""
        client = self.client
        name = f"{self.alias}-v{MAPPING_VERSION}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        index = _new_index(name, shards=self.shards)
        index.settings(refresh_interval="-1")  # no refreshes while loading
        index.create(using=client)
        count = 0
        try:
            for ok, _item in helpers.streaming_bulk(
                client,
                ({"_id": d["reference"], "_source": d} for d in documents),
                index=name,
                chunk_size=BULK_CHUNK,
            ):
                count += ok
                if progress and count % BULK_CHUNK == 0:
                    progress(count)
            client.indices.put_settings(index=name, settings={"refresh_interval": "1s"})
            client.indices.refresh(index=name)
        except Exception:
            client.indices.delete(index=name, ignore_unavailable=True)
            raise
        old = list(client.indices.get_alias(name=self.alias)) if self._exists() else []
        client.indices.update_aliases(
            actions=[{"remove": {"index": o, "alias": self.alias}} for o in old]
            + [{"add": {"index": name, "alias": self.alias}}]
        )
        if old:
            client.indices.delete(index=",".join(old), ignore_unavailable=True)
        if progress:
            progress(count)
        return count
