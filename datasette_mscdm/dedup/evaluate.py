"""Measuring duplicate detection on labelled benchmark sets.

Counting follows bib-dedupe's benchmark (CoLRev), re-implemented here: per
record, after merging (each predicted cluster keeps its first record):
- a record in no true group: kept -> TN, merged away -> FP;
- a true group of n records of which k are still kept: k = 0 -> one FP and
  n - 1 TP (the group vanished into another record); k >= 1 -> one TN,
  k - 1 FN (copies left) and n - k TP.
sensitivity = TP / (TP + FN), specificity = TN / (TN + FP). "maybe" pairs
count as not merged: they are work for people, reported separately.

The benchmark CSVs differ in columns per set (`author`/`authors`,
`number`/`issue`, `ENTRYTYPE`, `NA` for missing); load_benchmark reads any of them.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Hashable, Iterable

from .. import records as records_module
from .engine import DedupResult, find_duplicates
from .keys import split_authors
from .record import DedupRecord
from .scoring import DEFAULT_THRESHOLDS, Thresholds

MISSING = {"", "na", "n/a", "nan", "none", "null"}

COLUMNS = {
    "title": ("title", "primary_title", "ti"),
    "authors": ("author", "authors", "au"),
    "year": ("year", "py", "publication_year"),
    "journal": ("journal", "secondary_title", "journal_title", "booktitle", "container_title"),
    "volume": ("volume", "vl"),
    "issue": ("number", "issue", "is"),
    "pages": ("pages", "page", "sp"),
    "doi": ("doi", "do"),
    "pmid": ("pmid", "pubmedid", "pubmed_id"),
    "type": ("entrytype", "type", "publication_type", "ty"),
    "abstract": ("abstract", "ab"),
}


@dataclass
class BenchmarkSet:
    name: str
    records: list[DedupRecord]           # in file order
    raw: list[records_module.Record]     # the same rows as the loader's Record type
    groups: dict[Hashable, str]          # record id -> true duplicate group

    @property
    def ids(self) -> list[Hashable]:
        return [r.id for r in self.records]


def _value(row: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = row.get(name)
        if value is not None and value.strip().lower() not in MISSING:
            return value.strip()
    return None


def load_benchmark(path: Path) -> BenchmarkSet:
    """A folder holding `*records_with_groups.csv` (or that file itself)."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*records_with_groups.csv"))
        if not found:
            raise FileNotFoundError(f"{path}: no *records_with_groups.csv")
        path_csv, name = found[0], path.name
    else:
        path_csv, name = path, path.parent.name
    dedup_records, raw, groups = [], [], {}
    with open(path_csv, encoding="utf-8-sig", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            row = {(k or "").strip().lower(): v for k, v in row.items()}
            record_id = _value(row, ("id",)) or f"row{line}"
            group = _value(row, ("dup_group",))
            if group is None:
                raise ValueError(f"{path_csv}:{line}: no dup_group")
            groups[record_id] = group
            fields = {key: _value(row, names) for key, names in COLUMNS.items()}
            authors = split_authors(fields["authors"])
            types = [fields["type"]] if fields["type"] else []
            dedup_records.append(DedupRecord.of(
                record_id, title=fields["title"], authors=authors, year=fields["year"],
                journal=fields["journal"], volume=fields["volume"], issue=fields["issue"],
                pages=fields["pages"], doi=fields["doi"], pmid=fields["pmid"],
                publication_types=types, abstract=fields["abstract"]))
            raw.append(records_module.Record(
                title=fields["title"], authors=authors,
                year=records_module.parse_year(fields["year"]), journal=fields["journal"],
                volume=fields["volume"], issue=fields["issue"], pages=fields["pages"],
                doi=fields["doi"], pmid=fields["pmid"], publication_types=types,
                abstract=fields["abstract"]).finish())
    return BenchmarkSet(name, dedup_records, raw, groups)


# ---------------------------------------------------------------- counting

@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    maybe: int = 0          # pairs queued for people
    records: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, n) + getattr(other, n) for n in
                        ("tp", "fp", "fn", "tn", "maybe", "records")))

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else 1.0

    def line(self) -> str:
        return (f"sensitivity {self.sensitivity:.4f}  specificity {self.specificity:.5f}  "
                f"TP {self.tp} FP {self.fp} FN {self.fn} TN {self.tn}  maybe pairs {self.maybe}")


def true_groups(groups: dict[Hashable, str]) -> list[list[Hashable]]:
    """The labelled groups of 2+ records (ids in the dict's order)."""
    by_group: dict[str, list] = {}
    for record_id, group in groups.items():
        by_group.setdefault(group, []).append(record_id)
    return [members for members in by_group.values() if len(members) > 1]


def count(ids: list[Hashable], groups: dict[Hashable, str],
          predicted: Iterable[list[Hashable]], maybe: int = 0) -> Counts:
    """bib-dedupe's counts for predicted clusters; each cluster keeps its
    first id (clusters must list ids in record order, as find_duplicates does)."""
    dropped = {i for members in predicted for i in members[1:]}
    kept = [i for i in ids if i not in dropped]
    kept_set = set(kept)
    grouped = true_groups(groups)
    in_group = {i for members in grouped for i in members}
    counts = Counts(maybe=maybe, records=len(ids))
    for i in ids:
        if i not in in_group:
            if i in kept_set:
                counts.tn += 1
            else:
                counts.fp += 1
    for members in grouped:
        k = sum(1 for i in members if i in kept_set)
        if k == 0:
            counts.fp += 1
            counts.tp += len(members) - 1
        else:
            counts.tn += 1
            counts.fn += k - 1
            counts.tp += len(members) - k
    return counts


def evaluate(benchmark: BenchmarkSet, thresholds: Thresholds = DEFAULT_THRESHOLDS
             ) -> tuple[Counts, DedupResult]:
    result = find_duplicates(benchmark.records, thresholds=thresholds)
    return count(benchmark.ids, benchmark.groups, result.clusters, len(result.maybe)), result


# ---------------------------------------------------------------- today's rule

def baseline_clusters(ids: list[Hashable], raw: list[records_module.Record]) -> list[list]:
    """The loader's exact merging, replayed: each record in order joins the
    first earlier record with the same DOI, else the same PMID, else the same
    records.exact_duplicate_key (title + year + first author), never across
    different DOIs/PMIDs; the merged record keeps only the first copy's keys
    (it fills a DOI or PMID it lacked, as the loader does)."""
    by_doi, by_pmid, by_key = {}, {}, {}
    kept: dict[Hashable, dict] = {}
    clusters: dict[Hashable, list] = {}
    for record_id, record in zip(ids, raw):
        doi, pmid = record.doi, record.pmid
        key = records_module.exact_duplicate_key(record)
        target = by_doi.get(doi) if doi else None
        if target is None and pmid:
            candidate = by_pmid.get(pmid)
            if candidate is not None and (not doi or not kept[candidate]["doi"]
                                          or kept[candidate]["doi"] == doi):
                target = candidate
        if target is None and key:
            candidate = by_key.get(key)
            if candidate is not None:
                row = kept[candidate]
                if (not doi or not row["doi"] or row["doi"] == doi) and (
                        not pmid or not row["pmid"] or row["pmid"] == pmid):
                    target = candidate
        if target is None:
            kept[record_id] = {"doi": doi, "pmid": pmid, "key": key}
            clusters[record_id] = [record_id]
            if doi:
                by_doi.setdefault(doi, record_id)
            if pmid:
                by_pmid.setdefault(pmid, record_id)
            if key:
                by_key.setdefault(key, record_id)
            continue
        clusters[target].append(record_id)
        row = kept[target]
        for name, value, index in (("doi", doi, by_doi), ("pmid", pmid, by_pmid),
                                   ("key", key, by_key)):
            if not row[name] and value:
                row[name] = value
                index.setdefault(value, target)
    return [members for members in clusters.values() if len(members) > 1]


def evaluate_baseline(benchmark: BenchmarkSet) -> Counts:
    return count(benchmark.ids, benchmark.groups, baseline_clusters(benchmark.ids, benchmark.raw))


# ---------------------------------------------------------------- choosing thresholds

GRID = {
    "title_duplicate": (0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98),
    "title_with_id": (0.80, 0.85, 0.90, 0.95),
}
TARGET_SPECIFICITY = 0.9995


def choose_thresholds(sets: list[BenchmarkSet], base: Thresholds = DEFAULT_THRESHOLDS,
                      target_specificity: float = TARGET_SPECIFICITY
                      ) -> tuple[Thresholds, Counts]:
    """The grid point with the highest pooled sensitivity among those whose
    pooled specificity reaches the target (else the most specific); ties go
    to the stricter thresholds. Only these two thresholds are fitted."""
    best = None
    for values in itertools.product(*GRID.values()):
        candidate = replace(base, **dict(zip(GRID, values)))
        total = Counts()
        for benchmark in sets:
            total = total + evaluate(benchmark, candidate)[0]
        meets = total.specificity >= target_specificity
        rank = (meets, total.sensitivity if meets else total.specificity, values)
        if best is None or rank > best[0]:
            best = (rank, candidate, total)
    return best[1], best[2]


@dataclass
class HeldOut:
    name: str
    thresholds: Thresholds
    training: Counts
    counts: Counts = field(default_factory=Counts)


def leave_one_set_out(sets: list[BenchmarkSet]) -> list[HeldOut]:
    """For each set: thresholds chosen on the others, counted on it."""
    out = []
    for held in sets:
        training = [s for s in sets if s is not held]
        thresholds, training_counts = choose_thresholds(training)
        out.append(HeldOut(held.name, thresholds, training_counts, evaluate(held, thresholds)[0]))
    return out
