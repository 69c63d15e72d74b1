"""Include/exclude keyword highlighting of untrusted text.

Matches are found on the raw text and every piece, matched or not, is
HTML-escaped on its own before the <mark> tags go around it, so markup in
an abstract (`<script>`) can never become live.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

PLUGIN = "datasette-mscdm"
_LABEL = re.compile(r"^([A-Z][A-Za-z /&,()-]{1,60}):\s")


@dataclass(frozen=True)
class TermGroup:
    """Terms marked alike: `kind` include or exclude, and the eligibility
    criterion they belong to (shown as the mark's tooltip), if any."""
    kind: str
    terms: tuple[str, ...]
    label: str | None = None


@dataclass
class Highlighter:
    groups: tuple[tuple[re.Pattern, TermGroup], ...] = ()

    @classmethod
    def for_database(cls, datasette, database: str, protocol=None,
                     case_sensitive: frozenset[str] = frozenset()) -> "Highlighter":
        """The configured terms of that database (else the top level:
        Datasette does not fall back from one to the other itself), the
        protocol's criterion terms, and the vocabulary's case-sensitive
        synonyms (`case_sensitive`)."""
        config = (datasette.plugin_config(PLUGIN, database=database)
                  or datasette.plugin_config(PLUGIN))
        return cls.from_config(config, protocol, case_sensitive)

    @classmethod
    def from_config(cls, config: dict | None, protocol=None,
                    case_sensitive: frozenset[str] = frozenset()) -> "Highlighter":
        config = (config or {}).get("highlight") or {}
        groups = [TermGroup("exclude", _terms(config.get("exclude"))),
                  TermGroup("include", _terms(config.get("include")))]
        for criterion in getattr(protocol, "criteria", ()):
            groups.append(TermGroup("include", _terms(criterion.highlight), criterion.label))
        compiled = []
        for group in groups:
            pattern = _compile_terms(group.terms, frozenset(case_sensitive))
            if pattern is not None:
                compiled.append((pattern, group))
        return cls(tuple(compiled))

    def spans(self, text: str) -> list[tuple[int, int, TermGroup]]:
        """Non-overlapping (start, end, group) matches, earliest first; at the
        same place an exclude term wins (it is the one a screener must see),
        then the longest match."""
        found = []
        for pattern, group in self.groups:
            found += [(m.start(), m.end(), group) for m in pattern.finditer(text)]
        found.sort(key=lambda span: (span[0], span[2].kind != "exclude", -span[1]))
        kept, end = [], -1
        for span in found:
            if span[0] >= end:
                kept.append(span)
                end = span[1]
        return kept

    def markup(self, text: str | None) -> Markup:
        """The text, escaped, with <mark class="mscdm-include|exclude"> around matches."""
        if not text:
            return Markup("")
        out, position = [], 0
        for start, end, group in self.spans(text):
            out.append(escape(text[position:start]))
            if group.label:
                out.append(Markup('<mark class="mscdm-{} mscdm-criterion" title="{}">{}</mark>')
                           .format(group.kind, group.label, text[start:end]))
            else:
                out.append(Markup('<mark class="mscdm-{}">{}</mark>').format(
                    group.kind, text[start:end]))
            position = end
        out.append(escape(text[position:]))
        return Markup("").join(out)

    def paragraphs(self, text: str | None) -> list[dict]:
        """An abstract as paragraphs; a structured label ("METHODS: ...") apart."""
        result = []
        for paragraph in (text or "").split("\n\n"):
            if not paragraph.strip():
                continue
            match = _LABEL.match(paragraph)
            label = match.group(1) if match else None
            body = paragraph[match.end():] if match else paragraph
            result.append({"label": label, "html": self.markup(body)})
        return result

    def snippet(self, text: str | None, length: int = 400) -> Markup:
        """The start of a text, highlighted, for table cells."""
        if not text:
            return Markup("")
        cut = text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
        return self.markup(cut)


def _terms(terms) -> tuple[str, ...]:
    return tuple(str(t).strip() for t in terms or [] if str(t).strip())


# An acronym: capitals and digits (a hyphen, a final plural "s" allowed): EV,
# MSC, DM, T2DM, MSCs. Written so in the configuration, it is meant so.
_ACRONYM = re.compile(r"(?=.*[A-Z])[A-Z0-9][A-Z0-9\-]*s?")


def is_case_sensitive(term: str, case_sensitive: frozenset[str]) -> bool:
    """Acronyms match only as written (`EV` must not mark "evolved"), and so
    do the synonyms the vocabulary marks case-sensitive (SHED, sEV)."""
    return bool(_ACRONYM.fullmatch(term)) or term in case_sensitive


def term_regex(term: str, case_sensitive: frozenset[str] = frozenset()) -> str:
    """The regular expression of one highlight term.

    - Whole words only; a space or hyphen in a term matches either.
    - A final `*` is an explicit wildcard: `exosom*` marks exosome, exosomes,
      exosomal. Without it a term also takes a plural ending (s, es).
    - Acronyms and the vocabulary's case-sensitive synonyms match as written;
      everything else ignores case.
    """
    wildcard = term.endswith("*")
    stem = term.rstrip("*").strip()
    body = r"[\s\-]+".join(re.escape(part) for part in re.split(r"[\s\-]+", stem) if part)
    if not body:
        return ""
    sensitive = is_case_sensitive(stem, case_sensitive)
    ending = r"\w*" if wildcard else (r"s?" if sensitive else r"(?:e?s)?")
    regex = rf"(?<!\w){body}{ending}(?!\w)"
    return regex if sensitive else f"(?i:{regex})"


@functools.lru_cache(maxsize=256)
def _compile_terms(terms: tuple[str, ...], case_sensitive: frozenset[str]) -> re.Pattern | None:
    # Cached: table pages build a highlighter for every abstract cell.
    alternatives = [term_regex(t, case_sensitive) for t in terms]
    alternatives = sorted((a for a in alternatives if a), key=len, reverse=True)
    return re.compile("|".join(alternatives)) if alternatives else None


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s); record fields are untrusted (no javascript:)."""
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def record_links(record: dict) -> dict:
    """Where to read a record: DOI, PubMed, PMC, its link and PDF (http(s)
    only), for the record page and the screening card."""
    return {
        "doi": f"https://doi.org/{record['doi']}" if record["doi"] else None,
        "pubmed": (f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"
                   if record["pmid"] else None),
        "pmc": (f"https://www.ncbi.nlm.nih.gov/pmc/articles/{record['pmcid']}/"
                if record["pmcid"] else None),
        "url": safe_url(record["url"]),
        "pdf": safe_url(record["pdf_url"]),
    }
