"""Candidate pairs by blocking: only records that share a key are compared.

Keys (a record has several, one per value it carries): each DOI, each PMID,
the first and the last TITLE_CHARS characters of each compact title, the two
rarest title words, first author + year (and year + 1, so a year off by one
still meets), and journal initial + volume + first page. A block larger than
MAX_BLOCK (common surnames, a supplement DOI shared by hundreds of abstracts)
is not compared all-with-all: its records are sorted by title and each is
paired with its next WINDOW neighbours (the sorted-neighbourhood method), so
the cost stays near-linear in the number of records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable, Iterator

from .record import Features

TITLE_CHARS = 20
MAX_BLOCK = 40
WINDOW = 6
MIN_WORD = 3


def _word_frequencies(features: list[Features]) -> Counter:
    counts: Counter = Counter()
    for f in features:
        counts.update(set(f.words))
    return counts


def block_keys(f: Features, frequencies: Counter) -> Iterator[tuple]:
    for doi in f.dois:
        yield ("doi", doi)
    for pmid in f.pmids:
        yield ("pmid", pmid)
    for compact in f.compacts:
        if len(compact) >= 8:
            yield ("title-start", compact[:TITLE_CHARS])
            yield ("title-end", compact[-TITLE_CHARS:])
    rare = sorted((w for w in set(f.words) if len(w) >= MIN_WORD),
                  key=lambda w: (frequencies[w], w))[:2]
    if len(rare) == 2:
        yield ("rare-words", *sorted(rare))
    if f.authors:
        first = f.authors[0]
        for year in f.years:
            yield ("author-year", first, year)
            yield ("author-year", first, year + 1)
        if not f.years:
            yield ("author-year", first, None)
    if f.volumes and f.first_pages:
        initials = {j[0][0] for j in f.journals if j} or {""}
        for initial in initials:
            for volume in f.volumes:
                for page in f.first_pages:
                    yield ("volume-page", initial, volume, page)


def candidate_pairs(features: list[Features], new: set[int] | None = None) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of positions in `features` that share a block, in
    order. With `new` (positions of newly loaded records), only pairs involving
    at least one of them: a load compares new records against everything."""
    frequencies = _word_frequencies(features)
    blocks: dict[tuple, list[int]] = defaultdict(list)
    for position, f in enumerate(features):
        for key in block_keys(f, frequencies):
            blocks[key].append(position)
    del frequencies
    # One int per pair (i * n + j) rather than a tuple: a third of the memory.
    n = len(features)
    pairs: set[int] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        if new is not None and not any(m in new for m in members):
            continue
        pairs.update(i * n + j for i, j in _pairs_in_block(members, features))
    del blocks
    out = (divmod(p, n) for p in sorted(pairs))
    if new is not None:
        return [(i, j) for i, j in out if i in new or j in new]
    return list(out)


def _pairs_in_block(members: list[int], features: list[Features]) -> Iterable[tuple[int, int]]:
    members = sorted(set(members))
    if len(members) <= MAX_BLOCK:
        for index, i in enumerate(members):
            for j in members[index + 1:]:
                yield (i, j)
        return
    ordered = sorted(members, key=lambda m: features[m].compacts[0] if features[m].compacts else "")
    for index, i in enumerate(ordered):
        for j in ordered[index + 1: index + 1 + WINDOW]:
            yield (i, j) if i < j else (j, i)
