"""The record view the engine reads, and its comparison features.

`DedupRecord` is what phase 2 builds from a row of `records` (or a file's
parsed records): one id and every value the record's occurrences carried.
Identifying fields are lists because a merged record keeps the keys of every
occurrence: a third copy that matches only the second copy's DOI or title must
still be found. `prepare()` turns it into `Features` once, so scoring a pair
never normalises text again; `blocking_fields()` computes only the part the
blocking keys need (a load, for every record it reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable

from . import keys


def _as_tuple(value: Any) -> tuple:
    """A scalar, None, or an iterable of values as a tuple without blanks."""
    if value is None:
        return ()
    if isinstance(value, str):  # most fields of a parsed record: one value
        value = value.strip()
        return (value,) if value else ()
    if isinstance(value, int):
        return (value,)
    out = []
    for item in value:
        if item is None:
            continue
        if isinstance(item, str):
            item = item.strip()
            if not item:
                continue
        out.append(item)
    return tuple(out)


@dataclass(frozen=True)
class DedupRecord:
    """One record as the duplicate finder sees it.

    Every field but `id`, `authors` and `abstract` takes one value or a list
    of values (all occurrences' values of a merged record). `authors` is one
    author list (names as the source wrote them). Unknown values are None or
    empty. Values are the record's own text: the engine normalises them.
    """

    id: Hashable
    titles: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    journals: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    abstract: str | None = None

    @classmethod
    def of(cls, id: Hashable, *, title=None, authors=None, year=None, journal=None, volume=None,
           issue=None, pages=None, doi=None, pmid=None, publication_types=None,
           abstract=None) -> "DedupRecord":
        """Build from scalars or lists: `DedupRecord.of(7, title="X", doi=["a", "b"])`."""
        years = []
        for value in _as_tuple(year):
            try:
                years.append(int(str(value)[:4]))
            except ValueError:
                continue
        return cls(
            id=id, titles=_as_tuple(title), authors=_as_tuple(authors), years=tuple(years),
            journals=_as_tuple(journal), volumes=tuple(map(str, _as_tuple(volume))),
            issues=tuple(map(str, _as_tuple(issue))),
            pages=tuple(map(str, _as_tuple(pages))), dois=_as_tuple(doi),
            pmids=tuple(map(str, _as_tuple(pmid))),
            publication_types=_as_tuple(publication_types), abstract=abstract or None)


def from_record(id: Hashable, record) -> DedupRecord:
    """A DedupRecord from one `records.Record` (a parsed occurrence)."""
    return DedupRecord.of(
        id, title=record.title, authors=record.authors, year=record.year,
        journal=record.journal, volume=record.volume, issue=record.issue, pages=record.pages,
        doi=record.doi, pmid=record.pmid, publication_types=record.publication_types,
        abstract=record.abstract)


# Titles shorter than this (compact characters) or with fewer words name many
# works ("Editorial", "Editor's comments", "Reply"): equal titles prove little.
INFORMATIVE_CHARS = 30
INFORMATIVE_WORDS = 4


@dataclass(eq=False, slots=True)
class BlockingFields:
    """The comparison keys the blocking keys are made of (blocking.block_keys):
    all a load needs of each record it reads, to look its candidates up."""

    id: Hashable
    compacts: tuple[str, ...]          # titles as compact keys
    words: tuple[str, ...]             # words of the longest title
    authors: tuple[str, ...]           # surname keys
    years: frozenset[int]
    journals: tuple[tuple[str, ...], ...]
    volumes: frozenset[int]
    first_pages: frozenset[str]
    page_ranges: frozenset[tuple[str, str | None]]
    dois: frozenset[str]
    pmids: frozenset[str]


@dataclass(eq=False, slots=True)
class Features(BlockingFields):
    """The comparison keys of one record (see keys.py for each): the
    blocking fields and what scoring a pair reads besides."""

    position: int
    informative: bool
    issues: frozenset[int]
    kind: str
    conference: bool
    record: DedupRecord = field(repr=False)


def _blocking_values(record: DedupRecord) -> tuple:
    """BlockingFields' values after the id, in order."""
    compacts, longest = [], []
    for title in record.titles:
        words = keys.title_words(title)
        if not words:
            continue
        compact = keys.title_compact(words)
        if compact not in compacts:
            compacts.append(compact)
        if len(words) > len(longest):
            longest = words
    journals = tuple(dict.fromkeys(k for k in (keys.journal_key(j) for j in record.journals) if k))
    volumes = frozenset().union(*(keys.number_set(v) for v in record.volumes))
    page_ranges = frozenset(r for r in (keys.page_range(p) for p in record.pages) if r[0])
    first_pages = frozenset(r[0] for r in page_ranges)
    dois = frozenset(d for d in (keys.doi_key(v) for v in record.dois) if d)
    pmids = frozenset(p for p in (keys.pmid_key(v) for v in record.pmids) if p)
    return (tuple(compacts), tuple(longest), keys.author_keys(record.authors),
            frozenset(record.years), journals, volumes, first_pages, page_ranges, dois, pmids)


def blocking_fields(record: DedupRecord) -> BlockingFields:
    """Only the fields the blocking keys need: what a load computes for
    every record it reads (prepare() adds what scoring needs)."""
    return BlockingFields(record.id, *_blocking_values(record))


def prepare(record: DedupRecord, position: int = 0) -> Features:
    values = _blocking_values(record)
    longest = values[1]
    longest_compact = keys.title_compact(longest)
    informative = len(longest_compact) >= INFORMATIVE_CHARS and len(longest) >= INFORMATIVE_WORDS
    issues = frozenset().union(*(keys.number_set(v) for v in record.issues))
    kind = "article"
    for title in record.titles or (None,):
        kind = keys.publication_kind(title, record.publication_types)
        if kind != "article":
            break
    conference = keys.any_conference(record.journals, record.issues, record.volumes,
                                     record.publication_types)
    return Features(record.id, *values, position=position, informative=informative,
                    issues=issues, kind=kind, conference=conference, record=record)
