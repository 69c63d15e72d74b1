"""Scoring one candidate pair: field agreements, vetoes, an outcome and reasons.

Rules, not a trained model (see the package docstring for why). Each field is
compared on its comparison keys (keys.py) into a state a person can read
("same", "different", a similarity); contradictions are vetoes (the pair is
distinct whatever else agrees) or caps (the pair can be at most "maybe");
the outcome follows from a few thresholds that the benchmark chooses by
leave-one-set-out cross-validation (evaluate.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Hashable

from rapidfuzz.distance import Indel

from .keys import author_words, dois_related, journals_compatible
from .record import Features

DUPLICATE, MAYBE, DISTINCT = "duplicate", "maybe", "distinct"


@dataclass(frozen=True)
class Thresholds:
    """The free parameters of the rules (similarities are 0..1)."""

    # The defaults are what evaluate.choose_thresholds picks on all shared
    # benchmark sets pooled (scripts/bench_dedup.py shows the leave-one-set-out
    # choices); the sets give the same result for 0.90-0.92, so the stricter wins.
    # Title similarity needed to merge when no DOI/PMID is shared.
    title_duplicate: float = 0.92
    # Title similarity needed to merge when a DOI or PMID is shared.
    title_with_id: float = 0.95
    # Below this (and no shared identifier) a pair is distinct, not queued.
    title_maybe: float = 0.80
    # Author similarity (see author_similarity) that counts as agreeing.
    authors_agree: float = 0.6


DEFAULT_THRESHOLDS = Thresholds()

# A truncated title or one without its subtitle is a weaker match than equal titles.
TRUNCATION_FACTOR = 0.97
MIN_TRUNCATED_CHARS = 30
# Under this title similarity a shared DOI is somebody else's DOI (an Embase
# supplement's, or one cut short).
SHARED_DOI_TITLE_FLOOR = 0.6

# A pair with no venue detail in common merges only on a title this close,
# the same year and authors this alike (two conference papers whose
# proceedings are named differently, records with no venue at all).
NO_VENUE_TITLE, NO_VENUE_AUTHORS = 0.98, 0.8
# A copy without authors (or year) merges only on a title this close and two
# venue details agreeing.
NO_AUTHORS_TITLE = 0.97
# Authors this far apart are "different" (a veto, or a cap when pages/ids agree).
AUTHORS_DIFFER = 0.25

# Weights of the ranking score (a weighted mean over the fields both records have).
WEIGHTS = {"title": 3.0, "authors": 1.5, "year": 0.5, "journal": 0.5, "volume": 0.5,
           "issue": 0.25, "pages": 1.0, "doi": 2.0, "pmid": 2.0}


@dataclass
class PairDecision:
    """The verdict on one pair of records, as the review queue shows it."""

    a: Hashable
    b: Hashable
    outcome: str                     # duplicate | maybe | distinct
    score: float                     # 0..1, for ordering and "accept all above"
    reasons: list[str] = field(default_factory=list)   # what agreed and what did not
    vetoes: list[str] = field(default_factory=list)    # what ruled a merge out (or capped it)
    fields: dict = field(default_factory=dict)         # field -> state, for highlighting

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "outcome": self.outcome, "score": round(self.score, 4),
                "reasons": self.reasons, "vetoes": self.vetoes, "fields": self.fields}


_DIGITS = re.compile(r"\d+")


def title_similarity(a: Features, b: Features) -> tuple[float | None, bool, bool]:
    """(similarity, truncated, numbers differ) of the best pair of titles.

    Similarity is rapidfuzz's normalised Indel similarity on compact keys;
    when one title is the other's beginning (cut short, subtitle dropped) the
    prefix similarity times TRUNCATION_FACTOR counts. `numbers differ` is true
    when equal-length titles carry different numbers ("Part 1" / "Part 2").
    """
    return compacts_similarity(a.compacts, b.compacts)


def compacts_similarity(xs: tuple[str, ...], ys: tuple[str, ...]
                        ) -> tuple[float | None, bool, bool]:
    """title_similarity on two records' compact title keys (a load checks
    its candidates with these before preparing them in full)."""
    if not xs or not ys:
        return None, False, False
    best, truncated, pair = -1.0, False, None
    for x in xs:
        for y in ys:
            if x == y:
                return 1.0, False, False
            similarity = Indel.normalized_similarity(x, y)
            cut = False
            short, long = (x, y) if len(x) <= len(y) else (y, x)
            if similarity < 0.97 and len(short) >= MIN_TRUNCATED_CHARS:
                prefix = Indel.normalized_similarity(short, long[: len(short)])
                if prefix * TRUNCATION_FACTOR > similarity:
                    similarity, cut = prefix * TRUNCATION_FACTOR, True
            if similarity > best:
                best, truncated, pair = similarity, cut, (x, y)
    numbers_differ = False
    if pair and not truncated:
        numbers_differ = _DIGITS.findall(pair[0]) != _DIGITS.findall(pair[1])
    return best, truncated, numbers_differ


_STOP = frozenset("a an and the of in on for to with by from at as or is are its their".split())


def _close_word(word: str, others: set[str]) -> bool:
    for other in others:
        short, long = (word, other) if len(word) <= len(other) else (other, word)
        if short in long or Indel.normalized_similarity(word, other) >= 0.75:
            return True
    return False


def swapped_words(a: Features, b: Features) -> tuple[str, str] | None:
    """A word of each title that the other lacks and nothing close to it
    (`rats` / `mice`, `adults` / `children`): two works of one team, not a typo.
    None when the titles differ only by typos, split words or one is cut short."""
    wa = {w for w in a.words if len(w) >= 3 and w not in _STOP}
    wb = {w for w in b.words if len(w) >= 3 and w not in _STOP}
    only_a, only_b = wa - wb, wb - wa
    if not only_a or not only_b:
        return None
    lost_a = sorted(w for w in only_a if not _close_word(w, only_b | wb))
    lost_b = sorted(w for w in only_b if not _close_word(w, only_a | wa))
    if lost_a and lost_b:
        return lost_a[0], lost_b[0]
    return None


def _same_surname(x: str, y: str) -> bool:
    """Equal, within a typo (`Chen`/`Che`, `Gok`/`G?k`), or one part of a compound
    surname that the other database kept whole (`Barcelos`/`Macedo Barcelos`)."""
    if x == y:
        return True
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if len(short) >= 3 and (long.startswith(short) or long.endswith(short)):
        return True
    return Indel.normalized_similarity(x, y) >= 0.8


MAX_AUTHORS_COMPARED = 20


def author_similarity(a: Features, b: Features) -> float | None:
    """0.4 x (first authors agree) + 0.6 x (share of the shorter list found in
    the other: its surnames, or any word of its names); None if a list is empty."""
    if not a.authors or not b.authors:
        return None
    x, y = a.authors[:MAX_AUTHORS_COMPARED], b.authors[:MAX_AUTHORS_COMPARED]
    first = _same_surname(x[0], y[0])
    (short, long, long_record) = (x, y, b) if len(x) <= len(y) else (y, x, a)
    members = set(long)
    found = 0
    for s in short:
        if s in members or any(_same_surname(s, other) for other in long):
            found += 1
        elif s in author_words(tuple(long_record.record.authors)):
            found += 1
    return 0.4 * first + 0.6 * found / len(short)


def _set_state(x: frozenset, y: frozenset) -> str | None:
    if not x or not y:
        return None
    return "same" if x & y else "different"


def _digits(page: str) -> str:
    return "".join(_DIGITS.findall(page))


def _in_range(page: str, start: str, end: str | None) -> bool:
    if not end or not (page.isdigit() and start.isdigit() and end.isdigit()):
        return False
    return int(start) <= int(page) <= int(end)


def _pages_state(a: Features, b: Features) -> str | None:
    """same / different / None (unknown or not comparable).

    Equal first pages (or equal digits: `S417`/`417`) are the same; a lone page
    inside the other's range (`488` / `487-488`: an export kept the last page)
    too. A page number against an article number (`969-972` / `a1754`, BMJ
    print vs online) says nothing: the journal gives both."""
    x, y = a.first_pages, b.first_pages
    if not x or not y:
        return None
    if x & y:
        return "same"
    if {_digits(p) for p in x} & {_digits(p) for p in y}:
        return "same"
    for left, right in ((a.page_ranges, b.page_ranges), (b.page_ranges, a.page_ranges)):
        for start, end in left:
            if end is None and any(_in_range(start, s, e) for s, e in right):
                return "same"
    numeric_x = any(p.isdigit() for p in x)
    numeric_y = any(p.isdigit() for p in y)
    lettered_x = any(not p.isdigit() for p in x)
    lettered_y = any(not p.isdigit() for p in y)
    if (numeric_x and not numeric_y and lettered_y) or (numeric_y and not numeric_x and lettered_x):
        return None
    return "different"


# A record's own page number that is also its issue number is taken for an
# article number put in both fields only above this: no monthly or quarterly
# issue is numbered so, while "issue 1, page 1" is the first page of an
# issue (the editorials of every issue start there).
ARTICLE_NUMBER_ISSUE = 12


def _issue_numbers(x: Features, other: Features) -> frozenset[int]:
    """x's issue numbers, without an article number an export put in the
    issue field: one that is also x's own page number (above
    ARTICLE_NUMBER_ISSUE; "93" and page 93), or, when x has no pages, the
    other record's page number (issue "7" against page 7)."""
    if not x.issues:
        return x.issues
    own = {int(p) for p in x.first_pages if p.isdigit() and int(p) > ARTICLE_NUMBER_ISSUE}
    theirs = set() if x.first_pages else {int(p) for p in other.first_pages if p.isdigit()}
    numbered = own | theirs
    return x.issues - numbered if numbered else x.issues


def _doi_state(x: frozenset[str], y: frozenset[str]) -> str | None:
    if not x or not y:
        return None
    if x & y:
        return "same"
    if any(dois_related(p, q) for p in x for q in y):
        return "related"
    return "different"


def _journal_state(a: Features, b: Features) -> bool | None:
    if not a.journals or not b.journals:
        return None
    return any(journals_compatible(x, y) for x in a.journals for y in b.journals)


def _year_gap(a: Features, b: Features) -> int | None:
    if not a.years or not b.years:
        return None
    return min(abs(x - y) for x in a.years for y in b.years)


def score_pair(a: Features, b: Features, thresholds: Thresholds = DEFAULT_THRESHOLDS,
               title: tuple[float | None, bool, bool] | None = None) -> PairDecision:
    """The decision on one pair. `title` may pass a title_similarity already computed."""
    t, truncated, numbers_differ = title if title is not None else title_similarity(a, b)
    authors = author_similarity(a, b)
    year_gap = _year_gap(a, b)
    doi = _doi_state(a.dois, b.dois)
    pmid = _set_state(a.pmids, b.pmids)
    journal = _journal_state(a, b)
    volume = _set_state(a.volumes, b.volumes)
    # An export that put the article number in the issue field ("93" and page 93).
    issue = _set_state(_issue_numbers(a, b), _issue_numbers(b, a))
    pages = _pages_state(a, b)
    id_same = doi == "same" or pmid == "same"

    fields = {"title": None if t is None else round(t, 3),
              "authors": None if authors is None else round(authors, 3),
              "year": None if year_gap is None else ("same" if year_gap == 0 else f"{year_gap} apart"),
              "journal": None if journal is None else ("same" if journal else "different"),
              "volume": volume, "issue": issue, "pages": pages, "doi": doi, "pmid": pmid}

    vetoes: list[str] = []
    caps: list[str] = []
    if doi == "different":
        vetoes.append(f"different DOIs ({', '.join(sorted(a.dois))} / {', '.join(sorted(b.dois))})")
    if pmid == "different":
        vetoes.append("different PMIDs")
    if a.kind != b.kind:
        vetoes.append(f"{a.kind} vs {b.kind}")
    if pages == "different":
        vetoes.append("different first pages")
    if year_gap is not None and year_gap > 1:
        (caps if id_same else vetoes).append(f"years {year_gap} apart")
    specific = pages == "same" and a.informative and b.informative
    # Volume and issue fields are the noisiest (supplement labels, article
    # numbers, cut values): they rule a pair out only when nothing specific
    # agrees, and say nothing against a shared identifier with the same pages.
    authors_ok = authors is not None and authors >= thresholds.authors_agree
    alike = (a.informative and b.informative and t is not None
             and t >= thresholds.title_duplicate and authors_ok and journal is not False)
    for name, state in (("volumes", volume), ("issues", issue)):
        if state == "different":
            if id_same and pages == "same":
                continue
            (caps if id_same or specific or alike else vetoes).append(f"different {name}")
    if a.conference != b.conference and (journal is False or bool(year_gap)):
        vetoes.append("conference abstract vs journal article")
    if authors is not None and authors < AUTHORS_DIFFER:
        both_teams = len(a.authors) >= 2 and len(b.authors) >= 2
        if not (id_same and pages == "same" and t is not None and t >= thresholds.title_with_id):
            (vetoes if both_teams and not (id_same or specific) else caps).append("authors differ")
    if id_same and t is not None and t < SHARED_DOI_TITLE_FLOOR:
        vetoes.append("same identifier but different titles (a supplement's DOI, or one cut short)")
    if numbers_differ:
        caps.append("the titles carry different numbers")
    elif t is not None and t < 1 and not truncated and not id_same:
        swapped = swapped_words(a, b)
        if swapped:
            caps.append(f"the titles differ in a word ({swapped[0]} / {swapped[1]})")
    if not (a.informative and b.informative) and not id_same and not (
            pages == "same" and volume == "same") and not (
            volume == "same" and issue == "same" and journal is True and year_gap == 0):
        caps.append("a short title that names many works")
    corroboration = sum((journal is True, volume == "same", issue == "same", pages == "same",
                         doi == "related"))
    if journal is False and not (a.conference and b.conference) and corroboration == 0:
        caps.append("different journals")

    if vetoes:
        outcome = DISTINCT
    elif id_same:
        if t is None:
            outcome = DUPLICATE if (authors_ok or pages == "same") and not caps else MAYBE
        elif t >= thresholds.title_with_id and not caps:
            outcome = DUPLICATE
        else:
            outcome = MAYBE
    elif t is None or t < thresholds.title_maybe or (year_gap is not None and year_gap > 1):
        outcome = DISTINCT
    else:
        strong = t >= thresholds.title_duplicate and not caps
        if strong and year_gap is not None and authors_ok and (
                corroboration >= 1 or (t >= NO_VENUE_TITLE and year_gap == 0
                                   and authors >= NO_VENUE_AUTHORS)):
            outcome = DUPLICATE
        elif strong and t >= NO_AUTHORS_TITLE and corroboration >= 2 and (
                authors is None or year_gap is None):
            # A copy without authors (or without a year) agreeing on the venue.
            outcome = DUPLICATE
        else:
            outcome = MAYBE

    reasons = _reasons(fields, truncated)
    if outcome != DISTINCT:
        vetoes = caps + vetoes
    else:
        vetoes = vetoes or caps or ["too little in common"]
    return PairDecision(a.id, b.id, outcome, _score(fields, t, authors, journal), reasons,
                        vetoes, fields)


def _score(fields: dict, t, authors, journal) -> float:
    values = {"title": t, "authors": authors}
    year = fields["year"]
    values["year"] = None if year is None else (1.0 if year == "same" else 0.5 if year == "1 apart" else 0.0)
    values["journal"] = None if journal is None else float(journal)
    for name in ("volume", "issue", "pages", "doi", "pmid"):
        state = fields[name]
        values[name] = None if state is None else {"same": 1.0, "related": 0.5}.get(state, 0.0)
    total = weight = 0.0
    for name, value in values.items():
        if value is not None:
            total += WEIGHTS[name] * value
            weight += WEIGHTS[name]
    return total / weight if weight else 0.0


def _reasons(fields: dict, truncated: bool) -> list[str]:
    out = []
    t = fields["title"]
    if t is not None:
        out.append(f"title {'same' if t == 1 else f'{t:.0%} alike'}"
                   + (" (one cut short)" if truncated else ""))
    if fields["authors"] is not None:
        out.append(f"authors {fields['authors']:.0%} alike")
    for name in ("year", "journal", "volume", "issue", "pages", "doi", "pmid"):
        state = fields[name]
        if state is not None:
            label = name.upper() if name in ("doi", "pmid") else name
            out.append(f"{label} {state}")
    return out
