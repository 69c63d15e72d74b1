"""Shared reading of tagged-line formats (RIS, MEDLINE, WoS, Ovid, Refer).

Hand-written rather than rispy's parser because a faithful loader needs what
rispy does not give: the raw text of each record, every value of a repeated
tag (rispy keeps only the first value of non-list tags), paragraph breaks in
continued values (rispy joins them with spaces), the last record of a file
that lacks its end tag, and MEDLINE/Ovid/Refer at all. rispy's tag
vocabulary is still used to name the tags kept in `extra` (see ris.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ..textio import LoadError

# Longest value line a tagged export legitimately has (abstracts in one line
# run to tens of KB). Longer lines mean the file is not what it seems.
MAX_LINE = 4 * 1024 * 1024


# Where text found outside any record is kept (with a warning), so a line
# that only looked like an end tag never loses what follows it.
AFTER_END = "(text after the end of the record)"
BEFORE_FIRST = "(text before the first record)"


@dataclass
class TaggedRecord:
    line: int
    raw_lines: list[str] = field(default_factory=list)  # as in the file, endings kept
    fields: list[list[str]] = field(default_factory=list)  # [tag, value] pairs
    warnings: list[str] = field(default_factory=list)

    @property
    def raw(self) -> str:
        """The record's exact text (its last line ending left off)."""
        return "".join(self.raw_lines).rstrip("\r\n")

    @property
    def warning(self) -> str | None:
        return "; ".join(self.warnings) or None

    def add(self, tag: str, value: str):
        self.fields.append([tag, value])

    def extend(self, text: str, joiner: str):
        if self.fields:
            last = self.fields[-1]
            last[1] = f"{last[1]}{joiner}{text}" if last[1] else text

    def keep_outside(self, key: str, lines: list[str], where: str, warn: bool = True):
        """Text outside any record, kept in this record's extra (with a
        warning when warn)."""
        text = "\n".join(line.strip() for line in lines)
        self.add(key, text)
        if warn:
            self.warnings.append(f"{len(lines)} line(s) {where} belong to no record; kept in"
                                 f" extra as {key!r}: {text[:80]!r}")


class FieldBag:
    """The tag/value pairs of one record. Mapping code takes what it uses;
    whatever no column took is returned by `extra()`, so nothing is dropped."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._values: dict[str, list[str]] = {}
        for tag, value in pairs:
            self._values.setdefault(tag, []).append(value)
        self._used: set[tuple[str, int]] = set()

    def __contains__(self, tag):
        return tag in self._values

    def peek(self, tag: str) -> str | None:
        values = self._values.get(tag)
        return values[0] if values else None

    def values(self, tag: str) -> list[str]:
        """Every value of a tag, without taking them (they stay in extra)."""
        return list(self._values.get(tag, ()))

    def first(self, *tags: str) -> str | None:
        """The first non-blank value of the first tag that has one."""
        for tag in tags:
            for index, value in enumerate(self._values.get(tag, ())):
                if value and value.strip():
                    self._used.add((tag, index))
                    return value.strip()
        return None

    def all(self, *tags: str) -> list[str]:
        """Every non-blank value of every tag given, in tag order."""
        found = []
        for tag in tags:
            for index, value in enumerate(self._values.get(tag, ())):
                self._used.add((tag, index))
                if value and value.strip():
                    found.append(value.strip())
        return found

    def extra(self, names: dict[str, str] | None = None) -> dict:
        """Unused values by tag (a string, or a list when the tag repeats)."""
        rest = {}
        for tag, values in self._values.items():
            left = [v for i, v in enumerate(values) if (tag, i) not in self._used and v.strip()]
            if not left:
                continue
            key = tag
            if names and tag in names:
                key = f"{tag} ({names[tag]})"
            rest[key] = left[0] if len(left) == 1 else left
        return rest


def _record_number(line: str) -> bool:
    """Ovid's `1.` line before each record: a number, not text."""
    return line.strip().rstrip(".").isdigit()


def read_tagged(
    lines: Iterable[str],
    parse_line: Callable[[str], tuple[str, str] | None],
    *,
    starts: Callable[[str], bool] | None,
    ends: Callable[[str], bool] = lambda tag: False,
    blank_ends: bool = False,
    joiner: str | Callable[[str], str] = " ",
    continuation: Callable[[str], str | None] = lambda line: line.strip(),
    list_tags: frozenset[str] | set[str] = frozenset(),
    file_tags: frozenset[str] | set[str] = frozenset(),
) -> Iterator[TaggedRecord]:
    """Group tagged lines into records.

    parse_line: (tag, value) for a tag line, None for any other line.
    starts/ends: is this tag the start/end of a record? starts=None: any tag
        line opens a record when none is open (Refer has no start tag).
    blank_ends: a blank line ends the record (MEDLINE, Refer).
    joiner: how a continuation line joins the previous value: a string, or
        joiner(tag, previous line, line) for a choice per line (previous
        line and line are the text of the two lines, without their endings).
    continuation: the text a non-tag line contributes (None: not a continuation).
    list_tags: tags whose continuation lines are further values of the tag
        (one keyword or author per line under a single tag), not more text.
    file_tags: tags of the file, not of a record (WoS's FN, VR, EF header).
    Lines arrive with their endings (LF, CRLF or CR), which the raw text keeps.
    A final record without its end tag is still returned.

    Nothing is dropped silently: text after a record's end and before the next
    record's start (an abstract line that only looked like `ER  - `) stays
    with the record before it, in its raw text and in its extra, with a
    warning; text before the first record goes to the first record's extra,
    with a warning. Blank lines, record numbers (Ovid's `1.`) and file tags
    are not text.
    """
    record: TaggedRecord | None = None
    ended: TaggedRecord | None = None  # the last record closed, until the next starts
    between: list[str] = []  # lines read since it closed (raw, endings kept)
    outside: list[str] = []  # the text among them
    before_first: list[str] = []
    seen_record = False
    previous = ""

    def release():
        """The record that ended, with any text found after it."""
        nonlocal ended
        done = ended
        ended = None
        if done is not None and outside:
            last = max(i for i, line in enumerate(between) if line.strip())
            done.raw_lines.extend(between[:last + 1])
            # Ovid writes a "Link to the Ovid Full Text" line after each record:
            # its own text, kept quietly. Tag lines there mean the end tag was
            # not one (or fields were cut off): a person should look.
            done.keep_outside(AFTER_END, outside, "after its end",
                              warn=any(parse_line(line) for line in outside))
        between.clear()
        outside.clear()
        return done

    def opened(number: int) -> TaggedRecord:
        nonlocal seen_record
        new = TaggedRecord(number)
        if not seen_record and before_first:
            new.keep_outside(BEFORE_FIRST, before_first, "before it")
        seen_record = True
        return new

    def stray(full_line: str, line: str, tag: str | None = None):
        """A line outside any record."""
        if tag in file_tags or _record_number(line):
            return
        if ended is not None:
            between.append(full_line)
            outside.append(line)
        elif not seen_record:
            before_first.append(line)

    for number, full_line in enumerate(lines, 1):
        line = full_line.rstrip("\r\n")
        if len(line) > MAX_LINE:
            raise LoadError(f"line longer than {MAX_LINE} characters", f"line {number}")
        if not line.strip():
            if record is not None and blank_ends:
                ended, record = record, None
            elif record is not None:
                record.raw_lines.append(full_line)
            elif ended is not None:
                between.append(full_line)
            previous = ""
            continue
        parsed = parse_line(line)
        if parsed is not None:
            tag, value = parsed
            if starts is not None and starts(tag):
                if record is not None and record.fields:
                    yield record
                done = release()
                if done is not None:
                    yield done
                record = opened(number)
            elif record is None:
                if starts is not None or tag in file_tags:
                    stray(full_line, line, tag)  # header line (FN, VR) or stray tag
                    previous = line
                    continue
                done = release()
                if done is not None:
                    yield done
                record = opened(number)
            record.raw_lines.append(full_line)
            if ends(tag):
                done = release()
                if done is not None:
                    yield done
                ended, record = record, None
                continue
            record.add(tag, value)
        elif record is not None:
            record.raw_lines.append(full_line)
            text = continuation(line)
            if text:
                tag = record.fields[-1][0] if record.fields else ""
                if tag in list_tags:
                    record.add(tag, text)
                else:
                    record.extend(text, joiner(tag, previous, line) if callable(joiner)
                                  else joiner)
        else:
            stray(full_line, line)
        previous = line
    done = release()
    if done is not None:
        yield done
    if record is not None and record.fields:
        yield record
