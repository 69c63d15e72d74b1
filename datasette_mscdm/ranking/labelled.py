"""Labelled screening sets for simulation: a CSV/TSV or RIS file with one
decision per record, or a review database with its decisions.

Files are parsed by the same format modules `mscdm load` uses, so a labelled
export reads exactly as it would load. Labels come from:

- CSV/TSV: the first column named like a label (`label_included`,
  `included`, `final_included`, `label`, `included_label`, `include`,
  `decision`, ...; see LABEL_COLUMNS) or the one given. Values 1/0, yes/no,
  true/false, include(d)/exclude(d), relevant/irrelevant; a blank or any
  other value leaves the record unlabelled (left out of the simulation).
  `label_abstract_screening` (two-stage sets such as Cohen 2006) is kept as
  the title/abstract label beside the final one.
- RIS: ASReview's export convention, a note (N1) or keyword (KW) reading
  `ASReview_relevant` or `ASReview_irrelevant` (`ASReview_not_seen`:
  unlabelled); or a keyword that is exactly `included` or `excluded`.
- A review database: the final decisions (`screening_status` included /
  excluded; records still open are left out), or with stage="title_abstract"
  the title/abstract outcome (`ta_status` included / excluded).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import formats
from ..textio import LoadError, inspect_file, open_text, read_head

# Column names (compared lower-case, without spaces, dashes and underscores)
# that hold the final decision, in order of preference.
LABEL_COLUMNS = ("labelincluded", "finalincluded", "includedfinal", "included", "includedlabel",
                 "label", "include", "inclusion", "relevant", "decision", "finaldecision")
TA_LABEL_COLUMNS = ("labelabstractscreening", "abstractincluded", "labelabstract",
                    "titleabstractincluded")

_TRUE = {"1", "1.0", "yes", "y", "true", "t", "include", "included", "relevant"}
_FALSE = {"0", "0.0", "no", "n", "false", "f", "exclude", "excluded", "irrelevant"}

RIS_RELEVANT = re.compile(r"\bASReview_relevant\b", re.IGNORECASE)
RIS_IRRELEVANT = re.compile(r"\bASReview_irrelevant\b", re.IGNORECASE)


class LabelledError(ValueError):
    """A labelled set that cannot be simulated; the message names the file."""


@dataclass
class LabelledSet:
    """The labelled records of one set, in file order (unlabelled ones left out)."""

    name: str
    rows: list[int]                 # 0-based record position in the file, or record id
    titles: list[str]
    abstracts: list[str]
    keywords: list[list[str]]
    labels: np.ndarray              # 1 include, 0 exclude
    ta_labels: np.ndarray | None = None  # title/abstract labels of a two-stage set
    row_name: str = "row"           # "row" for files, "record_id" for databases
    unlabelled: int = 0
    extra: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.labels)

    @property
    def includes(self) -> int:
        return int(self.labels.sum())


def parse_label(value) -> int | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    return None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _pick_column(extra_names, wanted: tuple[str, ...], given: str | None) -> str | None:
    if given:
        for name in extra_names:
            if name == given or _key(name) == _key(given):
                return name
        return None
    by_key = {}
    for name in extra_names:
        by_key.setdefault(_key(name), name)
    for key in wanted:
        if key in by_key:
            return by_key[key]
    return None


def read_labelled(path: str | Path, label_column: str | None = None,
                  stage: str = "final") -> LabelledSet:
    """The labelled set in a CSV/TSV or RIS file, or in a review database."""
    path = Path(path)
    if not path.exists():
        raise LabelledError(f"{path}: no such file")
    with open(path, "rb") as probe:
        if probe.read(16) == b"SQLite format 3\x00":
            return read_review_db(path, stage)
    try:
        facts = inspect_file(path)
        module = formats.detect(read_head(facts))
    except LoadError as error:
        raise LabelledError(f"{path}: {error}") from error
    if module.NAME not in ("csv", "ris"):
        raise LabelledError(f"{path}: {module.LABEL} carries no labels; give a labelled CSV/TSV "
                            "or RIS file, or a review database")
    stream, _ = open_text(facts)
    try:
        with stream:
            parsed = [p.record for p in module.parse(stream)]
    except (LoadError, csv.Error) as error:
        raise LabelledError(f"{path}: {error}") from error
    if module.NAME == "csv":
        return _from_table(path, parsed, label_column)
    return _from_ris(path, parsed)


def _from_table(path: Path, records, label_column: str | None) -> LabelledSet:
    names = list(dict.fromkeys(name for r in records for name in r.extra))
    column = _pick_column(names, LABEL_COLUMNS, label_column)
    if column is None:
        wanted = (f"no column {label_column!r}" if label_column
                  else "no label column (label_included, included, label, ...)")
        others = ", ".join(names) or "none"
        raise LabelledError(f"{path}: {wanted}; the columns that are not bibliographic "
                            f"fields: {others}")
    ta_column = _pick_column(names, TA_LABEL_COLUMNS, None)
    labelled = _Builder(path.stem)
    for position, record in enumerate(records):
        label = parse_label(record.extra.get(column))
        ta = parse_label(record.extra.get(ta_column)) if ta_column else None
        labelled.add(position, record, label, ta)
    return labelled.build(path, has_ta=ta_column is not None)


def _from_ris(path: Path, records) -> LabelledSet:
    labelled = _Builder(path.stem)
    for position, record in enumerate(records):
        labelled.add(position, record, ris_label(record), None)
    return labelled.build(path, has_ta=False)


def ris_label(record) -> int | None:
    """The label of a RIS record by ASReview's note convention or an
    `included`/`excluded` keyword."""
    notes = [str(v) for k, v in record.extra.items() if k.startswith(("N1", "KW"))]
    texts = notes + list(record.keywords)
    for text in texts:
        if RIS_RELEVANT.search(text):
            return 1
        if RIS_IRRELEVANT.search(text):
            return 0
    for keyword in record.keywords:
        if keyword.strip().lower() in ("included", "excluded"):
            return 1 if keyword.strip().lower() == "included" else 0
    return None


class _Builder:
    def __init__(self, name: str):
        self.name = name
        self.rows, self.titles, self.abstracts, self.keywords = [], [], [], []
        self.labels, self.ta_labels = [], []
        self.unlabelled = 0

    def add(self, row, record, label, ta):
        if label is None:
            self.unlabelled += 1
            return
        self.rows.append(row)
        self.titles.append(record.title or "")
        self.abstracts.append(record.abstract or "")
        self.keywords.append(list(record.keywords))
        self.labels.append(label)
        # A two-stage set's final include passed title/abstract screening.
        self.ta_labels.append(label if ta is None else max(ta, label))

    def build(self, path, has_ta: bool, row_name: str = "row") -> LabelledSet:
        labels = np.array(self.labels, dtype=np.int8)
        if not len(labels) or labels.min() == labels.max():
            raise LabelledError(f"{path}: a simulation needs at least one included and one "
                                f"excluded record; found {int(labels.sum())} included and "
                                f"{int(len(labels) - labels.sum())} excluded")
        return LabelledSet(self.name, self.rows, self.titles, self.abstracts, self.keywords,
                           labels, np.array(self.ta_labels, dtype=np.int8) if has_ta else None,
                           row_name, self.unlabelled)


def read_review_db(path: Path, stage: str = "final") -> LabelledSet:
    if stage not in ("final", "title_abstract"):
        raise LabelledError(f"stage must be final or title_abstract, not {stage!r}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
        if "ta_status" not in columns:
            raise LabelledError(f"{path}: not a review database with screening decisions")
        status = "screening_status" if stage == "final" else "ta_status"
        rows = conn.execute(
            f"SELECT id, title, abstract, keywords, {status}, ta_status FROM records ORDER BY id"
        ).fetchall()
    except sqlite3.DatabaseError as error:
        raise LabelledError(f"{path}: {error}") from error
    finally:
        conn.close()
    labelled = _Builder(path.stem)
    for record_id, title, abstract, keywords, outcome, ta_status in rows:
        label = {"included": 1, "excluded": 0}.get(outcome)
        record = _DbRecord(title, abstract, json.loads(keywords or "[]"))
        # Passing title/abstract and failing at full text is the two-stage signal.
        ta = {"included": 1, "excluded": 0}.get(ta_status)
        labelled.add(record_id, record, label, ta)
    return labelled.build(path, has_ta=stage == "final", row_name="record_id")


@dataclass
class _DbRecord:
    title: str | None
    abstract: str | None
    keywords: list[str]
