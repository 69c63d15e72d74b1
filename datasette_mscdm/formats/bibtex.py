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
from bibtexparser.middlewares.names import split_multiple_persons_names
from bibtexparser.model import DuplicateFieldKeyBlock, Entry, ParsingFailedBlock, String
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
    # Values are taken as written (no middleware): value_text() resolves
    # @string macros, `#` concatenation and the enclosing braces or quotes
    # the same way for every entry, including one bibtexparser refused for a
    # duplicated field (it applies no middleware to those); LaTeX is decoded
    # field by field in to_record.
    library = bibtexparser.parse_string(text, parse_stack=[])
    strings: dict[str, str] = {}
    blocks = []
    for block in library.blocks:
        if isinstance(block, String):
            strings[block.key.lower()] = value_text(block.value, strings)
        elif isinstance(block, Entry):
            blocks.append((block, None))
        elif isinstance(block, DuplicateFieldKeyBlock):
            keys = ", ".join(sorted(block.duplicate_keys))
            blocks.append((block.ignore_error_block,
                           f"duplicated field(s) {keys} in entry starting at line "
                           f"{block.start_line + 1}; all values kept"))
        elif isinstance(block, ParsingFailedBlock):
            raise LoadError(f"unparseable BibTeX entry: {block.error}",
                            f"line {block.start_line + 1}")
    for entry, warning in blocks:
        yield Parsed(to_record(entry, strings), entry.raw, entry.start_line + 1, warning)


def _top_level_parts(value: str) -> list[str]:
    """The parts of a value joined by `#` outside braces and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


def value_text(value: str, strings: dict[str, str]) -> str:
    """A field's value as BibTeX reads it: `{...}` and `"..."` delimit text,
    a bare word is an @string macro (`journal = diab # " Supplement"`), a
    bare number is itself, and `#` concatenates."""
    value = value.strip()
    if "#" not in value and value[:1] in "{\"" and value[-1:] == {"{": "}", '"': '"'}.get(value[:1]):
        return value[1:-1]
    pieces = []
    for part in _top_level_parts(value):
        part = part.strip()
        if len(part) >= 2 and part[0] + part[-1] in ("{}", '""'):
            pieces.append(part[1:-1])
        else:
            pieces.append(strings.get(part.lower(), part))
    return "".join(pieces)


# `%` starts a LaTeX comment and `&` is a table column separator; in an
# exported abstract both are text ("45% of", "Taylor & Francis").
_UNESCAPED = re.compile(r"(?<!\\)([%&])")
_LATEX_HINT = re.compile(r"[\\{}$~%&]")
# Fields that hold identifiers or links.
IDENTIFIER_FIELDS = {"doi", "url", "pmid", "pubmed_id", "pmcid", "issn", "isbn", "eprint", "file",
                     "urldate"}
_IDENTIFIER_ESCAPES = [
    ("{\\textless}", "<"), ("{\\textgreater}", ">"), ("\\textless", "<"), ("\\textgreater", ">"),
    ("$<$", "<"), ("$>$", ">"), ("{\\textunderscore}", "_"), ("{\\textasciitilde}", "~"),
    ("\\textasciitilde", "~"), ("\\~{}", "~"), ("\\_", "_"), ("\\%", "%"), ("\\&", "&"),
    ("\\#", "#"), ("\\$", "$"), ("\\{", "\x00"), ("\\}", "\x01"),
]


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


# Fields that list people, split at their top-level "and" before decoding
# (`{Centers for Disease Control and Prevention}` is one name).
NAME_FIELDS = {"author", "editor"}


def split_names(value: str) -> list[str]:
    """A BibTeX name list: split at " and " (any case, as BibTeX does) outside
    braces, each name then decoded."""
    return [name for name in (latex_to_text(n).strip()
                              for n in split_multiple_persons_names(value)) if name]


def to_record(entry: Entry, strings: dict[str, str] | None = None) -> Record:
    values: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    for field in entry.fields:
        key = field.key.lower().replace("\xa0", " ").strip()
        value = value_text(str(field.value), strings or {})
        if key in NAME_FIELDS:
            names.setdefault(key, []).append(value)
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
    if take("author") is not None:
        record.authors = split_names(names["author"][0])
    record.journal = take("journal") or take("journaltitle") or take("booktitle")
    record.volume = take("volume")
    record.issue = take("number") or take("issue")
    record.pages = take("pages")
    record.year = parse_year(take("year")) or parse_year(values.get("date", [None])[0])
    record.doi = take("doi")
    record.pmid = take("pmid") or take("pubmed_id")  # Scopus writes pubmed_id
    record.pmcid = take("pmcid")
    record.url = take("url")
    record.abstract = take("abstract")
    record.keywords = split_keywords(take("keywords")) + split_list(
        take("author_keywords") or "", ";")
    # Scopus's document type ("Review", "Conference Paper") says more than
    # the entry type (every Scopus journal item is @ARTICLE).
    document_type = take("document_type")
    if document_type:
        record.publication_types.append(document_type)
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
