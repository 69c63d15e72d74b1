"""`mscdm rerank`, `mscdm seed` and `mscdm stopping`: priority order from
the command line (the server does the same in the background)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import yaml

from . import formats
from .cli_dedup import acting_as, by_option, config_option, db_argument, json_option, protocol_of
from .loader import open_database
from .records import normalise_doi, normalise_pmid
from .screening import priority, reranker
from .screening.access import PLUGIN
from .screening.store import ScreeningError
from .textio import LoadError, inspect_file, open_text


def _plugin_config(db: Path, config_path: Path | None) -> dict:
    if not config_path:
        return {}
    loaded = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    database = (loaded.get("databases") or {}).get(db.stem) or {}
    return ((database.get("plugins") or {}).get(PLUGIN)
            or (loaded.get("plugins") or {}).get(PLUGIN) or {})


@click.command()
@db_argument
@config_option
@click.option("--if-due", is_flag=True,
              help="Rerank only when the server would (settled records, time, records loaded "
                   "or a protocol change since the last rerank).")
@json_option
def rerank(db, config_path, if_due, as_json):
    """Rank DB's records now and write the priority order.

    Needs `order: priority` in the protocol. The server reranks on its own
    in the background (README "Prioritised screening"); this does the same
    in this process, for a review nobody is serving or to see the figures.
    Every rerank is recorded in mscdm_retrains.

    \b
    Examples:
        mscdm rerank review.db
        mscdm rerank review.db --config datasette.yaml --json
    """
    database = open_database(db)
    conn = database.conn
    protocol = protocol_of(conn, db, config_path)
    if protocol.order != "priority":
        raise click.ClickException(f"{db}: the protocol's order is {protocol.order!r}: a lead "
                                   "sets `order: priority` on the protocol page first")
    trigger = priority.due(conn, protocol) if if_due else "manual"
    if trigger is None:
        click.echo("Not due: nothing settled, loaded or changed since the last rerank.")
        return
    include, exclude = reranker.ranking_terms(_plugin_config(db, config_path), protocol)
    plan = reranker.rerank_now(str(db), conn, protocol, include, exclude, trigger)
    if plan is None:
        raise click.ClickException("the protocol changed while ranking: run it again")
    figures = {"mode": plan.mode, "trigger": plan.trigger, "labels": plan.labels_used,
               "includes": plan.includes_used, "head": len(plan.head),
               "random_picks": plan.random_picks, "seconds": round(plan.seconds, 3)}
    if as_json:
        click.echo(json.dumps(figures))
    else:
        click.echo(f"Reranked ({plan.mode}) on {plan.labels_used} labels ({plan.includes_used} "
                   f"includes) in {plan.seconds:.2f} s: the first {len(plan.head)} places "
                   f"written, {plan.random_picks} of them random picks.")


def references_in(path: Path) -> list:
    """The records of a reference export in any format `mscdm load` reads."""
    facts = inspect_file(path)
    module = formats.detect_file(facts)
    if hasattr(module, "parse_file"):
        parsed = list(module.parse_file(facts))
    else:
        stream, _ = open_text(facts)
        with stream:
            parsed = list(module.parse(stream))
    return [p.record.finish() for p in parsed]


def _title_key(title: str | None) -> str:
    return re.sub(r"[^0-9a-z]+", "", (title or "").lower())


def identifiers_in(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(what to look records up by: ("doi"|"pmid"|"title", value), lines not
    understood) from a reference export, or from a text file of DOIs and
    PMIDs, one per line."""
    try:
        records = references_in(path)
    except LoadError:
        wanted, unknown = [], []
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        for line in (line.strip() for line in text.splitlines()):
            if not line or line.startswith("#"):
                continue
            doi = normalise_doi(line)
            pmid = normalise_pmid(line) if line.isdigit() else None
            if doi:
                wanted.append(("doi", doi))
            elif pmid:
                wanted.append(("pmid", pmid))
            else:
                unknown.append(line)
        return wanted, unknown
    wanted = []
    for record in records:
        if record.doi:
            wanted.append(("doi", record.doi))
        elif record.pmid:
            wanted.append(("pmid", record.pmid))
        elif _title_key(record.title):
            wanted.append(("title", _title_key(record.title)))
    return wanted, []


def match_records(conn, wanted: list[tuple[str, str]]) -> tuple[list[int], list[str]]:
    """(record ids, what matched nothing)."""
    titles = None
    ids, missing = [], []
    for kind, value in wanted:
        if kind == "title":
            if titles is None:
                titles = {}
                for record_id, title in conn.execute("SELECT id, title FROM records"):
                    titles.setdefault(_title_key(title), record_id)
            found = [titles[value]] if value in titles else []
        else:
            found = [row[0] for row in conn.execute(
                f"SELECT id FROM records WHERE {kind} = ? ORDER BY id", [value])]
        if found:
            ids.extend(record for record in found if record not in ids)
        else:
            missing.append(f"{kind} {value}")
    return ids, missing


@click.command()
@db_argument
@click.argument("file", required=False, type=click.Path(dir_okay=False, exists=True,
                                                        path_type=Path))
@click.option("--doi", "dois", multiple=True, help="A DOI of a known relevant record.")
@click.option("--pmid", "pmids", multiple=True, help="A PubMed id of a known relevant record.")
@click.option("--id", "record_ids", multiple=True, type=int, help="A record id.")
@click.option("--note", help="Where the records are known from (kept with each mark).")
@click.option("--remove", is_flag=True, help="Unmark them instead.")
@by_option
@json_option
def seed(db, file, dois, pmids, record_ids, note, remove, by, as_json):
    """Mark DB's records as known relevant (seed includes) for priority order.

    Records a lead already knows belong in the review (a scoping search's
    hits, the key papers) teach the ranker before anyone screens; they are
    still screened like the others. FILE is a reference export in any
    format `mscdm load` reads (records matched by DOI, else PMID, else
    title) or a text file of DOIs and PMIDs, one per line.

    \b
    Examples:
        mscdm seed review.db --doi 10.1038/s41586-020-2649-2 --by alice
        mscdm seed review.db scoping-search.ris --by alice --note "scoping search 2026-03"
        mscdm seed review.db --id 42 --remove --by alice
    """
    wanted = [("doi", normalise_doi(d) or d.strip().lower()) for d in dois]
    wanted += [("pmid", normalise_pmid(p) or p.strip()) for p in pmids]
    unknown = []
    if file:
        try:
            from_file, unknown = identifiers_in(file)
        except (LoadError, OSError) as error:
            raise click.ClickException(f"{file}: {error}")
        wanted += from_file
    if not wanted and not record_ids:
        raise click.UsageError("name records: FILE, --doi, --pmid or --id")
    database = open_database(db)
    conn = database.conn
    lead = acting_as(conn, by)
    ids, missing = match_records(conn, wanted)
    ids += [r for r in record_ids if r not in ids]
    try:
        with conn:
            changed = (priority.unmark_seed(conn, ids, lead) if remove
                       else priority.mark_seed(conn, ids, lead, note))
    except ScreeningError as error:
        raise click.ClickException(str(error))
    result = {"records": ids, "changed": changed, "not_found": missing,
              "not_understood": unknown}
    if as_json:
        click.echo(json.dumps(result))
        return
    verb = "Unmarked" if remove else "Marked"
    click.echo(f"{verb} {changed} record(s) as known relevant"
               f" ({len(ids) - changed} already {'unmarked' if remove else 'marked'}).")
    for item in missing:
        click.echo(f"Not found in {db.name}: {item}", err=True)
    for line in unknown:
        click.echo(f"Not a DOI or PMID: {line!r}", err=True)


@click.command()
@db_argument
@config_option
@json_option
def stopping(db, config_path, as_json):
    """Print the stopping estimate of DB's title/abstract screening.

    Callaghan & Müller-Hansen (2020): the includes found, the records
    screened since the last include, and at the protocol's confidence the
    most includes still unscreened and the recall that supports. A signal
    for the lead, never an automatic stop (README "Stopping signal").

    \b
    Example:
        mscdm stopping review.db --json
    """
    database = open_database(db)
    protocol = protocol_of(database.conn, db, config_path)
    estimate = priority.estimate(database.conn, protocol)
    if estimate is None:
        raise click.ClickException(f"{db}: no record is screened at title/abstract yet")
    if as_json:
        click.echo(json.dumps(estimate.as_dict()))
        return
    e = estimate
    click.echo(f"{e.screened:,} of {e.records:,} records screened, {e.includes_found:,} "
               f"included, {e.screened_since_last_include:,} screened since the last include.")
    click.echo(f"At {e.confidence:.0%} confidence at most {e.max_includes_remaining:,} includes "
               f"remain unscreened: recall at least {e.recall_lower_bound:.1%}.")
    met = "met" if e.criterion_met else "not met"
    click.echo(f"Recall target {e.recall_target:.0%}: {met} (p = {e.p_value:.4f}).")
