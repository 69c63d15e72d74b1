"""Input formats. Each module turns one kind of document into `Parsed` items
(one normalised `Record` plus the raw text of that record as read and where it
started); this package picks the module from the file's content.

A format module provides:
    NAME   - the short name used by `--format` and stored in `sources.format`
    LABEL  - a human name
    sniff(head: str) -> bool   - does the start of this text look like the format?
    parse(stream: TextIO) -> Iterator[Parsed]
A text stream keeps the file's line endings (LF, CRLF or CR), so `raw` can
be the record's exact text. A module that reads a binary file (xlsx) has
`parse_file(facts)` instead and no `sniff`: such files are recognised by
their bytes when they are inspected (textio.inspect_file).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..records import Record
from ..textio import FileFacts, LoadError, read_head


@dataclass
class Parsed:
    record: Record
    raw: str  # the record's text exactly as in the decoded file
    line: int | None = None  # line (or entry) where the record starts
    warning: str | None = None


from . import (  # noqa: E402  (modules import Parsed from here)
    bibtex,
    csl_json,
    csv_table,
    endnote_xml,
    json_lines,
    medline,
    ovid,
    pubmed_xml,
    refer,
    ris,
    seed_aggregator,
    seed_summary,
    wos,
    xlsx,
)

# Order matters: the more specific signatures are tried first (a WoS file
# also has `ER` lines; a seed summary may hold text that looks like anything).
# An Ovid export holds MEDLINE- and RIS-like tags, so it is tried before them.
FORMATS = [
    pubmed_xml,
    endnote_xml,
    seed_aggregator,
    json_lines,  # before CSL-JSON: lines of CSL items would look like CSL-JSON
    csl_json,
    ovid,
    medline,
    wos,
    ris,
    refer,
    bibtex,
    seed_summary,
    csv_table,
]

BY_NAME = {module.NAME: module for module in [*FORMATS, xlsx]}


def detect_file(facts: FileFacts):
    """The format module for an inspected file: a workbook by its bytes,
    text by the signature at its start."""
    if facts.is_workbook:
        return xlsx
    return detect(read_head(facts))


def detect(head: str):
    """The format module whose signature matches the start of the text."""
    text = head.lstrip("\ufeff")
    for module in FORMATS:
        if module.sniff(text):
            return module
    raise LoadError(
        f"{NOT_AN_EXPORT}: not one of " + ", ".join(m.LABEL for m in FORMATS),
        "start of file",
    )


# How a file that is no bibliographic export is reported (a README, a
# MANIFEST.csv, a list of ids): a folder walk skips such files.
NOT_AN_EXPORT = "unrecognised format"


def is_not_an_export(error: str | None) -> bool:
    return bool(error) and (error.startswith(NOT_AN_EXPORT)
                            or error.startswith("no sheet has a title or abstract column"))
