"""Seed format B: an AI research assistant's summary of a paper. No title and
no DOI; one or more claim sentences, an `Abstract ...` paragraph, then a
generated study summary:

    <First author> et al. (<...>) conducted a <study design> in <population>.
    <Intervention> was evaluated. <finding>

Several summaries may follow each other in one file; each ends with its
summary line. What the format cannot give (title, DOI, year, journal) is
listed in the record's `missing_fields`.
"""

from __future__ import annotations

import re

from ..records import Record, parse_year
from ..textio import LoadError
from . import Parsed

NAME = "seed-summary"
LABEL = "AI research-assistant summary (seed format B)"

_ABSTRACT = re.compile(r"^\s*Abstract[:.]?\s+(\S.*)$", re.IGNORECASE)
_SUMMARY_START = re.compile(r"\bet al\.?\s*\(([^)]*)\)\s+conducted\b", re.IGNORECASE)
_SUMMARY = re.compile(
    r"^(?P<author>.+?)\s+et al\.?\s*\((?P<paren>[^)]*)\)\s+conducted\s+(?:an?\s+|the\s+)?"
    r"(?P<design>.+?)(?:\s+(?:in|on|among|with|of)\s+(?P<population>.+?))?\.\s+"
    r"(?P<intervention>.+?)\s+(?:was|were)\s+evaluated\.\s*(?P<finding>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def sniff(head: str) -> bool:
    return bool(re.search(r"^\s*Abstract[:.]?\s+\S", head, re.MULTILINE | re.IGNORECASE)) and bool(
        _SUMMARY_START.search(head))


def parse(stream):
    block: list[tuple[int, str]] = []  # (line number, line as in the file)
    for number, line in enumerate(stream, 1):
        if not block and not line.strip():
            continue
        block.append((number, line))
        if _SUMMARY_START.search(line):
            yield _to_parsed(block)
            block = []
    if any(text.strip() for _, text in block):
        if not any(_ABSTRACT.match(text) for _, text in block):
            raise LoadError("text after the last summary is not a record", f"line {block[0][0]}")
        yield _to_parsed(block)


def _to_parsed(block) -> Parsed:
    lines = [text.rstrip("\r\n") for _, text in block]
    return Parsed(to_record(lines), "".join(text for _, text in block).strip(), block[0][0])


def to_record(lines: list[str]) -> Record:
    record = Record(database="AI research assistant")
    claims, abstract, summary, other = [], [], None, []
    seen_abstract = False
    for line in lines:
        if not line.strip():
            continue
        match = _ABSTRACT.match(line)
        if match and not seen_abstract:
            seen_abstract = True
            abstract.append(match.group(1))
        elif _SUMMARY_START.search(line):
            summary = line.strip()
        elif not seen_abstract:
            claims.append(line.strip())
        elif summary is None:
            abstract.append(line)
        else:
            other.append(line)
    record.claims = claims
    record.abstract = "\n\n".join(a.strip() for a in abstract) or None
    if summary:
        record.extra["study summary"] = summary
        match = _SUMMARY.match(summary)
        if match:
            record.first_author = match.group("author").strip()
            record.authors = [record.first_author]
            record.study_design = match.group("design").strip()
            record.population = (match.group("population") or "").strip() or None
            record.intervention = match.group("intervention").strip()
            if match.group("finding").strip():
                record.extra["finding"] = match.group("finding").strip()
            paren = match.group("paren").strip()
            if paren:
                # Usually the year; the seed shows it can be other text ("Sun,").
                record.year = parse_year(paren)
                record.extra["summary parenthesis"] = paren
        else:
            record.extra["summary not understood"] = True
    if other:
        record.extra["other lines"] = other
    return record
