"""The `mscdm` command line."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import click

from . import formats
from .loader import Loader, iter_files, open_database
from .tagging import VocabularyError, load_vocabulary
from .terms import current_vocabulary, retag_all


@click.group()
@click.version_option(package_name="datasette-mscdm")
def cli():
    """Systematic-review databases for Datasette.

    Load literature exports into a SQLite review database, then browse and
    screen it with `datasette serve REVIEW.db`.
    """


class _LazyProgress:
    """A progress bar on stderr that appears only when a load takes more
    than a moment and stderr is a terminal."""

    DELAY = 0.5

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.enabled = enabled
        self.started = time.monotonic()
        self.done = 0
        self.bar = None

    def advance(self, n: int):
        self.done += n
        if not self.enabled:
            return
        if self.bar is None and time.monotonic() - self.started > self.DELAY:
            self.bar = click.progressbar(length=self.total, label="Loading", file=sys.stderr)
            self.bar.__enter__()
            self.bar.update(self.done - n)
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--source", "source_name", metavar="NAME",
              help="Bibliographic database or register the files were exported from (PubMed, "
                   "Scopus, ClinicalTrials.gov, ...), or the other method (Citation searching). "
                   "Spellings are normalised (web_of_science, WOS: Web of Science). Default: "
                   "what each record says, else none (PRISMA shows it as not named).")
@click.option("--format", "format_name", type=click.Choice(sorted(formats.BY_NAME)),
              help="Parse every file as this format instead of detecting it from the content.")
@click.option("--other-methods", is_flag=True,
              help="The files come from other methods (citation searching, websites, "
                   "experts), not databases or registers: PRISMA counts them apart.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-file results as JSON.")
@click.option("--read-ahead/--serial", "read_ahead", default=None,
              help="Parse the files in a second process while this one stores them "
                   "(the default once the files add up to 1 MB), or all in this process.")
def load(db, paths, source_name, format_name, other_methods, as_json, read_ahead):
    """Load literature exports into the review database DB.

    PATHS are files or directories (searched recursively); `.gz` files are
    read compressed. The format is detected from each file's content: RIS,
    PubMed MEDLINE/.nbib, PubMed XML, BibTeX, EndNote XML, CSL-JSON, Web of
    Science plain text or tab-delimited, CSV/TSV, JSON Lines, Excel .xlsx,
    Ovid, Refer, and the two seed formats (aggregator records, AI summaries).

    Each file loads whole or not at all; a file whose bytes already loaded is
    skipped. Exit status: 0 when every file loaded or was skipped, 1 when any
    file failed, 2 on usage errors.

    \b
    Examples:
        mscdm load review.db data/
        mscdm load review.db pubmed-export.nbib --source PubMed
        mscdm load review.db exports/*.ris.gz --json
        mscdm load review.db citation-search.ris --source "Citation searching" --other-methods
    """
    total = sum(f.stat().st_size for f in iter_files(paths) if f.exists())
    progress = _LazyProgress(total, enabled=not as_json and sys.stderr.isatty())
    creating = not db.exists()
    database = open_database(db)
    if creating:
        # No one can be reading a database this command is creating, so its
        # first load writes pages once, under a rollback journal, rather than
        # to the WAL and then again into the file (a tenth of a large load).
        database.execute("PRAGMA journal_mode=DELETE")
    loader = Loader(database, source_name=source_name, format_name=format_name,
                    method="other" if other_methods else "databases",
                    on_progress=progress.advance, read_ahead=read_ahead)
    try:
        results = loader.load_paths(paths)
    finally:
        progress.close()
        database.conn.close()
        # WAL again, so Datasette can read while screening writes; if a server
        # opened the database meanwhile this is refused, and the next command
        # that opens it switches instead. On a connection of its own: SQLite
        # 3.40 refuses a checkpoint ("database table is locked") on a
        # connection that used its temp schema (a migration's table rebuild)
        # before switching to WAL.
        conn = sqlite3.connect(str(db), isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        _print_summary(results)
    if any(r.status == "failed" for r in results):
        sys.exit(1)


def _print_summary(results):
    headers = ["file", "format", "records", "new", "merged", "status"]
    rows = [[r.path, r.format or "-", str(r.records), str(r.new), str(r.merged),
             r.status + (f" ({len(r.warnings)} warnings)" if r.warnings else "")]
            for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    for r in results:
        for warning in r.warnings:
            click.echo(f"warning: {r.path}: {warning}", err=True)
        if r.status == "failed":
            click.echo(f"error: {r.path}: {r.error}", err=True)
        elif r.status == "skipped":
            click.echo(f"skipped: {r.path}: {r.error}", err=True)
    loaded = [r for r in results if r.status == "loaded"]
    click.echo(
        f"{len(loaded)} file(s) loaded, {sum(r.status == 'skipped' for r in results)} skipped, "
        f"{sum(r.status == 'failed' for r in results)} failed; "
        f"{sum(r.records for r in loaded)} records read, {sum(r.new for r in loaded)} new, "
        f"{sum(r.merged for r in loaded)} merged into existing records"
    )
    queued = sum(r.queued for r in loaded)
    if queued:
        click.echo(f"{queued} possible duplicate pair(s) wait for a person: /<db>/-/duplicates"
                   " on `datasette serve`, or `mscdm duplicates list`")


@cli.command()
@click.argument("db", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--vocabulary", "vocabulary_path", type=click.Path(dir_okay=False, exists=True),
              help="Vocabulary YAML to apply (default: the one in force for DB, else the "
                   "packaged default for MSC-exosome / diabetes reviews).")
@click.option("--json", "as_json", is_flag=True, help="Print the tag counts as JSON.")
def tag(db, vocabulary_path, as_json):
    """Recompute the automatic domain tags of every record in DB.

    Run it after editing the vocabulary. Tags are text matches of the
    vocabulary's terms in titles, abstracts and keywords, shown as facets;
    they are never screening decisions. The vocabulary applied is stored in
    DB, and later `mscdm load` runs tag new records with it.

    \b
    Examples:
        mscdm tag review.db
        mscdm tag review.db --vocabulary my-vocabulary.yml
    """
    try:
        vocabulary = load_vocabulary(vocabulary_path) if vocabulary_path else None
    except VocabularyError as error:
        raise click.UsageError(str(error))
    database = open_database(db)
    conn = database.conn
    total = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    progress = _LazyProgress(total, enabled=not as_json and sys.stderr.isatty())
    try:
        conn.execute("BEGIN IMMEDIATE")
        counts = retag_all(conn, vocabulary, on_progress=progress.advance)
        groups = current_vocabulary(conn).groups
        conn.execute("COMMIT")
    finally:
        progress.close()
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
    if as_json:
        click.echo(json.dumps({"records": total, "tags": counts}, indent=2, ensure_ascii=False))
        return
    click.echo(f"Tagged {total} records.")
    for key, terms in counts.items():
        click.echo(f"{groups.get(key, key)}:")
        for term, n in sorted(terms.items(), key=lambda item: -item[1]):
            click.echo(f"  {n:>7}  {term}")


# Command groups of their own modules.
from .cli_dedup import dedup, duplicates, unmerge_command  # noqa: E402
from .cli_report import export, prisma, publish_copy  # noqa: E402
from .cli_reviewer import reviewer  # noqa: E402
from .cli_ranking import simulate_command  # noqa: E402
from .cli_priority import rerank, seed, stopping  # noqa: E402
from .cli_sources import name_source_command, sources_command  # noqa: E402

cli.add_command(reviewer)
cli.add_command(prisma)
cli.add_command(publish_copy)
cli.add_command(export)
cli.add_command(dedup)
cli.add_command(duplicates)
cli.add_command(unmerge_command)
cli.add_command(simulate_command, name="simulate")
cli.add_command(rerank)
cli.add_command(seed)
cli.add_command(stopping)
cli.add_command(sources_command)
cli.add_command(name_source_command)
