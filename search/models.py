"""The database engine's documents, and the queue that keeps every engine current."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutcomeDocument(models.Model):
    """One published outcome as the database engine stores it: the document itself (exactly
    what Elasticsearch would hold), the columns its sorts need and the text it searches.

    On PostgreSQL `search_vector` holds the weighted words (GIN-indexed, migration 0001); on
    SQLite the text also lives in the FTS5 table `outcomes_search_fts` (rowid = id).
    """

    reference = models.CharField(max_length=10, unique=True)
    version = models.CharField(max_length=40)
    document = models.JSONField()
    language = models.CharField(max_length=5)
    published_at = models.DateTimeField(null=True)
    days_taken = models.IntegerField(null=True)
    summary = models.TextField()
    response = models.TextField()
    # PostgreSQL's text search configuration for this document's language: it has no Swahili,
    # so Swahili text is indexed word for word ("simple").
    text_config = models.CharField(max_length=20)
    search_vector = SearchVectorField(null=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        indexes = [
            models.Index(fields=["-published_at", "reference"]),
            models.Index(fields=["days_taken", "-published_at"]),
        ]

    def __str__(self) -> str:
        return self.reference


class OutcomeFacet(models.Model):
    """One facet value of one document (a document has several `institutions` and `areas`):
    filters are EXISTS on this table, counts one GROUP BY per facet."""

    document = models.ForeignKey(OutcomeDocument, on_delete=models.CASCADE, related_name="facets")
    name = models.CharField(max_length=20)
    value = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("search facet value")
        verbose_name_plural = _("search facet values")
        indexes = [models.Index(fields=["name", "value", "document"])]
        constraints = [
            models.UniqueConstraint(fields=["document", "name", "value"], name="unique_facet_value")
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class PendingIndexUpdate(models.Model):
    """A case whose public outcome changed and is not yet in step with the search engine.

    Written in the same transaction as the change; deleted once the engine has taken the
    document (or its removal). While the engine is down the row stays, with the error."""

    case_id = models.BigIntegerField(unique=True)  # no foreign key: an erased case still leaves
    reference = models.CharField(max_length=10)  # its document to remove
    queued_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("pending search index update")
        verbose_name_plural = _("pending search index updates")
        ordering = ["queued_at", "pk"]

    def __str__(self) -> str:
        return self.reference
