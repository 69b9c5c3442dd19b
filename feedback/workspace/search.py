"""Finding cases in the inbox by what was typed: a reference however it was written, or words
of the subject and description (PostgreSQL full text through a GIN index, migration 0016)."""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from feedback import references

# "simple": no stemming or stop words, so Swahili and English words match alike.
CONFIG = "simple"


def case_words() -> SearchVector:
    """The expression the GIN index holds and the search filters on (they must be the same)."""
    return SearchVector("subject", "description", config=CONFIG)


def search_cases(cases: QuerySet, text: str) -> QuerySet:
    """A reference however it was typed ("123 456-7890"), the start of one, or words that all
    appear in the subject or the description."""
    text = text.strip()
    try:
        return cases.filter(reference=references.normalize(text))
    except references.InvalidReference:
        pass
    digits = "".join(ch for ch in text if ch not in " -./")
    if digits.isascii() and digits.isdigit():
        return cases.filter(reference__startswith=digits)
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=CONFIG, search_type="plain")
        return cases.annotate(words=case_words()).filter(words=query)
    for word in text.split():
        cases = cases.filter(Q(subject__icontains=word) | Q(description__icontains=word))
    return cases
