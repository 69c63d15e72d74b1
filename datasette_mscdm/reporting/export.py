"""Exports of screened records: RIS (rispy), CSV, BibTeX (bibtexparser) and
CSL-JSON, each re-importable with `mscdm load`.

Screening travels with each record where reference managers show it: the
statuses and exclusion reason as keywords ("Screening: included",
"Exclusion reason: ..."), and one note line per decision (RIS N1, BibTeX
and CSL `note`, a CSV column). Exports made through the web while blind
screening is running leave the individual decisions out (statuses only).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field

from .. import spreadsheet
from ..records import _TAG_HINT
from ..schema import RECORD_COLUMNS
from ..screening.protocol import STAGES
from ..screening.store import STATUS_COLUMN, _rows

FORMATS = {"ris": "application/x-research-info-systems", "csv": "text/csv",
           "bibtex": "application/x-bibtex", "csl-json": "application/vnd.citationstyles.csl+json"}
EXTENSIONS = {"ris": "ris", "csv": "csv", "bibtex": "bib", "csl-json": "json"}
STATUSES = ("included", "excluded", "maybe", "conflict", "unscreened",
            "awaiting second reviewer", "awaiting full text", "not retrieved")
JSON_COLUMNS = ("authors", "keywords", "publication_types", "claims")
STATUS_COLUMNS = ("ta_status", "ft_status", "screening_status", "exclusion_reason")


class ExportError(ValueError):
    pass


def select_records(conn, stage: str | None = None, status: str | None = None,
                   with_decisions: bool = True) -> list[dict]:
    """Records (JSON columns decoded) with their screening: at one stage's
    status, or the final status when no stage is given."""
    where, params = [], []
    if stage and stage not in STAGES:
        raise ExportError(f"stage must be one of {', '.join(STAGES)}")
    if status:
        if status not in STATUSES:
            raise ExportError(f"status must be one of {', '.join(STATUSES)}")
        column = STATUS_COLUMN[stage] if stage else "screening_status"
        where.append(f"{column} = ?")
        params.append(status)
    elif stage:
        where.append(f"{STATUS_COLUMN[stage]} IS NOT NULL")
    sql = (f"SELECT id, {', '.join(RECORD_COLUMNS)}, {', '.join(STATUS_COLUMNS)} FROM records"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id")
    records = _rows(conn, sql, params)
    ranked = prioritised(conn)
    decisions: dict[int, list[str]] = {}
    if with_decisions and records:
        for row in _rows(conn, "SELECT record_id, stage, reviewer, decision, reason, note, kind,"
                               " undoes, created_at FROM decisions ORDER BY id"):
            decisions.setdefault(row["record_id"], []).append(decision_line(row))
    for record in records:
        for column in JSON_COLUMNS:
            record[column] = json.loads(record[column] or "[]")
        record["decisions"] = decisions.get(record["id"], [])
        record["prioritised"] = ranked
        for key, value in record.items():
            record[key] = ([literal_markup(v) for v in value] if isinstance(value, list)
                           else literal_markup(value))
    return records


def literal_markup(value):
    """Text that looks like HTML (a title about "<script>", stored as text)
    is written entity-escaped: `mscdm load` strips real tags from every
    source, and would otherwise drop it on re-import. Other text is written
    as it is, for reference managers to show."""
    if isinstance(value, str) and "<" in value and _TAG_HINT.search(value):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def decision_line(row: dict) -> str:
    what = row["decision"].replace("_", " ")
    if row["decision"] == "undo":
        what = f"undo of decision #{row['undoes']}"
    kind = {"resolution": " (lead resolution)", "bulk": " (bulk)",
            "automation": " (marked ineligible by automation: screening stopped early)"
            }.get(row["kind"], "")
    reason = f" ({row['reason']})" if row["reason"] else ""
    note = f" - {row['note']}" if row["note"] else ""
    return (f"Screening {row['created_at'][:10]} {STAGES[row['stage']]}, {row['reviewer']}: "
            f"{what}{reason}{kind}{note}")


PRIORITISED = "Screening order: prioritised (active learning)"


def screening_keywords(record: dict) -> list[str]:
    words = [f"Screening: {record['screening_status']}"]
    if record["exclusion_reason"]:
        words.append(f"Exclusion reason: {record['exclusion_reason']}")
    if record.get("prioritised"):
        words.append(PRIORITISED)
    return words


def prioritised(conn) -> bool:
    """Whether records were ever offered in priority order (a rerank was
    written): every export then says so, with each record."""
    return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'mscdm_retrains'"
                             ).fetchone()[0]) and bool(conn.execute(
        "SELECT count(*) FROM mscdm_retrains WHERE head > 0").fetchone()[0])


def _pages(pages: str | None) -> tuple[str | None, str | None]:
    if not pages:
        return None, None
    start, _, end = pages.partition("-")
    return start.strip() or None, end.strip() or None


_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_DUPLICATED_YEAR = re.compile(r"\b(\d{4})\s+\1\s*$")


def clean_date(text: str | None) -> str | None:
    """A publication date as stored, without the year written twice that
    older loads of Web of Science files left ("DEC 16 2020 2020")."""
    if not text:
        return None
    return _DUPLICATED_YEAR.sub(r"\1", text.strip()) or None


def date_parts(text: str | None) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of the publication dates exports write: "2020-12-16",
    "2020/12", "DEC 16 2020", "2020 Dec 16", "16 Dec 2020", "Dec 2020",
    "2020-Dec". None when it is anything else ("Winter 2019", "2019 Nov-Dec"):
    a date is only written back in full when it is read unambiguously."""
    text = clean_date(text)
    if not text:
        return None
    numeric = re.fullmatch(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:T.*)?", text)
    if numeric:
        year, month, day = (int(v) if v else None for v in numeric.groups())
    else:
        tokens = re.split(r"[\s,/-]+", text.strip().rstrip(".").casefold())
        years = [t for t in tokens if re.fullmatch(r"\d{4}", t)]
        months = [_MONTHS[t.rstrip(".")] for t in tokens if t.rstrip(".") in _MONTHS]
        days = [t for t in tokens if re.fullmatch(r"\d{1,2}", t)]
        if len(years) != 1 or len(months) > 1 or len(days) > int(bool(months)) \
                or len(years) + len(months) + len(days) != len(tokens):
            return None
        year, month = int(years[0]), months[0] if months else None
        day = int(days[0]) if days else None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None:
        try:
            datetime.date(year, month, day)
        except (TypeError, ValueError):  # no month, or no such day
            return None
    return year, month, day


def ris_date(text: str | None) -> str | None:
    """RIS DA: "YYYY/MM/DD" or "YYYY/MM" when the date reads unambiguously,
    nothing when it is only the year (PY has it), else the text as stored."""
    parts = date_parts(text)
    if parts is None:
        return clean_date(text)
    year, month, day = parts
    if month is None:
        return None
    return f"{year}/{month:02d}" + (f"/{day:02d}" if day else "")


class _RisWriter(rispy.RisWriter):
    """rispy numbers each record with a line such as "1." before its TY (an
    Ovid habit): RIS has no such line and reference managers take it for
    stray text, so none is written."""

    def set_header(self, count):
        return ""


def to_ris(records: list[dict]) -> str:
    entries = []
    for r in records:
        start, end = _pages(r["pages"])
        entry = {
            "type_of_reference": "JOUR", "title": r["title"], "authors": r["authors"],
            "year": str(r["year"]) if r["year"] else None, "date": ris_date(r["publication_date"]),
            "secondary_title": r["journal"], "volume": r["volume"], "number": r["issue"],
            "start_page": start, "end_page": end, "doi": r["doi"], "abstract": r["abstract"],
            "keywords": r["keywords"] + screening_keywords(r), "language": r["language"],
            "urls": [r["url"]] if r["url"] else [], "file_attachments1": r["pdf_url"],
            "custom2": r["pmcid"], "accession_number": f"PMID:{r['pmid']}" if r["pmid"] else None,
            "type_of_work": [t for t in r["publication_types"] if t != "Journal Article"],
            "notes": r["decisions"],
        }
        entries.append({key: value for key, value in entry.items() if value})
    return rispy.dumps(entries, implementation=_RisWriter,
                       list_tags=[*rispy.LIST_TYPE_TAGS, "M3"])


def to_csv(records: list[dict]) -> str:
    out = io.StringIO()
    columns = ["id", *RECORD_COLUMNS, *STATUS_COLUMNS, "decisions", "screening_order"]
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in records:
        row = dict(r)
        for column in JSON_COLUMNS:
            row[column] = "; ".join(r[column])
        row["decisions"] = "\n".join(r["decisions"])
        row["screening_order"] = "prioritised (active learning)" if r["prioritised"] else ""
        writer.writerow(spreadsheet.neutralise_row(row))
    return out.getvalue()


def to_bibtex(records: list[dict]) -> str:
    library = bibtexparser.Library()
    for r in records:
        fields = {
            "title": r["title"], "author": " and ".join(r["authors"]) or None,
            "year": str(r["year"]) if r["year"] else None, "journal": r["journal"],
            "volume": r["volume"], "number": r["issue"], "pages": r["pages"], "doi": r["doi"],
            "pmid": r["pmid"], "pmcid": r["pmcid"], "url": r["url"], "abstract": r["abstract"],
            "language": r["language"],
            "keywords": "; ".join(r["keywords"] + screening_keywords(r)),
            "note": "\n".join(r["decisions"]) or None,
            "screening_status": r["screening_status"],
            "exclusion_reason": r["exclusion_reason"],
        }
        library.add(Entry("article", f"mscdm{r['id']}",
                          [Field(k, latex_escape(v)) for k, v in fields.items() if v]))
    return bibtexparser.write_string(library)


# The ten characters LaTeX treats specially, written so that BibTeX readers
# (and bibtexparser's LaTeX decoding in `mscdm load`) give them back. Other
# characters stay UTF-8: a full Unicode-to-LaTeX encoding (bibtexparser's
# LatexEncodingMiddleware) does not round-trip characters such as "·".
_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                   "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": "{^}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def to_csl_json(records: list[dict]) -> str:
    items = []
    for r in records:
        item = {
            "id": f"mscdm{r['id']}", "type": "article-journal", "title": r["title"],
            "author": [_csl_name(name) for name in r["authors"]],
            "issued": _csl_issued(r["year"], r["publication_date"]),
            "container-title": r["journal"], "volume": r["volume"], "issue": r["issue"],
            "page": r["pages"], "DOI": r["doi"], "PMID": r["pmid"], "PMCID": r["pmcid"],
            "URL": r["url"], "abstract": r["abstract"], "language": r["language"],
            "keyword": "; ".join(r["keywords"] + screening_keywords(r)),
            "note": "\n".join(r["decisions"]) or None,
        }
        items.append({key: value for key, value in item.items() if value})
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _csl_issued(year: int | None, publication_date: str | None) -> dict | None:
    if not year:
        return None
    parts = date_parts(publication_date)
    if parts and parts[0] == year:
        return {"date-parts": [[v for v in parts if v is not None]]}
    return {"date-parts": [[year]]}


def _csl_name(name: str) -> dict:
    family, _, given = name.partition(",")
    return {"family": family.strip(), "given": given.strip()} if given else {"literal": name}


WRITERS = {"ris": to_ris, "csv": to_csv, "bibtex": to_bibtex, "csl-json": to_csl_json}


def export(conn, format_name: str, stage: str | None = None, status: str | None = None,
           with_decisions: bool = True) -> str:
    if format_name not in WRITERS:
        raise ExportError(f"format must be one of {', '.join(WRITERS)}")
    return WRITERS[format_name](select_records(conn, stage, status, with_decisions))
