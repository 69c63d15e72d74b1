"""BibTeX (Scopus, Web of Science, Zotero, JabRef) through bibtexparser.
An entry with a duplicated field is kept (strict parsers reject it) with a
warning; the duplicate values are kept in extra, decoded like any other.

LaTeX in values is decoded with pylatexenc (what bibtexparser's own
LatexDecodingMiddleware uses), told what it gets wrong in exports: text
macros it drops, above all `{\textless}` and `{\textgreater}`, which are `<`
and `>` (Zotero writes "p < 0.001" that way; see TEXT_MACROS); a `%` in a
value is a per cent sign, not the start of a LaTeX comment that would cut the
rest of an abstract; a bare `&` is an ampersand, not a column separator.
Identifiers and links (DOI, URL) only have their escapes undone: `~` there is
a tilde, not a space."""

from __future__ import annotations

import functools
import re
import unicodedata

import bibtexparser
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.model import DuplicateFieldKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from ..records import Record, find_doi, normalise_doi, parse_int, parse_year, split_keywords, split_list
from ..textio import LoadError
from . import Parsed

NAME = "bibtex"
LABEL = "BibTeX"

_ENTRY = re.compile(r"^\s*@(article|book|inproceedings|incollection|misc|phdthesis|"
                    r"mastersthesis|techreport|conference|inbook|online|report|unpublished|"
                    r"proceedings|manual|booklet|thesis|collection)\s*[{(]",
                    re.IGNORECASE | re.MULTILINE)


def sniff(head: str) -> bool:
    return bool(_ENTRY.search(head))


def parse(stream):
    # bibtexparser parses a whole string; BibTeX exports are bounded by what
    # a reference manager writes (thousands of entries), which fits in memory.
    text = stream.read()
    # The default stack resolves @string macros and removes enclosing braces
    # and quotes; LaTeX is decoded field by field in to_record.
    library = bibtexparser.parse_string(text)
    blocks = []
    for block in library.blocks:
        if isinstance(block, Entry):
            blocks.append((block, None))
        elif isinstance(block, DuplicateFieldKeyBlock):
            # bibtexparser applies no middleware to an entry it refused: do
            # what the default stack does, or its values keep their braces.
            entry = _resolve_strings(block.ignore_error_block, library)
            entry = RemoveEnclosingMiddleware(True).transform_entry(entry, library)
            keys = ", ".join(sorted(block.duplicate_keys))
            blocks.append((entry, f"duplicated field(s) {keys} in entry starting at line "
                                  f"{block.start_line + 1}; all values kept"))
        elif isinstance(block, ParsingFailedBlock):
            raise LoadError(f"unparseable BibTeX entry: {block.error}",
                            f"line {block.start_line + 1}")
    for entry, warning in blocks:
        yield Parsed(to_record(entry), entry.raw, entry.start_line + 1, warning)


# `%` starts a LaTeX comment and `&` is a table column separator; in an
# exported abstract both are text ("45% of", "Taylor & Francis").
_UNESCAPED = re.compile(r"(?<!\\)([%&])")
_LATEX_HINT = re.compile(r"[\\{}$~%&]")
# Fields that hold identifiers or links.
IDENTIFIER_FIELDS = {"doi", "url", "pmid", "pmcid", "issn", "isbn", "eprint", "file", "urldate"}
_IDENTIFIER_ESCAPES = [
    ("{\\textless}", "<"), ("{\\textgreater}", ">"), ("\\textless", "<"), ("\\textgreater", ">"),
    ("$<$", "<"), ("$>$", ">"), ("{\\textunderscore}", "_"), ("{\\textasciitilde}", "~"),
    ("\\textasciitilde", "~"), ("\\~{}", "~"), ("\\_", "_"), ("\\%", "%"), ("\\&", "&"),
    ("\\#", "#"), ("\\$", "$"), ("\\{", "\x00"), ("\\}", "\x01"),
]


def _resolve_strings(entry: Entry, library) -> Entry:
    """@string macros used as bare values, as ResolveStringReferencesMiddleware
    resolves them (it works on a whole library's entries)."""
    strings = {key.lower(): string.value for key, string in library.strings_dict.items()}
    for field in entry.fields:
        value = field.value
        if isinstance(value, str) and not value.startswith(("{", '"')):
            field.value = strings.get(value.lower(), value)
    return entry


def _unicode_name(letter: str) -> str:
    return "LAMDA" if letter == "lambda" else letter.upper()  # Unicode spells it so


# Text macros reference managers write that pylatexenc decodes to nothing
# (it drops a macro it does not know): textcomp's and textgreek's.
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi"
          " rho sigma tau upsilon phi chi psi omega").split()
TEXT_MACROS = {
    "textless": "<", "textgreater": ">", "copyright": "\u00a9", "textquotedbl": '"',
    "textbar": "|", "textunderscore": "_", "textbraceleft": "{", "textbraceright": "}",
    **{f"text{name}": unicodedata.lookup(f"GREEK SMALL LETTER {_unicode_name(name)}")
       for name in _GREEK},
    **{f"text{name.capitalize()}": unicodedata.lookup(
        f"GREEK CAPITAL LETTER {_unicode_name(name)}") for name in _GREEK},
}


@functools.cache
def _decoder() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category("mscdm", prepend=True, macros=[
        MacroTextSpec(name, text) for name, text in TEXT_MACROS.items()])
    return LatexNodes2Text(latex_context=context)


def latex_to_text(value: str) -> str:
    """A field's LaTeX as text (see the module docstring)."""
    if not _LATEX_HINT.search(value):
        return value
    return _decoder().latex_to_text(_UNESCAPED.sub(r"\\\1", value))


def identifier_text(value: str) -> str:
    """An identifier or link with its BibTeX escapes undone and braces gone."""
    for escaped, plain in _IDENTIFIER_ESCAPES:
        value = value.replace(escaped, plain)
    return value.replace("{", "").replace("}", "").replace("\x00", "{").replace("\x01", "}")


def to_record(entry: Entry) -> Record:
    values: dict[str, list[str]] = {}
    for field in entry.fields:
        key = field.key.lower().replace("\xa0", " ").strip()
        value = str(field.value)
        values.setdefault(key, []).append(
            identifier_text(value) if key in IDENTIFIER_FIELDS else latex_to_text(value))

    def take(key):
        found = values.pop(key, None)
        if not found:
            return None
        if len(found) > 1:
            values[key] = found[1:]  # the other values of a duplicated field stay in extra
        return found[0]

    record = Record()
    record.publication_types = [entry.entry_type.lower()]
    record.title = take("title")
    authors = take("author")
    record.authors = [a.strip() for a in re.split(r"\s+and\s+", authors or "") if a.strip()]
    record.journal = take("journal") or take("journaltitle") or take("booktitle")
    record.volume = take("volume")
    record.issue = take("number") or take("issue")
    record.pages = take("pages")
    record.year = parse_year(take("year")) or parse_year(values.get("date", [None])[0])
    record.doi = take("doi")
    record.pmid = take("pmid")
    record.pmcid = take("pmcid")
    record.url = take("url")
    record.abstract = take("abstract")
    record.keywords = split_keywords(take("keywords")) + split_list(
        take("author_keywords") or "", ";")
    record.language = take("language")
    note = values.get("note", [""])[0]
    match = re.search(r"cited by (\d+)", note, re.IGNORECASE)
    if match:
        record.citation_count = parse_int(match.group(1))
    source = values.get("source", [""])[0]
    record.database = source or None
    if not normalise_doi(record.doi):
        record.doi_elsewhere = find_doi(values.get("url"))
    record.extra = {"citation key": entry.key, "entry type": entry.entry_type}
    record.extra.update({k: v[0] if len(v) == 1 else v for k, v in values.items()})
    return record
