"""Every published outcome against the search index: what is missing, stale or extra."""

from dataclasses import dataclass, field

from feedback.models import Case
from search.documents import documents_for_cases, public_documents


@dataclass
class Verification:
    missing: list[str] = field(default_factory=list)  # public, not in the index
    stale: list[str] = field(default_factory=list)  # in the index with another version
    extra: list[str] = field(default_factory=list)  # in the index, no longer public
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def verify(engine) -> Verification:
    indexed = engine.indexed_versions()
    result = Verification()
    for document in public_documents():
        result.checked += 1
        version = indexed.pop(document["reference"], None)
        if version is None:
            result.missing.append(document["reference"])
        elif version != document["version"]:
            result.stale.append(document["reference"])
    result.extra = sorted(indexed)
    return result


def repair(engine, result: Verification) -> int:
    """Push what `verify` found missing or stale and remove what is extra; the number fixed.

    A rebuild reads the outcomes while they may still change: a change pushed meanwhile
    lands in the old index and is lost when the alias switches. Verifying and repairing
    right after the switch closes that gap (later changes reach the new index directly)."""
    if result.extra:
        engine.remove(result.extra)
    wanted = set(result.missing) | set(result.stale)
    if wanted:
        case_ids = Case.objects.filter(reference__in=wanted).values_list("pk", flat=True)
        documents = documents_for_cases(case_ids)
        engine.index(list(documents.values()))
    return len(result.extra) + len(wanted)
