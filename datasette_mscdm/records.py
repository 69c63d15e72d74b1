"""The one normalised record type every input format produces, and the pure
functions that normalise its fields (DOI, titles, names, years, HTML abstracts).

Everything here is side-effect free so it can be unit-tested on its own.
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

# Columns of `records` that hold JSON arrays.
LIST_FIELDS = ("authors", "keywords", "publication_types", "claims")

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
    # The bibliographic database the record says it came from, if it says.
    database: str | None = None
    # Everything the source had that no column above holds.
    extra: dict[str, Any] = field(default_factory=dict)

    def finish(self) -> "Record":
        """Normalise fields in place after a format module filled them."""
        self.title = clean_inline(self.title)
        self.abstract = html_to_text(self.abstract) if self.abstract else None
        self.abstract = self.abstract or None
        self.authors = [a for a in (clean_inline(a) for a in self.authors) if a]
        if not self.first_author and self.authors:
            self.first_author = self.authors[0]
        self.journal = clean_inline(self.journal)
        self.doi = normalise_doi(self.doi)
        self.pmid = normalise_pmid(self.pmid)
        self.pmcid = normalise_pmcid(self.pmcid)
        self.keywords = dedupe_list(clean_inline(k) for k in self.keywords)
        self.publication_types = dedupe_list(clean_inline(t) for t in self.publication_types)
        self.claims = [c for c in (clean_inline(c) for c in self.claims) if c]
        for name in ("volume", "issue", "pages", "language", "url", "pdf_url"):
            setattr(self, name, clean_inline(getattr(self, name)))
        if self.year is None and self.publication_date:
            self.year = parse_year(self.publication_date)
        return self

    def missing_fields(self) -> list[str]:
        return [name for name in ESSENTIAL_FIELDS if not getattr(self, name)]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- text

_WS = re.compile(r"\s+")


def clean_inline(value: Any) -> str | None:
    """One-line text: HTML tags removed, entities decoded, white space collapsed.

    Titles from CSL-JSON and aggregators carry <i>, <sub>; EndNote XML titles
    carry double spaces. None and blank become None.
    """
    if value is None:
        return None
    text = str(value)
    if "<" in text or "&" in text:
        # A field that is only markup or an entity (`<i></i>`, `&nbsp;`) is
        # empty once cleaned; the raw text keeps it.
        text = html_to_text(text) or ""
    return " ".join(text.split()) or None


def dedupe_list(values) -> list[str]:
    kept, seen = [], set()
    for value in values:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


class _TextExtractor(HTMLParser):
    """Plain text from HTML/JATS: block elements become paragraph breaks and
    section titles become `LABEL: ` prefixes, so structured abstracts keep
    their shape. html.parser is used (not lxml.html) because it never
    builds a tree, tolerates broken markup and knows nothing of scripts."""

    BLOCK = {"p", "div", "sec", "section", "abstract", "br", "li", "tr", "h1", "h2",
             "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "list"}
    LABEL = {"title", "label"}
    DROP = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._label_depth = 0
        self._drop_depth = 0
        self._label: list[str] = []
        self._after_label = False  # "Label: " then <p>: the paragraph follows the label

    def _break(self):
        if not self._after_label:
            self.parts.append("\n\n")

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1].lower()

    def handle_starttag(self, tag, attrs):
        name = self._local(tag)
        if name in self.DROP:
            self._drop_depth += 1
        elif name in self.BLOCK:
            self._break()
        elif name in self.LABEL:
            self._label_depth += 1
            self._label = []

    def handle_startendtag(self, tag, attrs):
        if self._local(tag) in self.BLOCK:
            self._break()

    def handle_endtag(self, tag):
        name = self._local(tag)
        if name in self.DROP:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif name in self.BLOCK:
            self._break()
        elif name in self.LABEL and self._label_depth:
            self._label_depth -= 1
            label = _WS.sub(" ", "".join(self._label)).strip().rstrip(":")
            if label:
                self.parts.append(f"\n\n{label}: ")
                self._after_label = True

    def handle_data(self, data):
        if self._drop_depth:
            return
        if self._label_depth:
            self._label.append(data)
        else:
            if data.strip():
                self._after_label = False
            self.parts.append(data)


_TAG_HINT = re.compile(r"</?[A-Za-z][\w:.-]*[^<>]*>")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


def html_to_text(value: str | None) -> str | None:
    """Plain text with paragraphs (blank-line separated) from text that may
    hold HTML or JATS markup. Text without tags only has entities decoded and
    its white space tidied, keeping its paragraph breaks."""
    if value is None:
        return None
    if "<" in value and _TAG_HINT.search(value):
        parser = _TextExtractor()
        parser.feed(value)
        parser.close()
        text = "".join(parser.parts)
    else:
        text = html.unescape(value) if "&" in value else value
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.split() collapses white space far faster than a regex on long text.
    if "\n" not in text:
        return " ".join(text.split()) or None
    # Single line breaks are wrapping; a blank line separates paragraphs.
    paragraphs = (" ".join(p.split()) for p in _BLANK_LINE.split(text))
    return "\n\n".join(p for p in paragraphs if p) or None


# ---------------------------------------------------------------- identifiers

# Inside URLs a DOI ends at the query separators (`&atitle=` in OpenURL links).
_DOI = re.compile(r"10\.\d{3,9}/[^\s\"&?#<>]+", re.IGNORECASE)


def normalise_doi(value: str | None) -> str | None:
    """`https://doi.org/10.1/ABC [doi]` -> `10.1/abc`. None if no DOI inside."""
    if not value:
        return None
    text = str(value).strip()
    if "%2f" in text.lower():
        text = re.sub("%2f", "/", text, flags=re.IGNORECASE)
    match = _DOI.search(text)
    if not match:
        return None
    doi = match.group(0).rstrip(".,;)]}>\"'")
    return doi.lower()


def find_doi(*values) -> str | None:
    """The first DOI found in any of the values (URLs, notes, ...)."""
    for value in values:
        if isinstance(value, (list, tuple)):
            found = find_doi(*value)
        else:
            found = normalise_doi(value) if value else None
        if found:
            return found
    return None


def normalise_pmid(value: Any) -> str | None:
    if value is None:
        return None
    match = re.search(r"\d{1,9}", str(value))
    return str(int(match.group(0))) if match else None


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


def split_list(value: str | None, separators: str = ";") -> list[str]:
    if not value:
        return []
    parts = re.split("[" + re.escape(separators) + "]", value)
    return [p.strip() for p in parts if p.strip()]


def split_authors(value: str | None) -> list[str]:
    """An author list in one string: `A; B`, `A and B` (BibTeX), Vancouver
    `Liu R., Adler D.G.`, `Labanski, A., Langhorst, J.` or `Ju-El Kim, Jong-Won Lee`.
    A lone `Smith, John` stays one author."""
    if not value or not value.strip():
        return []
    if ";" in value:
        return split_list(value, ";")
    if re.search(r"\s+and\s+", value):
        return [a.strip() for a in re.split(r"\s+and\s+", value) if a.strip()]
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
