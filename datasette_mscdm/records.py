"""The one normalised record type every input format produces, and the pure
functions that normalise its fields (DOI, titles, names, years, HTML abstracts).

Everything here is side-effect free so it can be unit-tested on its own.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .markup import PARAGRAPH, WRAP, clean_inline, html_to_text, tidy

__all__ = ["Record", "clean_inline", "html_to_text", "normalise_doi", "find_doi"]

# Columns of `records` that hold JSON arrays.
LIST_FIELDS = ("authors", "keywords", "publication_types", "claims", "mesh")

# Where a DOI field's value goes when it is not a DOI (with a warning), or
# when it holds more than one DOI (the first is the record's DOI).
INVALID_DOI_KEY = "DOI (not a valid DOI, as given)"
INVALID_PMID_KEY = "PMID (not a valid PMID, as given)"
LISTED_DOIS_KEY = "DOI (as given)"
# How tables write a missing value (R's NA, pandas' nan).
MISSING = {"na", "n/a", "nan", "null", "none", "-", "--"}

# Fields whose absence a reviewer needs to see (format B has no title or DOI, say).
ESSENTIAL_FIELDS = ("title", "abstract", "authors", "year", "journal", "doi")


@dataclass
class Record:
    """One bibliographic record as read from one place in one file."""

    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    first_author: str | None = None
    year: int | None = None
    publication_date: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    url: str | None = None
    pdf_url: str | None = None
    keywords: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    language: str | None = None
    citation_count: int | None = None
    # AI-summary (seed format B) fields.
    claims: list[str] = field(default_factory=list)
    study_design: str | None = None
    population: str | None = None
    intervention: str | None = None
    # Journal metrics given by aggregator sites (seed format A).
    journal_impact_factor: float | None = None
    jcr_quartile: str | None = None
    jcr_category: str | None = None
    cas_region: int | None = None
    cas_category: str | None = None
    is_open_access: bool | None = None
    # MeSH headings, structured: [{"descriptor", "ui", "major", "qualifiers":
    # [{"name", "ui", "major"}]}] (PubMed XML and MEDLINE).
    mesh: list[dict] = field(default_factory=list)
    # The bibliographic database the record says it came from, if it says.
    database: str | None = None
    # A DOI found in a link or note, used when the DOI field has none.
    doi_elsewhere: str | None = None
    # Everything the source had that no column above holds.
    extra: dict[str, Any] = field(default_factory=dict)
    # Problems with this record that did not stop it loading.
    warnings: list[str] = field(default_factory=list)
    # How the format wrote its text, set by the format module: False when its
    # text is already decoded text (XML text nodes, where `&lt;label&gt;` was
    # written for "<label>"): nothing in it is read as markup.
    markup: bool = True
    # What a single line break inside a value is: WRAP (a word wrap, as in
    # BibTeX) or PARAGRAPH (tables, JSON and XML, whose writers never wrap).
    line_breaks: str = WRAP

    def finish(self) -> "Record":
        """Normalise fields in place after a format module filled them.
        Text fields lose their markup; identifiers and links are only
        trimmed; a DOI field that holds no valid DOI is kept in extra."""
        markup = self.markup

        def inline(value):
            return clean_inline(value, markup=markup)

        self.title = inline(self.title)
        self.abstract = (html_to_text(self.abstract, markup=markup, line_breaks=self.line_breaks)
                         if self.abstract else None)
        self.authors = [a for a in (inline(a) for a in self.authors) if a]
        if not self.first_author and self.authors:
            self.first_author = self.authors[0]
        self.journal = inline(self.journal)
        self._finish_doi()
        self._finish_pmid()
        self.pmcid = normalise_pmcid(self.pmcid)
        self.keywords = dedupe_list(inline(k) for k in self.keywords)
        self.publication_types = dedupe_list(inline(t) for t in self.publication_types)
        self.claims = [c for c in (inline(c) for c in self.claims) if c]
        for name in ("volume", "issue", "pages", "language"):
            setattr(self, name, inline(getattr(self, name)))
        self.url, self.pdf_url = tidy(self.url), tidy(self.pdf_url)
        if self.year is None and self.publication_date:
            self.year = parse_year(self.publication_date)
        return self

    def _finish_doi(self):
        given = self.doi
        self.doi = normalise_doi(given)
        if self.doi is None and given is not None and str(given).strip().lower() not in MISSING:
            listed = dois_in_field(given)
            if listed:  # "10.1/a; 10.1/a.r001", "ARTN 106\n10.1/b": the first DOI is the record's
                self.doi = listed[0]
                self.extra[LISTED_DOIS_KEY] = str(given)
            else:
                self.extra[INVALID_DOI_KEY] = str(given)
                self.warnings.append(f"not a valid DOI, kept in extra: {str(given)!r}")
        if self.doi is None:
            self.doi = normalise_doi(self.doi_elsewhere)

    def _finish_pmid(self):
        given = self.pmid
        self.pmid = normalise_pmid(given)
        if self.pmid is None and given is not None and str(given).strip().lower() not in MISSING:
            # Never cut to the digits that fit (a 10-digit Embase number is no PMID).
            self.extra[INVALID_PMID_KEY] = str(given)
            self.warnings.append(f"not a valid PMID, kept in extra: {str(given)!r}")
        if self.pmid is None and self.url:
            self.pmid = pmid_in_url(self.url)  # a PubMed link names the PMID

    def missing_fields(self) -> list[str]:
        return [name for name in ESSENTIAL_FIELDS if not getattr(self, name)]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- text

def dedupe_list(values) -> list[str]:
    kept, seen = [], set()
    for value in values:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


# Text that looks like markup of any kind (the CSV/RIS export escapes it so a
# re-import keeps it as text).
_TAG_HINT = re.compile(r"</?[A-Za-z][\w:.-]*[^<>]*>")


# ---------------------------------------------------------------- identifiers

# A DOI is "10." + a registrant code (digits, possibly dotted) + "/" + a
# suffix of any printable characters (DOI Handbook 2.2). SICI-style DOIs hold
# `<`, `>`, `;`, `(`, `)`: nothing but white space ends a DOI.
_VALID_DOI = re.compile(r"10\.\d+(?:\.\d+)*/\S+")
_DOI_PREFIX = re.compile(
    r"^(?:(?:urn:)?doi(?:\s*:\s*|\s+)|info:doi/|(?:https?://)?(?:(?:dx\.|www\.)?doi\.org|"
    r"doi\.wiley\.com|hdl\.handle\.net)/+)", re.IGNORECASE)
# Trailing punctuation that ends a sentence or a note around a DOI.
_TRAILING = ".,;:'\""
_CLOSING = {")": "(", "]": "[", "}": "{", ">": "<"}
# " [doi]" after a MEDLINE/Ovid DOI.
_ANNOTATION = re.compile(r"\s+[\[(][^\])]*[\])]\s*$")


def _strip_unbalanced(doi: str) -> str:
    """Trailing punctuation and closing brackets that the DOI does not open
    ("(see doi:10.1/x)" keeps none of its ")"; "10.1/a(b)" keeps its own)."""
    while doi:
        last = doi[-1]
        if last in _TRAILING:
            doi = doi[:-1]
        elif last in _CLOSING and doi.count(last) > doi.count(_CLOSING[last]):
            doi = doi[:-1]
        else:
            break
    return doi


def normalise_doi(value: Any) -> str | None:
    """A DOI field's value as the DOI Handbook normalises it: `doi:` and
    resolver prefixes (https://doi.org/, dx.doi.org, info:doi/) removed,
    percent-escapes decoded (`%28` -> `(`), lower-cased (DOIs are
    case-insensitive). None when the value is not a DOI: never cut to the part
    that looks like one, and never markup-cleaned (SICI DOIs hold `<` `>`).

    `https://doi.org/10.1/ABC [doi]` -> `10.1/abc`."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if not text.startswith("10."):  # no prefix starts so: most values skip the search
        for _ in range(2):  # "doi: https://doi.org/10..." has two prefixes
            text = _DOI_PREFIX.sub("", text).strip()
    if "%" in text:
        text = unquote(text)
    if "[" in text or "(" in text:  # what an annotation opens with
        text = _ANNOTATION.sub("", text)
    text = _strip_unbalanced(text.strip())
    if not _VALID_DOI.fullmatch(text):
        return None
    return text.lower()


def dois_in_field(value: Any) -> list[str]:
    """The DOIs a DOI field holds when it is more than one DOI: its parts
    (between semicolons and line breaks, or between spaces when every word
    is a DOI) that are each a whole DOI. WoS lists a paper's peer-review
    DOIs after its own; EndNote puts "ARTN 106" on the line before it."""
    found = []
    for part in re.split(r"[;\r\n]+", str(value or "")):
        doi = normalise_doi(part)
        if doi:
            found.append(doi)
        elif len(part.split()) > 1:
            words = [normalise_doi(word) for word in part.split()]
            if all(words):
                found += words
    return found


# A DOI inside other text (a URL, a note). In a URL a DOI ends at the query
# separators (`&atitle=` in OpenURL links); `<` `>` in a URL are
# percent-escaped, so a literal `<` there ends it.
_DOI_IN_TEXT = re.compile(r"10\.\d{3,9}(?:\.\d+)*/[^\s\"&?#]+", re.IGNORECASE)


def find_doi(*values) -> str | None:
    """The first DOI found inside any of the values (URLs, notes, ...)."""
    for value in values:
        if isinstance(value, (list, tuple)):
            found = find_doi(*value)
        elif value:
            found = _doi_in_text(str(value))
        else:
            found = None
        if found:
            return found
    return None


def _doi_in_text(text: str) -> str | None:
    if "%" in text:
        text = unquote(text)
    match = _DOI_IN_TEXT.search(text)
    if not match:
        return None
    doi = match.group(0)
    if "<" in doi and ">" not in doi.split("<", 1)[1]:
        doi = doi.split("<", 1)[0]  # "<https://doi.org/10.1/x>" ends at the bracket...
    elif ">" in doi and "<" not in doi:
        doi = doi.split(">", 1)[0]  # ... and so does "... 10.1/x> more"
    return normalise_doi(doi)


# A source that is MEDLINE/PubMed: its accession number is the PMID. EndNote
# writes "DP  - NLM" for records it fetched from PubMed.
_PUBMED_SOURCE = re.compile(r"medline|pubmed|\bnlm\b", re.IGNORECASE)
_PMID = re.compile(r"(?:PMID|PubMed ID)?\s*:?\s*(\d{1,8})", re.IGNORECASE)


def pmid_in_accession(accession: str | None, *sources: str | None,
                      assume_pubmed: bool = False) -> str | None:
    """The PMID an accession number holds: `PMID:n` whatever the source, or a
    bare 1-8 digit number when the record's database says MEDLINE/PubMed
    (Embase's, PsycINFO's and WoS's accession numbers are their own), or
    when assume_pubmed and no database is named (a table's accession column:
    PMIDs are the only accession numbers of 1-8 bare digits)."""
    value = (accession or "").strip()
    if not value:
        return None
    if value.upper().startswith(("PMID", "PUBMED ID")):
        match = _PMID.fullmatch(value)
        return match.group(1) if match else None
    if value.isdigit() and len(value) <= 8:
        named = [source for source in sources if source and source.strip()]
        if any(_PUBMED_SOURCE.search(source) for source in named) or (
                assume_pubmed and not named):
            return value
    return None


_PUBMED_URL = re.compile(
    r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,8})/?$",
    re.IGNORECASE)


def pmid_in_url(url: str) -> str | None:
    """The PMID of a link to a PubMed record (and of nothing else)."""
    match = _PUBMED_URL.match(url.strip())
    return match.group(1) if match else None


# A PMID as sources write it: "33712345", "PMID: 33712345", "33712345 [PubMed]".
# PMIDs have 1-8 digits (the largest is below 50 million).
_PMID_VALUE = re.compile(r"(?:PMID|PubMed\s*ID)?\s*:?\s*(\d{1,8})(?:\.0)?\s*(?:\[[^\]]*\])?",
                         re.IGNORECASE)


def normalise_pmid(value: Any) -> str | None:
    """The PMID the value is, without leading zeros; None when the value is
    not one PMID (never the first digits of a longer number)."""
    if value is None:
        return None
    match = _PMID_VALUE.fullmatch(str(value).strip())
    return str(int(match.group(1))) if match and int(match.group(1)) else None


def normalise_pmcid(value: Any) -> str | None:
    if not value:
        return None
    match = re.search(r"(?:PMC)?\s*(\d{3,9})", str(value), re.IGNORECASE)
    return f"PMC{match.group(1)}" if match else None


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def parse_year(value: Any) -> int | None:
    """The first plausible four-digit year in a date string or number."""
    if value is None:
        return None
    match = _YEAR.search(str(value))
    return int(match.group(1)) if match else None


def parse_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    match = re.search(r"-?\d+", str(value).replace(",", ""))
    return int(match.group(0)) if match else None


def parse_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def join_pages(start: str | None, end: str | None) -> str | None:
    start, end = (start or "").strip(), (end or "").strip()
    if start and end and end != start:
        return f"{start}-{end}"
    return start or end or None


def split_keywords(value: str | None) -> list[str]:
    """A keyword list in one string: split on semicolons when there are any
    (keywords like "Aged, 80 and over" keep their comma), else on commas."""
    if not value:
        return []
    return split_list(value, ";" if ";" in value else ",")


def split_terms(value: str | None) -> list[str]:
    """Index terms in one string (Embase's Emtree columns): split on
    semicolons when there are any, else on commas outside parentheses, so
    "cyst (diagnosis, surgery), colon" is two terms."""
    if not value:
        return []
    if ";" in value:
        return split_list(value, ";")
    terms, depth, current = [], 0, []
    for char in value:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char == "," and not depth:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [term.strip() for term in terms if term.strip()]


_OPEN = {"true", "yes", "y", "1", "open", "open access", "oa"}
_CLOSED = {"false", "no", "n", "0", "closed", "closed access", "not open access"}


def parse_open_access(value: Any) -> bool | None:
    """Open access as a table writes it: true/false, yes/no, 1/0, Scopus's
    "All Open Access; Gold Open Access", or a JSON object with `is_oa`
    (OpenAlex). None when it says neither."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        flag = data.get("is_oa", data.get("isOpenAccess")) if isinstance(data, dict) else None
        return flag if isinstance(flag, bool) else None
    lowered = text.lower()
    if lowered in _OPEN or (lowered.endswith("open access") and not lowered.startswith("not")):
        return True
    if lowered in _CLOSED:
        return False
    return None


def split_list(value: str | None, separators: str = ";") -> list[str]:
    if not value:
        return []
    parts = re.split("[" + re.escape(separators) + "]", value)
    return [p.strip() for p in parts if p.strip()]


# Words that make a name an organisation's ("Centers for Disease Control and
# Prevention", "World Health Organization"): its " and " joins no two people.
ORGANISATION_WORDS = frozenset("""
for of the on in at organization organisation institute institutes society association group
groups center centers centre centres committee council department university agency
collaboration collaborative collaborators consortium foundation ministry network prevention
research health trial trials study investigators board office national international federation
college academy services service program programme alliance team working force panel care
hospital medicine clinic school unit union commission division bureau corporation company inc
ltd
""".split())


def is_person_name(name: str) -> bool:
    """Could this be one person's name (not an organisation's)?"""
    words = name.replace(",", " ").split()
    return 0 < len(words) <= 5 and not any(
        word.lower().strip(".()") in ORGANISATION_WORDS for word in words)


def split_authors(value: str | None) -> list[str]:
    """An author list in one string: `A; B`, `A and B` (BibTeX), Vancouver
    `Liu R., Adler D.G.`, `Labanski, A., Langhorst, J.` or `Ju-El Kim, Jong-Won Lee`.
    A lone `Smith, John` stays one author, and so does an organisation whose
    name holds "and" (`Centers for Disease Control and Prevention`)."""
    if not value or not value.strip():
        return []
    if ";" in value:
        return split_list(value, ";")
    if re.search(r"\s+and\s+", value):
        parts = [a.strip() for a in re.split(r"\s+and\s+", value) if a.strip()]
        if all(is_person_name(part) for part in parts):
            return parts
        if not is_person_name(value) and "," not in value:
            return [value.strip()]
    pieces = []
    for piece in (p.strip() for p in value.split(",")):
        if pieces and _SUFFIX.match(piece):
            pieces[-1] = f"{pieces[-1]}, {piece}"  # "Thompson F.R., III"
        elif piece:
            pieces.append(piece)
    if len(pieces) < 2:
        return pieces
    if len(pieces) % 2 == 0 and all(_INITIALS.match(p.replace(" ", "")) for p in pieces[1::2]):
        return [f"{last}, {first}" for last, first in zip(pieces[::2], pieces[1::2])]
    if all(" " in p for p in pieces):
        return pieces
    return [value.strip()]


# ---------------------------------------------------------------- dedup keys

_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_SUFFIX = re.compile(r"^(?:Jr|Sr|II|III|IV|2nd|3rd)\.?$", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: accents and punctuation go."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text).strip()


def surname(name: str | None) -> str | None:
    """The family name of `Last, First`, `First Last` or `Last AB` / `Last A.B.`."""
    if not name:
        return None
    name = name.strip()
    if "," in name:
        name = name.split(",", 1)[0]  # "Last, First" / "Thompson F.R., III"
        tokens = name.split()
        if len(tokens) > 1 and _INITIALS.match(tokens[-1]):
            name = " ".join(t for t in tokens if not _INITIALS.match(t))
        return fold(name) or None
    tokens = name.split()
    if not tokens:
        return None
    if len(tokens) > 1 and _INITIALS.match(tokens[-1]):
        # Vancouver style: "Liu R." / "Smith JA" -> surname comes first.
        return fold(" ".join(t for t in tokens if not _INITIALS.match(t))) or None
    return fold(tokens[-1]) or None


def title_key(title: str | None) -> str | None:
    if not title:
        return None
    key = fold(title)
    return key or None


def exact_duplicate_key(record: Record) -> str | None:
    """normalised title + year + first author's surname, when all three are known."""
    key = title_key(record.title)
    author = surname(record.first_author)
    if not key or not record.year or not author:
        return None
    return f"{key}|{record.year}|{author}"
