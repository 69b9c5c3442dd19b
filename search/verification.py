"""Every published outcome against the search index: what is missing, stale or extra."""

from dataclasses import dataclass, field

from search.documents import public_documents


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
