"""The public pages of outcomes: the search, one outcome, the open-data downloads and their
field reference.

Views stay thin: the form validates the query string into SearchParams, the engine behind
search.engines.get_engine() answers, the template shows it. Whatever the engine returns,
only outcomes that PublicOutcome.objects.public() still holds are shown or downloaded.
"""

from itertools import islice

from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import get_language
from wagtail.models import Locale, Page

from config.page_cache import public_page
from feedback.models import PublicOutcome
from search import display, facets, opendata
from search.documents import OPEN_DATA_FIELDS, document_for, flatten, public_outcomes
from search.engines import get_engine
from search.engines.base import SearchParams
from search.engines.elasticsearch import SearchEngineUnavailable
from search.forms import SearchForm, page_count, page_past_end

GUIDANCE_PAGES = 5
SIMILAR = 5
# References checked against the database at a time while a download streams.
DOWNLOAD_BATCH = 500


def _language() -> str:
    return "sw" if get_language() == "sw" else "en"


def still_public(references: list[str]) -> set[str]:
    """Which of these references are public now, in one query. The index may lag behind a
    withdrawal (its removal is a background task), so every page and download asks the
    database, not the index, whether an outcome may still be shown."""
    return set(
        PublicOutcome.objects.public()
        .filter(case__reference__in=references)
        .values_list("case__reference", flat=True)
    )


def _guidance_pages(text: str):
    """Published guidance pages in the reader's language that Wagtail's own search finds."""
    if not text:
        return []
    try:
        locale = Locale.get_active()
    except Locale.DoesNotExist:
        return []
    return list(Page.objects.live().public().filter(locale=locale).search(text)[:GUIDANCE_PAGES])


@public_page  # kept per full URL (the query string too) until an outcome changes
def search(request):
    language = _language()
    form = SearchForm(request.GET, language=language)
    if not form.is_valid():
        return _invalid(request, form)
    params = form.search_params
    try:
        result = get_engine().search(params)
    except SearchEngineUnavailable:
        context = {"form": form, "params": params, "unavailable": True}
        return TemplateResponse(request, "search/search.html", context, status=503)
    if page_past_end(result):  # a stale or edited link: say where the results end
        last = facets.query(params, page=page_count(result))
        return TemplateResponse(
            request, "search/search.html", {"form": form, "last_page_url": last}, status=404
        )
    public = still_public([hit.reference for hit in result.hits])
    hits = [
        (hit, display.outcome(hit.document, language))
        for hit in result.hits
        if hit.reference in public
    ]
    labels = facets.Labels(result, params, language)
    last_page = page_count(result)
    return TemplateResponse(
        request,
        "search/search.html",
        {
            "form": form,
            "params": params,
            "result": result,
            "hits": hits,
            "facets": facets.facets(result, labels),
            "active_filters": facets.active_filters(params, labels),
            "hidden_filters": facets.hidden_filters(params),
            "clear_url": facets.query(SearchParams(language=language)),
            "suggestion_url": (
                facets.query(params, q=result.suggestion) if result.suggestion else ""
            ),
            "pages": _pages(params, last_page),
            "previous_url": facets.query(params, page=params.page - 1) if params.page > 1 else "",
            "next_url": (
                facets.query(params, page=params.page + 1) if params.page < last_page else ""
            ),
            "download_query": facets.query(params),
            "guidance": _guidance_pages(params.text),
        },
    )


def _pages(params, last_page: int) -> list[dict]:
    """Page numbers around the current one, and the first and last, with their links; `gap`
    marks a number that does not follow the one before."""
    around = range(max(1, params.page - 2), min(last_page, params.page + 2) + 1)
    numbers = sorted({1, last_page, *around})
    return [
        {
            "number": number,
            "url": facets.query(params, page=number),
            "gap": i > 0 and number != numbers[i - 1] + 1,
        }
        for i, number in enumerate(numbers)
    ]


@public_page
def outcome(request, reference: str):
    """One published outcome. Anything not public (draft, withdrawn, confidential, without
    consent, unknown) is the same 404, so the answer tells nothing about such a case."""
    language = _language()
    found = public_outcomes().filter(case__reference=reference).first()
    if found is None:
        raise Http404
    shown = display.outcome(document_for(found), language)
    try:
        similar = get_engine().similar(reference, limit=SIMILAR + 1)
    except SearchEngineUnavailable:  # the outcome itself comes from the database: show it
        similar = []
    public = still_public([hit.reference for hit in similar])
    similar = [
        display.outcome(hit.document, language)
        for hit in similar
        if hit.reference in public and hit.reference != reference
    ][:SIMILAR]
    return TemplateResponse(request, "search/outcome.html", {"outcome": shown, "similar": similar})


def _public_documents(params):
    """Every document of this search that is still public, checked in batches as it streams."""
    documents = get_engine().scan(params)
    while batch := list(islice(documents, DOWNLOAD_BATCH)):
        public = still_public([document["reference"] for document in batch])
        yield from (document for document in batch if document["reference"] in public)


def _invalid(request, form):
    """A query string the form refuses: its messages on the search page, and a 400."""
    return TemplateResponse(
        request, "search/search.html", {"form": form, "has_errors": True}, status=400
    )


def _download(request, render, content_type: str, extension: str):
    form = SearchForm(request.GET, language=_language())
    if not form.is_valid():
        return _invalid(request, form)
    columns = [name for name, _type, _meaning in OPEN_DATA_FIELDS]
    rows = (flatten(document) for document in _public_documents(form.search_params))
    response = StreamingHttpResponse(render(rows, columns), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="mrejesho-outcomes.{extension}"'
    return response


def download_csv(request):
    return _download(request, opendata.csv_lines, "text/csv; charset=utf-8", "csv")


def download_json(request):
    return _download(request, opendata.json_chunks, "application/json", "json")


@public_page
def open_data_fields(request):
    fields = [
        {"name": name, "type": kind, "meaning": meaning} for name, kind, meaning in OPEN_DATA_FIELDS
    ]
    return TemplateResponse(request, "search/fields.html", {"fields": fields})
