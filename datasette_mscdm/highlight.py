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


@dataclass
class Highlighter:
    include: re.Pattern | None
    exclude: re.Pattern | None

    @classmethod
    def for_database(cls, datasette, database: str) -> "Highlighter":
        """From the plugin configuration of that database, else the top level
        (Datasette does not fall back from one to the other itself)."""
        config = (datasette.plugin_config(PLUGIN, database=database)
                  or datasette.plugin_config(PLUGIN))
        return cls.from_config(config)

    @classmethod
    def from_config(cls, config: dict | None) -> "Highlighter":
        config = (config or {}).get("highlight") or {}
        return cls(_compile(config.get("include")), _compile(config.get("exclude")))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, kind) matches, earliest first; at the
        same place an exclude term wins (it is the one a screener must see)."""
        found = []
        for kind, pattern in (("exclude", self.exclude), ("include", self.include)):
            if pattern is not None:
                found += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
        found.sort(key=lambda span: (span[0], span[2] != "exclude", -span[1]))
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
        for start, end, kind in self.spans(text):
            out.append(escape(text[position:start]))
            out.append(Markup('<mark class="mscdm-{}">{}</mark>').format(kind, text[start:end]))
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


def _compile(terms) -> re.Pattern | None:
    return _compile_terms(tuple(str(t).strip() for t in terms or [] if str(t).strip()))


@functools.lru_cache(maxsize=64)
def _compile_terms(terms: tuple[str, ...]) -> re.Pattern | None:
    # Cached: table pages build a highlighter for every abstract cell.
    if not terms:
        return None
    # Whole words at the start, any ending ("exosome" marks "exosomes");
    # a space or hyphen in a term matches either.
    alternatives = [r"[\s\-]+".join(re.escape(p) for p in re.split(r"[\s\-]+", t)) for t in terms]
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")\w*", re.IGNORECASE)


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
