"""The multi-valued facet terms of a record (publication types, source
databases, MeSH major topics, automatic vocabulary tags) as rows of
`record_terms`, and the vocabulary in force for a database.

These work on a plain sqlite3 connection inside the caller's transaction,
so the loader, the `mscdm tag` command and the schema migration share them.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from typing import Callable, Iterable

from .tagging import Vocabulary, load_vocabulary, parse_vocabulary

BATCH = 1000
# Facets the loader fills itself, with their headings; vocabulary groups add theirs.
BUILTIN_FACETS = {"publication_type": "Publication type", "database": "Source database",
                  "mesh_major": "MeSH major topic"}


def current_vocabulary(conn: sqlite3.Connection) -> Vocabulary:
    """The vocabulary last applied to this database, else the default one."""
    row = conn.execute("SELECT source FROM tag_vocabulary ORDER BY id DESC LIMIT 1").fetchone()
    if row:
        return parse_vocabulary(row[0], "vocabulary stored in the database")
    return load_vocabulary()


def store_vocabulary(conn: sqlite3.Connection, vocabulary: Vocabulary) -> None:
    row = conn.execute("SELECT sha256 FROM tag_vocabulary ORDER BY id DESC LIMIT 1").fetchone()
    if row and row[0] == vocabulary.sha256:
        return
    conn.execute(
        "INSERT INTO tag_vocabulary (sha256, groups, source, applied_at) VALUES (?, ?, ?, ?)",
        [vocabulary.sha256, json.dumps(vocabulary.groups, ensure_ascii=False), vocabulary.source,
         datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")],
    )


def tag_texts(title, abstract, keywords_json, types_json) -> dict[str, str | None]:
    """The texts a vocabulary matches against, from `records` column values."""
    keywords = json.loads(keywords_json) if keywords_json else []
    types = json.loads(types_json) if types_json else []
    return {"title": title, "abstract": abstract, "keywords": "; ".join(keywords),
            "publication_types": "; ".join(types)}


# Publication types as the sources write them, in one vocabulary for the
# facet: "Journal Article" (PubMed), "article" (BibTeX), "article-journal"
# (CSL), "JOUR" (RIS), "Article" (Scopus) are one type. Keys are compared
# lower-cased with runs of spaces, hyphens and underscores as one space. Types
# not listed (PubMed's "Randomized Controlled Trial", ...) are kept as written.
# The original stays in records.publication_types.
PUBLICATION_TYPES = {
    "Journal article": ["journal article", "article", "article journal", "journal", "jour",
                        "research article", "original article", "original research",
                        "article in press", "ejour"],
    "Review": ["review", "review article", "literature review"],
    "Systematic review": ["systematic review", "systematic reviews"],
    "Meta-analysis": ["meta analysis"],
    "Conference paper": ["conference paper", "conference proceeding", "conference proceedings",
                         "proceedings paper", "meeting paper", "inproceedings",
                         "paper conference", "conf", "cpaper", "proceedings", "conference review"],
    "Conference abstract": ["conference abstract", "meeting abstract", "abst", "abstract",
                            "congress", "conference poster", "poster"],
    "Book chapter": ["book chapter", "chapter", "chap", "incollection", "inbook",
                     "book section", "section"],
    "Book": ["book", "whole book", "book whole", "edited book", "edbook"],
    "Editorial": ["editorial", "editorial material"],
    "Letter": ["letter", "letter to the editor", "correspondence"],
    "Comment": ["comment", "commentary", "note"],
    "Erratum": ["erratum", "correction", "published erratum", "corrigendum"],
    "Retraction notice": ["retraction", "retraction of publication", "retraction notice"],
    "Retracted publication": ["retracted publication", "retracted article"],
    "Preprint": ["preprint", "posted content", "posted-content"],
    "Thesis": ["thesis", "phdthesis", "mastersthesis", "dissertation", "thes"],
    "Report": ["report", "techreport", "rprt", "technical report"],
    "Case report": ["case report", "case reports", "case"],
    "Other": ["generic", "gen", "misc", "other", "unknown"],
}
_TYPE_OF = {variant: name for name, variants in PUBLICATION_TYPES.items()
            for variant in variants}


def publication_type_term(original: str) -> str:
    """The facet's name of a publication type as a source wrote it."""
    key = " ".join(original.replace("-", " ").replace("_", " ").lower().split())
    return _TYPE_OF.get(key, original.strip())


def mesh_major_topics(mesh_json: str | None) -> list[str]:
    """The descriptors of a record's MeSH headings that are major topics: the
    descriptor is starred, or one of its qualifiers is (PubMed's [majr])."""
    if not mesh_json or mesh_json == "[]":
        return []
    topics = []
    for heading in json.loads(mesh_json):
        if heading.get("major") or any(q.get("major") for q in heading.get("qualifiers", ())):
            if heading.get("descriptor") and heading["descriptor"] not in topics:
                topics.append(heading["descriptor"])
    return topics


def term_rows(record_id: int, types_json: str | None, databases_json: str | None,
              tags: dict[str, list[str]], mesh_json: str | None = None
              ) -> list[tuple[str, str, int]]:
    rows = [(facet, term, record_id) for facet, term in facet_terms(types_json, tags, mesh_json)]
    rows += [("database", d, record_id) for d in json.loads(databases_json or "[]")]
    return rows


def facet_terms(types_json: str | None, tags: dict[str, list[str]],
                mesh_json: str | None = None) -> list[tuple[str, str]]:
    """A record's (facet, term) pairs but its databases: what a file's record
    brings whichever database it is counted under (the loader works them out
    while reading ahead, and adds the database)."""
    pairs = [("publication_type", publication_type_term(t))
             for t in json.loads(types_json or "[]") if t.strip()]
    pairs += [("mesh_major", t) for t in mesh_major_topics(mesh_json)]
    pairs += [(group, term) for group, terms in tags.items() for term in terms]
    return pairs


def insert_terms(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, int]]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO record_terms (facet, term, record_id) VALUES (?, ?, ?)", rows)


def retag_all(conn: sqlite3.Connection, vocabulary: Vocabulary | None,
              on_progress: Callable[[int], None] | None = None) -> dict[str, dict[str, int]]:
    """Recompute every record's terms and automatic tags with `vocabulary`
    (None: the one in force), record the vocabulary as applied, and return
    {group key: {term: records}}. Runs in the caller's transaction."""
    vocabulary = vocabulary or current_vocabulary(conn)
    store_vocabulary(conn, vocabulary)
    conn.execute("DELETE FROM record_terms")
    counts: dict[str, dict[str, int]] = {key: {} for key in vocabulary.groups}
    # This also runs in an early migration, before records had a mesh column.
    mesh = "mesh" if any(row[1] == "mesh" for row in conn.execute(
        "PRAGMA table_info(records)")) else "NULL"
    last_id = 0
    while True:
        batch = conn.execute(
            f"SELECT id, title, abstract, keywords, publication_types, databases, {mesh}"
            " FROM records WHERE id > ? ORDER BY id LIMIT ?", [last_id, BATCH]).fetchall()
        if not batch:
            break
        updates, rows = [], []
        for record_id, title, abstract, keywords, types, databases, mesh_json in batch:
            tags = vocabulary.tag(tag_texts(title, abstract, keywords, types))
            for group, terms in tags.items():
                for term in terms:
                    counts[group][term] = counts[group].get(term, 0) + 1
            updates.append((json.dumps(tags, ensure_ascii=False), record_id))
            rows += term_rows(record_id, types, databases, tags, mesh_json)
        conn.executemany("UPDATE records SET auto_tags = ? WHERE id = ?", updates)
        insert_terms(conn, rows)
        last_id = batch[-1][0]
        if on_progress:
            on_progress(len(batch))
    return counts
