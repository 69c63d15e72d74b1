"""`mscdm dedup`, `mscdm duplicates list|answer|accept` and `mscdm unmerge`:
duplicates over the whole review, the review queue for scripts, undoing merges."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from .duplicates import review, tables
from .duplicates.merge import MergeError, merge_in_force_for, unmerge
from .loader import open_database
from .screening import store
from .screening.access import PLUGIN
from .screening.protocol import ProtocolError, parse_protocol

db_argument = click.argument("db", type=click.Path(dir_okay=False, exists=True, path_type=Path))
config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The datasette.yaml the review is served with, for its screening protocol (the "
         "number of reviewers per stage decides statuses after a merge) when no lead has "
         "saved one in the database.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
by_option = click.option(
    "--by", "by", required=True, metavar="NAME",
    help="Who answers, recorded with the answer: a lead of the review (any name while the "
         "review has no reviewers).")


def protocol_of(conn, db: Path, config_path: Path | None):
    """The protocol in force: the one a lead saved, else datasette.yaml's
    (database level, then top level), else the default."""
    saved = store.stored_protocol(conn)
    if saved:
        return saved
    config = {}
    if config_path:
        loaded = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        database = (loaded.get("databases") or {}).get(db.stem) or {}
        config = ((database.get("plugins") or {}).get(PLUGIN)
                  or (loaded.get("plugins") or {}).get(PLUGIN) or {})
    try:
        return parse_protocol(config.get("screening"))
    except ProtocolError as error:
        raise click.UsageError(f"{config_path}: plugins.{PLUGIN}.screening: {error}")


def acting_as(conn, name: str) -> str:
    name = name.strip()
    leads = [r["name"] for r in store.list_reviewers(conn)
             if r["role"] == "lead" and r["removed_at"] is None]
    if not name:
        raise click.UsageError("--by needs a name")
    reviewers = conn.execute("SELECT count(*) FROM mscdm_reviewers WHERE removed_at IS NULL"
                             ).fetchone()[0]
    if reviewers and name not in leads:
        raise click.UsageError(f"--by {name!r} is not a lead of this review (leads: "
                               f"{', '.join(leads) or 'none'})")
    return name


def _in_transaction(db: Path, fn):
    database = open_database(db)
    conn = database.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        result = fn(conn)
        conn.execute("COMMIT")
        return result
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def _fail(error: Exception):
    raise click.ClickException(str(error))


@click.command()
@db_argument
@click.option("--dry-run", is_flag=True, help="Say what would be merged and queued; change nothing.")
@json_option
@config_option
def dedup(db, dry_run, as_json, config_path):
    """Find the duplicates among every record of DB.

    The duplicate engine compares every record with the records that share a
    blocking key (DOI, PMID, title start or end, the two rarest title words,
    first author + year, journal + volume + first page). Pairs it is sure of
    are merged (undo with `mscdm unmerge`); pairs it is unsure of are queued
    for a lead (/<db>/-/duplicates, or `mscdm duplicates`). Pairs a person
    answered "not duplicates" are never merged or proposed again.

    \b
    Examples:
        mscdm dedup review.db --dry-run
        mscdm dedup review.db
        mscdm dedup review.db --json > dedup.json
    """
    def run(conn):
        protocol = protocol_of(conn, db, config_path)
        result = review.run_dedup(conn, protocol=protocol, dry_run=dry_run)
        if dry_run:
            raise _DryRun(result)
        return result

    try:
        result = _in_transaction(db, run)
    except _DryRun as dry:
        result = dry.result
    except MergeError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    verb = "Would merge" if dry_run else "Merged"
    merged = sum(len(m["merged"]) for m in result.merged)
    click.echo(f"Compared {result.records} records ({result.compared} candidate pairs) in "
               f"{result.seconds:.1f} s.")
    click.echo(f"{verb} {merged} record(s) into {len(result.merged)}:")
    for m in result.merged:
        into = ", ".join(str(i) for i in m["merged"])
        click.echo(f"  record {m['kept']} <- {into}  (score {m['score']:.2f}: "
                   f"{'; '.join(m['reasons'])})")
    queued = "Would queue" if dry_run else "Queued"
    click.echo(f"{queued} {len(result.queued)} new pair(s) for a person"
               + (" (mscdm duplicates list):" if result.queued else "."))
    for pair in result.queued:
        click.echo(f"  records {pair['a']} / {pair['b']}  (score {pair['score']:.2f}: "
                   f"{'; '.join(pair['vetoes'])})")


class _DryRun(Exception):
    """Rolls a dry run's transaction back (nothing it did stays)."""

    def __init__(self, result):
        super().__init__("dry run")
        self.result = result


@click.group()
def duplicates():
    """The pairs the duplicate engine queued for a person, for scripts.

    The same queue as the page /<db>/-/duplicates: each pair is answered
    "duplicate" (the two records are merged, the earlier kept) or
    "not-duplicates" (they stay apart and are never proposed again). Every
    answer is recorded with who gave it, when, and the engine's score.
    """


@duplicates.command("list")
@db_argument
@click.option("--min-score", type=click.FloatRange(0, 1), help="Only pairs scoring this or more.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
def list_pairs(db, min_score, limit, as_json):
    """The pairs waiting for a person in DB, best score first.

    \b
    Examples:
        mscdm duplicates list review.db
        mscdm duplicates list review.db --min-score 0.9 --json
    """
    database = open_database(db)
    conn = database.conn
    try:
        pairs = review.pending_pairs(conn, min_score=min_score)
        titles = dict(conn.execute("SELECT id, title FROM records WHERE id IN (SELECT value FROM"
                                   " json_each(?))", [json.dumps([i for p in pairs[:limit]
                                                                  for i in (p["a"], p["b"])])]))
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps({"total": len(pairs), "pairs": [
            {**p, "titles": [titles.get(p["a"]), titles.get(p["b"])]} for p in pairs[:limit]]},
            indent=2, ensure_ascii=False))
        return
    click.echo(f"{len(pairs)} pair(s) waiting.")
    for p in pairs[:limit]:
        click.echo(f"records {p['a']} / {p['b']}  score {p['score']:.2f}")
        click.echo(f"  {p['a']}: {titles.get(p['a']) or '[no title]'}")
        click.echo(f"  {p['b']}: {titles.get(p['b']) or '[no title]'}")
        click.echo(f"  agreed: {'; '.join(p['reasons'])}")
        if p["vetoes"]:
            click.echo(f"  held back: {'; '.join(p['vetoes'])}")


@duplicates.command("answer")
@db_argument
@click.argument("a", type=click.IntRange(1))
@click.argument("b", type=click.IntRange(1))
@click.argument("verdict", type=click.Choice(["duplicate", "not-duplicates"]))
@by_option
@json_option
@config_option
def answer_pair(db, a, b, verdict, by, as_json, config_path):
    """Answer the pair of records A and B: duplicate or not-duplicates.

    \b
    Examples:
        mscdm duplicates answer review.db 12 40 duplicate --by alice
        mscdm duplicates answer review.db 12 41 not-duplicates --by alice
    """
    def run(conn):
        name = acting_as(conn, by)
        return review.answer(conn, a, b, verdict.replace("-", "_"), by=name,
                             protocol=protocol_of(conn, db, config_path))

    try:
        result = _in_transaction(db, run)
    except MergeError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif verdict == "duplicate":
        click.echo(f"Merged record {result['merged']} into record {result['kept']}.")
    else:
        click.echo(f"Records {result['a']} and {result['b']} stay apart.")


@duplicates.command("accept")
@db_argument
@click.option("--min-score", type=click.FloatRange(0, 1), required=True,
              help="Merge every waiting pair scoring this or more.")
@by_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@json_option
@config_option
def accept(db, min_score, by, yes, as_json, config_path):
    """Answer "duplicate" for every waiting pair scoring MIN-SCORE or more.

    Asks for confirmation with the number of pairs first (--yes does not).

    \b
    Examples:
        mscdm duplicates accept review.db --min-score 0.95 --by alice
        mscdm duplicates accept review.db --min-score 0.9 --by alice --yes --json
    """
    database = open_database(db)
    try:
        count = len(review.pending_pairs(database.conn, min_score=min_score))
    finally:
        database.conn.close()
    if not count:
        click.echo(f"No pair scores {min_score:.2f} or more.")
        return
    if not yes:
        click.confirm(f"Merge the records of {count} pair(s) scoring {min_score:.2f} or more?",
                      abort=True)

    def run(conn):
        return review.accept_above(conn, min_score, by=acting_as(conn, by),
                                   protocol=protocol_of(conn, db, config_path), expected=count)

    try:
        result = _in_transaction(db, run)
    except MergeError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(f"Merged {result['merged']} pair(s).")
    for item in result["left"]:
        click.echo(f"  left records {item['a']} / {item['b']}: {'; '.join(item['why'])}")


@click.command("unmerge")
@db_argument
@click.argument("record_ids", nargs=-1, type=click.IntRange(1))
@click.option("--occurrence", "occurrence_ids", multiple=True, type=click.IntRange(1),
              help="An occurrence (a copy merged as it loaded) to take out into a record of "
                   "its own; repeatable.")
@by_option
@json_option
@config_option
def unmerge_command(db, record_ids, occurrence_ids, by, as_json, config_path):
    """Undo merges: bring back each RECORD_ID that was merged into another.

    The record comes back with its own id, values, occurrences and screening
    decisions; the record it was merged into is recomputed without it and
    loses the votes carried from it. The two are then recorded as "not
    duplicates", so they are never merged or proposed again. A copy merged
    as it loaded has no record id: take it out with --occurrence (its id is
    on the record page, /<db>/-/record/<id>).

    \b
    Examples:
        mscdm unmerge review.db 40 --by alice
        mscdm unmerge review.db --occurrence 1234 --by alice --json
    """
    if not record_ids and not occurrence_ids:
        raise click.UsageError("name a RECORD_ID or an --occurrence")

    def run(conn):
        name = acting_as(conn, by)
        protocol = protocol_of(conn, db, config_path)
        results = []
        for record_id in record_ids:
            merge = merge_in_force_for(conn, record_id)
            if merge is None:
                raise MergeError(_not_merged(conn, record_id), 404)
            results.append(unmerge(conn, merge["id"], by=name, protocol=protocol))
        for occurrence_id in occurrence_ids:
            merge = _load_merge_of(conn, occurrence_id)
            results.append(unmerge(conn, merge["id"], by=name, protocol=protocol))
        return results

    try:
        results = _in_transaction(db, run)
    except MergeError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    for result in results:
        click.echo(f"Record {result['restored']} is apart from record {result['kept']} again.")


def _not_merged(conn, record_id: int) -> str:
    held = conn.execute(
        f"SELECT m.merged_id, m.occurrences FROM mscdm_merges m WHERE m.kept_id = ?"
        f" AND {tables.IN_FORCE}", [record_id]).fetchall()
    if conn.execute("SELECT 1 FROM records WHERE id = ?", [record_id]).fetchone() is None:
        return f"record {record_id} does not exist and was not merged into another"
    if not held:
        return f"record {record_id} is not merged into another record and holds no merge"
    parts = [f"record {m}" if m else f"--occurrence {json.loads(o)[0]}" for m, o in held]
    return (f"record {record_id} is not merged into another record; it holds: "
            f"{', '.join(parts)}. Unmerge those.")


def _load_merge_of(conn, occurrence_id: int) -> dict:
    cursor = conn.execute(
        f"SELECT m.* FROM mscdm_merges m WHERE m.merged_id IS NULL AND {tables.IN_FORCE}"
        " AND m.occurrences = ?", [json.dumps([occurrence_id])])
    row = cursor.fetchone()
    if row is None:
        raise MergeError(f"occurrence {occurrence_id} was not merged as it loaded (or was"
                         " taken out already)", 404)
    return dict(zip([d[0] for d in cursor.description], row))
