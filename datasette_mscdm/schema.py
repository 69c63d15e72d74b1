"""The review database schema, created and evolved through sqlite-utils
migrations so later versions change it without losing anyone's data.

Tables:
  sources      one row per file loaded (or that failed to load)
  records      one row per work, after exact-duplicate merging
  occurrences  one row per record as it stood in a file: which file, where,
               the raw text, and how it matched an existing record
  records_fts  FTS5 (porter) index over title, abstract and keywords
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("datasette_mscdm")

# Columns of `records` that hold text the loader fills from sources, in order.
RECORD_COLUMNS = (
    "title", "abstract", "authors", "first_author", "year", "publication_date", "journal",
    "volume", "issue", "pages", "doi", "pmid", "pmcid", "url", "pdf_url", "keywords",
    "publication_types", "language", "citation_count", "claims", "study_design", "population",
    "intervention", "journal_impact_factor", "jcr_quartile", "jcr_category", "cas_region",
    "cas_category", "is_open_access", "mesh",
)

FTS_COLUMNS = ("title", "abstract", "keywords")


# Each statement runs on its own: executescript() would COMMIT the migration's
# transaction half way.
INITIAL_SCHEMA = [
    """
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,          -- as given on the command line, resolved
    format TEXT,                 -- detected (or --format) format name
    database TEXT,               -- bibliographic database: --source, else inferred
    sha256 TEXT NOT NULL,        -- of the bytes on disk; same bytes load once
    bytes INTEGER NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,      -- records read from the file
    new_records INTEGER NOT NULL DEFAULT 0,  -- of which were new works
    merged INTEGER NOT NULL DEFAULT 0,       -- of which merged into existing works
    loaded_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('loaded', 'failed')),
    error TEXT,                  -- why it failed, with the place it broke
    warnings TEXT                -- JSON array of problems that did not stop it
)
    """,
    """
-- Idempotency: one successful load per distinct content.
CREATE UNIQUE INDEX sources_loaded_sha256 ON sources(sha256) WHERE status = 'loaded'
    """,
    """
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    title TEXT,
    abstract TEXT,               -- plain text; paragraphs separated by blank lines
    authors TEXT NOT NULL DEFAULT '[]',            -- JSON array
    first_author TEXT,
    year INTEGER,
    publication_date TEXT,
    journal TEXT,
    volume TEXT,
    issue TEXT,
    pages TEXT,
    doi TEXT,                    -- lower case, no URL prefix
    pmid TEXT,
    pmcid TEXT,
    url TEXT,
    pdf_url TEXT,
    keywords TEXT NOT NULL DEFAULT '[]',           -- JSON array
    publication_types TEXT NOT NULL DEFAULT '[]',  -- JSON array
    language TEXT,
    citation_count INTEGER,
    claims TEXT NOT NULL DEFAULT '[]',             -- JSON array (AI summaries)
    study_design TEXT,
    population TEXT,
    intervention TEXT,
    journal_impact_factor REAL,  -- aggregator journal metrics
    jcr_quartile TEXT,
    jcr_category TEXT,
    cas_region INTEGER,
    cas_category TEXT,
    is_open_access INTEGER,
    databases TEXT NOT NULL DEFAULT '[]',          -- JSON array: where it was found
    missing_fields TEXT NOT NULL DEFAULT '[]',     -- JSON array of essential fields absent
    occurrence_count INTEGER NOT NULL DEFAULT 1,
    duplicate_group INTEGER,     -- for fuzzy duplicate groups (later)
    dedup_key TEXT,              -- normalised title|year|first-author surname
    extra TEXT NOT NULL DEFAULT '{}',              -- JSON: everything else a source had
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
    """,
    """
CREATE INDEX records_doi ON records(doi) WHERE doi IS NOT NULL
    """,
    """
CREATE INDEX records_pmid ON records(pmid) WHERE pmid IS NOT NULL
    """,
    """
CREATE INDEX records_dedup_key ON records(dedup_key) WHERE dedup_key IS NOT NULL
    """,
    """
CREATE INDEX records_year ON records(year)
    """,
    """
CREATE INDEX records_journal ON records(journal)
    """,
    """
CREATE TABLE occurrences (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    position INTEGER NOT NULL,   -- 1-based order of the record in the file
    line INTEGER,                -- line where the record starts, when known
    record_id INTEGER NOT NULL REFERENCES records(id),
    database TEXT,               -- bibliographic database of this occurrence
    matched_on TEXT NOT NULL,    -- new | doi | pmid | title_year_author
    raw TEXT NOT NULL            -- the record's text (or JSON) as read
)
    """,
    """
CREATE INDEX occurrences_record ON occurrences(record_id)
    """,
    """
CREATE UNIQUE INDEX occurrences_source_position ON occurrences(source_id, position)
    """,
    """
-- External-content FTS5 index (content="records" double-quoted so that
-- Datasette detects it for ?_search=). The loader indexes the rows it inserts
-- in batches (cheaper than a trigger per row); these triggers keep it
-- in sync when indexed columns are later changed or rows deleted.
CREATE VIRTUAL TABLE records_fts USING fts5(
    title, abstract, keywords, content="records", content_rowid="id", tokenize="porter"
)
    """,
    """
CREATE TRIGGER records_fts_update AFTER UPDATE OF title, abstract, keywords ON records
BEGIN
    INSERT INTO records_fts(records_fts, rowid, title, abstract, keywords)
        VALUES ('delete', old.id, old.title, old.abstract, old.keywords);
    INSERT INTO records_fts(rowid, title, abstract, keywords)
        VALUES (new.id, new.title, new.abstract, new.keywords);
END
    """,
    """
CREATE TRIGGER records_fts_delete AFTER DELETE ON records
BEGIN
    INSERT INTO records_fts(records_fts, rowid, title, abstract, keywords)
        VALUES ('delete', old.id, old.title, old.abstract, old.keywords);
END
    """,
]


@migrations()
def m001_initial(db: Database):
    for statement in INITIAL_SCHEMA:
        db.execute(statement)


# Browsing (issue 3): screening status, automatic tags, and a narrow table of
# the multi-valued facet terms. Datasette's array facets run json_each over
# every (wide) row; at 100k records that takes longer than a facet may, so
# publication types, source databases and tags are also kept one row per
# (facet, term, record) here, where counting is an index-only scan.
BROWSING_SCHEMA = [
    """
ALTER TABLE records ADD COLUMN screening_status TEXT NOT NULL DEFAULT 'unscreened'
    """,
    """
-- JSON object {group key: [term names]}: automatic vocabulary matches, never decisions
ALTER TABLE records ADD COLUMN auto_tags TEXT NOT NULL DEFAULT '{}'
    """,
    """
CREATE INDEX records_screening_status ON records(screening_status)
    """,
    """
CREATE INDEX records_study_design ON records(study_design)
    """,
    """
CREATE TABLE record_terms (
    facet TEXT NOT NULL,         -- publication_type | database | a vocabulary group key
    term TEXT NOT NULL,
    record_id INTEGER NOT NULL REFERENCES records(id),
    PRIMARY KEY (facet, term, record_id)
) WITHOUT ROWID
    """,
    """
CREATE INDEX record_terms_record ON record_terms(record_id)
    """,
    """
-- Every vocabulary applied to this database; the latest one is in force.
CREATE TABLE tag_vocabulary (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    groups TEXT NOT NULL,        -- JSON object {key: label}, in facet order
    source TEXT NOT NULL,        -- the vocabulary YAML as applied
    applied_at TEXT NOT NULL
)
    """,
]


@migrations()
def m002_browsing(db: Database):
    for statement in BROWSING_SCHEMA:
        db.execute(statement)
    # Terms and tags for records loaded before this migration.
    from .terms import retag_all

    retag_all(db.conn, vocabulary=None)


def has_review_schema(db: Database) -> bool:
    return "_sqlite_migrations" in db.table_names() and bool(
        [m for m in migrations.applied(db)])


def ensure_schema(db: Database) -> None:
    """Create or upgrade the schema; safe to call on every start."""
    if migrations.pending(db):
        migrations.apply(db)


# Screening (issue 4). Decisions are append-only: a change or an undo is a
# new row, and triggers refuse UPDATE and DELETE so that nothing (not even a
# stray `sqlite-utils` command) can rewrite who decided what. The status
# columns on `records` are derived from the decisions, in the same
# transaction as each decision (see screening/store.py).
SCREENING_SCHEMA = [
    """
-- Per-stage status: unscreened | awaiting second reviewer | included |
-- excluded | maybe | conflict | not retrieved (full text only).
-- ft_status is NULL until the record is included at title/abstract.
ALTER TABLE records ADD COLUMN ta_status TEXT NOT NULL DEFAULT 'unscreened'
    """,
    """
ALTER TABLE records ADD COLUMN ft_status TEXT
    """,
    """
-- Reason of the exclusion in force (the stage that excluded it), for PRISMA.
ALTER TABLE records ADD COLUMN exclusion_reason TEXT
    """,
    """
-- Position in the protocol's screening order (random with a seed, or year).
ALTER TABLE records ADD COLUMN screen_order INTEGER
    """,
    """
CREATE INDEX records_ta_status ON records(ta_status)
    """,
    """
CREATE INDEX records_ft_status ON records(ft_status)
    """,
    """
-- The work queues: "the next record that needs me" walks one of these in
-- screening order and skips the records I already decided.
CREATE INDEX records_ta_queue ON records(screen_order, id)
    WHERE ta_status IN ('unscreened', 'awaiting second reviewer')
    """,
    """
CREATE INDEX records_ft_queue ON records(screen_order, id)
    WHERE ft_status IN ('unscreened', 'awaiting second reviewer')
    """,
    """
-- Reviewers of this review. Only a salted scrypt hash of the password is
-- kept; the plugin hides this table and closes SQL on this database.
CREATE TABLE mscdm_reviewers (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'lead')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT              -- set by `mscdm reviewer remove`; decisions stay
)
    """,
    """
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL
        CHECK (decision IN ('include', 'exclude', 'maybe', 'not_retrieved', 'undo')),
    reason TEXT,
    note TEXT,
    -- screen: a reviewer's vote; resolution: a lead settling a conflict or
    -- maybe; bulk: a lead's exclusion of every record matching a search.
    kind TEXT NOT NULL DEFAULT 'screen' CHECK (kind IN ('screen', 'resolution', 'bulk')),
    undoes INTEGER REFERENCES decisions(id),   -- for decision = 'undo'
    request_id TEXT UNIQUE,      -- client-chosen; a re-sent request records nothing twice
    created_at TEXT NOT NULL
)
    """,
    """
CREATE INDEX decisions_record ON decisions(record_id, stage)
    """,
    """
CREATE INDEX decisions_reviewer ON decisions(reviewer, stage, record_id)
    """,
    """
CREATE INDEX decisions_undoes ON decisions(undoes) WHERE undoes IS NOT NULL
    """,
    """
CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead');
END
    """,
    """
CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: record an undo instead');
END
    """,
    """
-- Every protocol a lead saved; the latest is in force (else datasette.yaml).
CREATE TABLE mscdm_protocol (
    id INTEGER PRIMARY KEY,
    protocol TEXT NOT NULL,      -- JSON
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
)
    """,
    """
-- Which screening order screen_order holds, and up to which record id.
CREATE TABLE mscdm_screen_order (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    signature TEXT NOT NULL,
    max_record_id INTEGER NOT NULL
)
    """,
]


@migrations()
def m003_screening(db: Database):
    for statement in SCREENING_SCHEMA:
        db.execute(statement)


# Reporting (issue 5): how a source was searched, for PRISMA's two
# identification columns (databases and registers / other methods).
@migrations()
def m004_reporting(db: Database):
    db.execute("ALTER TABLE sources ADD COLUMN method TEXT NOT NULL DEFAULT 'databases'"
               " CHECK (method IN ('databases', 'other'))")


# Work sharing (issue 4): a reviewer's "next record" is held for them for a
# while, so a team screening in the same order spreads over the records
# instead of all voting on the head of the queue.
@migrations()
def m005_claims(db: Database):
    db.execute("""
CREATE TABLE mscdm_claims (
    record_id INTEGER NOT NULL,
    stage TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    claimed_at TEXT NOT NULL,    -- a claim lapses after store.CLAIM_MINUTES
    PRIMARY KEY (record_id, stage, reviewer)
) WITHOUT ROWID""")
    db.execute("CREATE INDEX mscdm_claims_reviewer ON mscdm_claims(reviewer, stage, claimed_at)")


# Security round 2 (issue 10).
# - Reviewer sessions carry a version that a password change, a role change
#   or a removal bumps, so the server can end a reviewer's existing logins.
# - Failed logins are kept for a while to throttle password guessing.
# - A lead may reopen a stage of a record (its votes stop counting and the
#   reviewers vote again): `decision = 'reopen'`, which the old CHECK
#   constraint refuses, so the table is rebuilt with its rows and ids intact.
# - `INSERT OR REPLACE` deletes the row it replaces without firing DELETE
#   triggers (SQLite fires them only with recursive_triggers on), so a
#   BEFORE INSERT trigger refuses any insert that would replace a decision or
#   a protocol version.
SECURITY_SCHEMA = [
    """
ALTER TABLE mscdm_reviewers ADD COLUMN session_version INTEGER NOT NULL DEFAULT 1
    """,
    """
CREATE TABLE mscdm_login_failures (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,          -- the name tried (may not be a reviewer)
    address TEXT NOT NULL,       -- the client address it came from
    failed_at REAL NOT NULL      -- unix time
)
    """,
    """
CREATE INDEX mscdm_login_failures_name ON mscdm_login_failures(name, failed_at)
    """,
    """
CREATE INDEX mscdm_login_failures_address ON mscdm_login_failures(address, failed_at)
    """,
    """
CREATE TABLE decisions_rebuilt (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL
        CHECK (decision IN ('include', 'exclude', 'maybe', 'not_retrieved', 'undo', 'reopen')),
    reason TEXT,
    note TEXT,
    -- screen: a reviewer's vote; resolution: a lead settling a conflict or
    -- maybe, or reopening a stage (decision = 'reopen'); bulk: a lead's
    -- exclusion of every record matching a search.
    kind TEXT NOT NULL DEFAULT 'screen' CHECK (kind IN ('screen', 'resolution', 'bulk')),
    undoes INTEGER REFERENCES decisions_rebuilt(id),   -- for decision = 'undo'
    request_id TEXT UNIQUE,      -- client-chosen; a re-sent request records nothing twice
    created_at TEXT NOT NULL
)
    """,
    """
INSERT INTO decisions_rebuilt SELECT id, record_id, stage, reviewer, decision, reason, note,
    kind, undoes, request_id, created_at FROM decisions ORDER BY id
    """,
    # DROP TABLE's implicit delete fires no trigger; the old triggers and
    # indexes go with the table.
    "DROP TABLE decisions",
    "ALTER TABLE decisions_rebuilt RENAME TO decisions",
    "CREATE INDEX decisions_record ON decisions(record_id, stage)",
    "CREATE INDEX decisions_reviewer ON decisions(reviewer, stage, record_id)",
    "CREATE INDEX decisions_undoes ON decisions(undoes) WHERE undoes IS NOT NULL",
    """
CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead');
END
    """,
    """
CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: record an undo instead');
END
    """,
    """
CREATE TRIGGER decisions_append_only_replace BEFORE INSERT ON decisions
WHEN EXISTS (SELECT 1 FROM decisions WHERE id = NEW.id OR request_id = NEW.request_id)
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: an existing decision cannot be replaced');
END
    """,
    """
CREATE TRIGGER mscdm_protocol_append_only_update BEFORE UPDATE ON mscdm_protocol
BEGIN
    SELECT RAISE(ABORT, 'protocol versions are append-only: save a new version instead');
END
    """,
    """
CREATE TRIGGER mscdm_protocol_append_only_delete BEFORE DELETE ON mscdm_protocol
BEGIN
    SELECT RAISE(ABORT, 'protocol versions are append-only: save a new version instead');
END
    """,
    """
CREATE TRIGGER mscdm_protocol_append_only_replace BEFORE INSERT ON mscdm_protocol
WHEN EXISTS (SELECT 1 FROM mscdm_protocol WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'protocol versions are append-only: save a new version instead');
END
    """,
]


@migrations()
def m006_security(db: Database):
    for statement in SECURITY_SCHEMA:
        db.execute(statement)


# The screening team's day (issue 11): a reviewer may skip a record for
# later. It stays in their queue, after the records they have not skipped.
@migrations()
def m007_skips(db: Database):
    db.execute("""
CREATE TABLE mscdm_skips (
    record_id INTEGER NOT NULL,
    stage TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    skipped_at TEXT NOT NULL,    -- the latest skip; skipped records come back oldest first
    PRIMARY KEY (reviewer, stage, record_id)
) WITHOUT ROWID""")


# One vocabulary of publication types for the facet (terms.py): the terms of
# records loaded before are re-derived from the types as the sources wrote
# them, which records.publication_types keeps.
@migrations()
def m008_publication_type_terms(db: Database):
    import json

    from .terms import publication_type_term

    db.execute("DELETE FROM record_terms WHERE facet = 'publication_type'")
    rows = [("publication_type", publication_type_term(t), record_id)
            for record_id, types in db.execute(
                "SELECT id, publication_types FROM records WHERE publication_types != '[]'")
            for t in json.loads(types or "[]") if t.strip()]
    db.conn.executemany("INSERT OR IGNORE INTO record_terms (facet, term, record_id)"
                        " VALUES (?, ?, ?)", rows)


# PRISMA's identification (issue 11, reporting): occurrences per source and
# database, and the records each column found, read from this index alone
# instead of from the occurrences' rows with their raw text (100k records:
# 5 ms instead of 120 ms).
@migrations()
def m020_occurrences_by_source_database(db: Database):
    db.execute("CREATE INDEX IF NOT EXISTS occurrences_source_database"
               " ON occurrences(source_id, database, record_id)")


# Import fidelity (issue 12): MeSH headings kept structured (descriptor,
# UI, major topic, qualifiers with theirs), from PubMed XML and MEDLINE.
# Their major topics are also facet terms in record_terms (facet
# `mesh_major`). Records loaded before get theirs from the raw text of their
# PubMed occurrences, which holds the headings.
@migrations()
def m009_mesh(db: Database):
    # JSON array of {descriptor, ui, major, qualifiers: [{name, ui, major}]}
    db.execute("ALTER TABLE records ADD COLUMN mesh TEXT NOT NULL DEFAULT '[]'")
    backfill_mesh(db.conn)


def backfill_mesh(conn) -> int:
    """Fill `mesh` (and the mesh_major terms) of records that have none from
    the raw text of their PubMed XML / MEDLINE occurrences; returns how many."""
    import io
    import json

    from .formats import medline, pubmed_xml
    from .terms import insert_terms, mesh_major_topics

    modules = {"pubmed-xml": pubmed_xml, "medline": medline}
    filled = 0
    rows = conn.execute(
        "SELECT o.record_id, s.format, o.raw FROM occurrences o JOIN sources s"
        " ON s.id = o.source_id JOIN records r ON r.id = o.record_id"
        " WHERE s.format IN ('pubmed-xml', 'medline') AND r.mesh = '[]'"
        " ORDER BY o.record_id, o.id").fetchall()
    done: set[int] = set()
    for record_id, format_name, raw in rows:
        if record_id in done:
            continue
        try:
            parsed = next(iter(modules[format_name].parse(io.StringIO(raw))), None)
        except Exception:  # a raw text this version cannot read: leave the record be
            continue
        if parsed is None or not parsed.record.mesh:
            continue
        mesh = json.dumps(parsed.record.mesh, ensure_ascii=False)
        conn.execute("UPDATE records SET mesh = ? WHERE id = ?", [mesh, record_id])
        insert_terms(conn, [("mesh_major", topic, record_id)
                            for topic in mesh_major_topics(mesh)])
        done.add(record_id)
        filled += 1
    return filled


# The indexes of `decisions` (a rebuild of the table drops them with it).
DECISIONS_INDEXES = [
    "CREATE INDEX decisions_record ON decisions(record_id, stage)",
    "CREATE INDEX decisions_reviewer ON decisions(reviewer, stage, record_id)",
    "CREATE INDEX decisions_undoes ON decisions(undoes) WHERE undoes IS NOT NULL",
    "CREATE INDEX decisions_carried ON decisions(carried_from) WHERE carried_from IS NOT NULL",
]


# Duplicates (issue 13, phase 2): the engine merges on load and on `mscdm
# dedup`, people answer the pairs it is unsure of, and every merge can be
# undone.
# - `decisions` gains `carried_from`: when a record is merged into another,
#   its votes are carried to the record it joins as new rows that name the
#   row they copy (screening/rules.py reads them), and an unmerge appends
#   undo rows for those copies. The merged record's own rows stay under its
#   id, which therefore may name no row of `records` while it is merged
#   away: the foreign key from decisions to records goes, so the table is
#   rebuilt with its rows and ids intact (as m006 did).
# - `occurrences.record_values`: the values an occurrence brought (JSON of
#   the record columns as stored, its extra fields and exact key), kept for
#   every occurrence of a record that has more than one, so a merged record
#   can show "best value + the others" and be recomputed exactly when a copy
#   is taken out again. NULL for a record's only occurrence (its values are
#   the row) and for copies merged by versions before this one.
# - mscdm_dedup_keys: the blocking keys of every record (hashed), so a load
#   compares its new records with the candidates that share a key instead of
#   preparing every record of the review again.
# - mscdm_dedup_pairs: pairs the engine queued for a person ("maybe").
# - mscdm_dedup_answers: people's answers (append-only).
# - mscdm_merges: every merge and unmerge (append-only).
DEDUP_SCHEMA = [
    """
CREATE TABLE decisions_rebuilt (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,  -- the record decided on (it may since be merged into another)
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL
        CHECK (decision IN ('include', 'exclude', 'maybe', 'not_retrieved', 'undo', 'reopen')),
    reason TEXT,
    note TEXT,
    kind TEXT NOT NULL DEFAULT 'screen' CHECK (kind IN ('screen', 'resolution', 'bulk')),
    undoes INTEGER REFERENCES decisions_rebuilt(id),   -- for decision = 'undo'
    request_id TEXT UNIQUE,      -- client-chosen; a re-sent request records nothing twice
    created_at TEXT NOT NULL,
    -- A copy of this decision, carried from a record merged into this one:
    -- the id of the original (the first, when it was carried more than once).
    carried_from INTEGER REFERENCES decisions_rebuilt(id)
)
    """,
    """
INSERT INTO decisions_rebuilt SELECT id, record_id, stage, reviewer, decision, reason, note,
    kind, undoes, request_id, created_at, NULL FROM decisions ORDER BY id
    """,
    "DROP TABLE decisions",
    "ALTER TABLE decisions_rebuilt RENAME TO decisions",
    *DECISIONS_INDEXES,
    """
ALTER TABLE occurrences ADD COLUMN record_values TEXT
    """,
    """
CREATE TABLE mscdm_dedup_keys (
    k INTEGER NOT NULL,          -- 64-bit hash of a blocking key (dedup.blocking.live_keys)
    record_id INTEGER NOT NULL,  -- a record that has it (or had it, before a merge)
    PRIMARY KEY (k, record_id)
) WITHOUT ROWID
    """,
    """
CREATE TABLE mscdm_dedup_pairs (
    id INTEGER PRIMARY KEY,
    a INTEGER NOT NULL,          -- the two records, a < b, as they were when found
    b INTEGER NOT NULL,
    score REAL NOT NULL,         -- 0..1: the queue's order and "accept all above"
    reasons TEXT NOT NULL,       -- JSON array: what agreed and what did not
    vetoes TEXT NOT NULL,        -- JSON array: what kept it from merging on its own
    fields TEXT NOT NULL,        -- JSON object: field -> state
    found_by TEXT NOT NULL CHECK (found_by IN ('load', 'dedup')),
    found_at TEXT NOT NULL,
    CHECK (a < b),
    UNIQUE (a, b)
)
    """,
    """
CREATE TABLE mscdm_dedup_answers (
    id INTEGER PRIMARY KEY,
    a INTEGER NOT NULL,          -- the two records, a < b, as they were when answered
    b INTEGER NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('duplicate', 'not_duplicates')),
    answered_by TEXT NOT NULL,   -- the lead who answered
    score REAL,                  -- the engine's score and reasons when the answer was given
    reasons TEXT,
    note TEXT,                   -- 'unmerge' when an unmerge said they are different works
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL,
    CHECK (a < b)
)
    """,
    "CREATE INDEX mscdm_dedup_answers_pair ON mscdm_dedup_answers(a, b)",
    """
CREATE TABLE mscdm_merges (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('merge', 'unmerge')),
    undoes INTEGER REFERENCES mscdm_merges(id),   -- for action = 'unmerge'
    kept_id INTEGER NOT NULL,    -- the record that holds (held) the copy
    merged_id INTEGER,           -- the record merged away (unmerge: the record restored or made);
                                 -- NULL: an occurrence merged as it loaded
    occurrences TEXT NOT NULL,   -- JSON array of the occurrence ids that moved
    matched_on TEXT,             -- doi | pmid | title_year_author | person
    merged_by TEXT NOT NULL,     -- 'auto' (the engine) or the lead who decided
    score REAL,
    reasons TEXT,                -- JSON array
    snapshot TEXT,               -- JSON: the merged record's row and terms, the kept row before
    carried TEXT,                -- JSON array: ids of the decisions carried to kept_id
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
)
    """,
    "CREATE INDEX mscdm_merges_kept ON mscdm_merges(kept_id)",
    "CREATE INDEX mscdm_merges_merged ON mscdm_merges(merged_id) WHERE merged_id IS NOT NULL",
    "CREATE INDEX mscdm_merges_undoes ON mscdm_merges(undoes) WHERE undoes IS NOT NULL",
]


@migrations()
def m010_duplicates(db: Database):
    for statement in DEDUP_SCHEMA:
        db.execute(statement)
    # The rebuilt decisions table and the new append-only tables get their
    # triggers (APPEND_ONLY, below).
    restore_append_only(db.conn)
    # The blocking keys of the records loaded before, so the next load finds them.
    from .duplicates.tables import index_all_records

    index_all_records(db.conn)


# Sessions kept on the server (security review): a login cookie names a row
# here, so logging out ends it for good, a cookie signed by another server
# with the same secret names no row of this database, and a password or
# role change ends every session of that reviewer at once.
@migrations()
def m011_sessions(db: Database):
    db.execute("""
CREATE TABLE mscdm_sessions (
    id TEXT PRIMARY KEY,         -- random, in the signed login cookie
    reviewer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL     -- unix time
)""")
    db.execute("CREATE INDEX mscdm_sessions_reviewer ON mscdm_sessions(reviewer)")


# The tables whose rows only accumulate, and how a replacing insert is
# recognised on each. The migrations that create or rebuild these tables
# create their triggers, the later ones through restore_append_only(). The
# loader also runs it when it opens a review, to put back any that went
# missing: `sqlite-utils transform` (or any table rebuild outside the
# migrations) copies a table without its triggers.
APPEND_ONLY = {
    "decisions": "id = NEW.id OR request_id = NEW.request_id",
    "mscdm_protocol": "id = NEW.id",
    "mscdm_merges": "id = NEW.id OR request_id = NEW.request_id",
    "mscdm_dedup_answers": "id = NEW.id OR request_id = NEW.request_id",
}


def append_only_triggers(table: str) -> dict[str, str]:
    """{trigger name: CREATE TRIGGER} of one append-only table."""
    refuse = f"SELECT RAISE(ABORT, '{table} is append-only: add a new row instead');"
    return {
        f"{table}_append_only_update":
            f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table}"
            f" BEGIN {refuse} END",
        f"{table}_append_only_delete":
            f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table}"
            f" BEGIN {refuse} END",
        f"{table}_append_only_replace":
            f"CREATE TRIGGER {table}_append_only_replace BEFORE INSERT ON {table}"
            f" WHEN EXISTS (SELECT 1 FROM {table} WHERE {APPEND_ONLY[table]})"
            f" BEGIN {refuse} END",
    }


def restore_append_only(conn) -> list[str]:
    """Recreate the append-only triggers missing from tables that exist;
    returns their names (the caller says so: someone rebuilt a table)."""
    existing = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    tables = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    restored = []
    for table in APPEND_ONLY:
        if table not in tables:
            continue
        for name, sql in append_only_triggers(table).items():
            if name not in existing:
                conn.execute(sql)
                restored.append(name)
    return restored


# Login attempts in flight (security review): an attempt is counted before
# its password is checked, so a burst cannot slip past the throttle; it is
# `pending` until it fails (then a failure) or succeeds (then deleted).
@migrations()
def m012_pending_logins(db: Database):
    db.execute("ALTER TABLE mscdm_login_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")


# Prioritised screening (issue 14, phase 2).
# - `decisions.kind` gains 'automation': when a lead stops screening early on
#   a stopping estimate, every record nobody has screened gets one such
#   exclusion (PRISMA: "marked as ineligible by automation tools"); the table
#   is rebuilt with its rows and ids intact (as m006 and m010 did).
# - mscdm_retrains: every retrain of the ranker: when, why, how many labels,
#   the model's settings and seed (reproducibility). The features themselves
#   are not stored: the server vectorises the records in the background
#   (a 100k review's would be a 180 MB blob, written while decisions wait).
# - mscdm_seed_includes: records a lead marked as known relevant (a scoping
#   search's hits): includes the ranker learns from before anyone screens.
# - mscdm_stops: a lead's decision to stop screening early, with the reason
#   and the stopping estimate it was taken on.
PRIORITY_SCHEMA = [
    """
CREATE TABLE decisions_rebuilt (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,  -- the record decided on (it may since be merged into another)
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL
        CHECK (decision IN ('include', 'exclude', 'maybe', 'not_retrieved', 'undo', 'reopen')),
    reason TEXT,
    note TEXT,
    -- screen: a vote; resolution: a lead's ruling or reopening; bulk: a
    -- lead's exclusion by search; automation: an exclusion of a record left
    -- unscreened when a lead stopped screening early.
    kind TEXT NOT NULL DEFAULT 'screen'
        CHECK (kind IN ('screen', 'resolution', 'bulk', 'automation')),
    undoes INTEGER REFERENCES decisions_rebuilt(id),   -- for decision = 'undo'
    request_id TEXT UNIQUE,      -- the reviewer's and their client's id of the request
    created_at TEXT NOT NULL,
    carried_from INTEGER REFERENCES decisions_rebuilt(id)
)
    """,
    """
INSERT INTO decisions_rebuilt SELECT id, record_id, stage, reviewer, decision, reason, note,
    kind, undoes, request_id, created_at, carried_from FROM decisions ORDER BY id
    """,
    "DROP TABLE decisions",
    "ALTER TABLE decisions_rebuilt RENAME TO decisions",
    *DECISIONS_INDEXES,
    """
CREATE TABLE mscdm_retrains (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    trigger TEXT NOT NULL,       -- what made it due: first, protocol, records, labels, time, seed, manual
    mode TEXT NOT NULL,          -- model | cold start | random (nothing to rank by yet)
    labels_used INTEGER NOT NULL,
    includes_used INTEGER NOT NULL,
    label_state TEXT NOT NULL,   -- JSON: the settled counts it was trained on (what makes the next one due)
    protocol_id INTEGER,         -- the protocol version in force
    max_record_id INTEGER NOT NULL,
    merge_log_id INTEGER NOT NULL,  -- the latest mscdm_merges row then (merges change the records)
    records INTEGER NOT NULL,
    head INTEGER NOT NULL,       -- records given a place in front (screen_order)
    random_picks INTEGER NOT NULL,
    seconds REAL NOT NULL,
    seed INTEGER NOT NULL,
    settings TEXT NOT NULL       -- JSON: model, features, team signals, random share
)
    """,
    """
CREATE TABLE mscdm_seed_includes (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    note TEXT,
    removed_by TEXT,             -- unmarked (kept for the history)
    removed_at TEXT
)
    """,
    "CREATE UNIQUE INDEX mscdm_seed_includes_active ON mscdm_seed_includes(record_id)"
    " WHERE removed_at IS NULL",
    """
CREATE TABLE mscdm_stops (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('stop', 'resume')),
    stage TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT,
    estimate TEXT,               -- JSON: the stopping estimate shown when the lead stopped
    records INTEGER NOT NULL     -- records excluded (stop) or given back (resume)
)
    """,
]


@migrations()
def m013_priority(db: Database):
    for statement in PRIORITY_SCHEMA:
        db.execute(statement)
    # The append-only triggers go with the old table; the same ones come back.
    restore_append_only(db.conn)
