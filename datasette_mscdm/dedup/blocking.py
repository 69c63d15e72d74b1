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
from hashlib import blake2b
from struct import Struct
from typing import Iterable, Iterator

from .record import BlockingFields, Features

TITLE_CHARS = 20
MAX_BLOCK = 40
WINDOW = 6
MIN_WORD = 3


def _word_frequencies(features: list[Features]) -> Counter:
    counts: Counter = Counter()
    for f in features:
        counts.update(set(f.words))
    return counts


def block_keys(f: BlockingFields, frequencies: Counter | None) -> Iterator[tuple]:
    """The blocks a record belongs to. Without `frequencies` (word counts of
    the whole set) the rare-words key is left out: see live_keys."""
    for doi in f.dois:
        yield ("doi", doi)
    for pmid in f.pmids:
        yield ("pmid", pmid)
    for compact in f.compacts:
        if len(compact) >= 8:
            yield ("title-start", compact[:TITLE_CHARS])
            yield ("title-end", compact[-TITLE_CHARS:])
    if frequencies is not None:
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


# ---------------------------------------------------------------- stored keys (live matching)

# A stored key shared by more records than this is too common to compare a
# new record with all of them (a surname + year, an Embase supplement's DOI);
# the other keys of the record still find its copies. The engine compares
# blocks up to the same size all-with-all.
LIVE_MAX_BLOCK = MAX_BLOCK


_SIGNED_64 = Struct(">q").unpack  # int.from_bytes(digest, "big", signed=True), faster


def key_hash(key: tuple) -> int:
    """A stable signed 64-bit hash of a blocking key, as stored in
    mscdm_dedup_keys (Python's hash() changes between processes). A
    collision only adds a candidate pair, which scoring then rules on."""
    text = "\x1f".join(map(str, key)).encode("utf-8", "surrogatepass")
    return _SIGNED_64(blake2b(text, digest_size=8).digest())[0]


def live_keys(f: BlockingFields) -> list[int]:
    """The hashed blocking keys a record is stored and looked up under when a
    load compares new records with the review (mscdm_dedup_keys): every key
    of block_keys but the rare-words one, whose value depends on word counts
    over the whole review and so changes as it grows. The DOI and PMID keys
    come first, one per value (see identifier_count)."""
    return list(dict.fromkeys(key_hash(key) for key in block_keys(f, None)))


def identifier_count(f: BlockingFields) -> int:
    """How many of live_keys(f), from the first, are DOI and PMID keys:
    sharing one is a reason to score a pair whatever its titles."""
    return len(f.dois) + len(f.pmids)
