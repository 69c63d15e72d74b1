"""`mscdm simulate`: prioritised screening replayed on a labelled set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click



@click.command()
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**31 - 1),
              help="Shuffles the records and picks the priors.")
@click.option("--prior-included", default=1, show_default=True, type=click.IntRange(1),
              help="Includes revealed first (screening positions 1..n).")
@click.option("--prior-excluded", default=1, show_default=True, type=click.IntRange(1),
              help="Excludes revealed next.")
@click.option("--criteria", "criteria_file", type=click.Path(exists=True, dir_okay=False),
              help="Text file with the review's eligibility criteria (the live ranker learns "
                   "from it as the server learns from the protocol's criteria).")
@click.option("--label-column", metavar="NAME",
              help="CSV column with the decisions (default: the first of label_included, "
                   "final_included, included, label, ...).")
@click.option("--stage", type=click.Choice(["final", "title_abstract"]), default="final",
              show_default=True,
              help="For a review database: label by the final decision or by the "
                   "title/abstract outcome.")
@click.option("--ranker", type=click.Choice(["live", "elas_u4"]), default="live",
              show_default=True,
              help="live: the server's ranker; elas_u4: ASReview's default model re-implemented, "
                   "for comparison.")
@click.option("--two-stage/--no-two-stage", default=True, show_default=True,
              help="With a title/abstract label column beside the final one (e.g. "
                   "label_abstract_screening), learn from records included at title/abstract "
                   "and excluded at full text as half includes, as the server does.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--order-out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the screening order as CSV rank,row,label (row: 0-based record in "
                   "the file; for a review database, record_id).")
def simulate_command(labelled, seed, prior_included, prior_excluded, criteria_file, label_column,
                     stage, ranker, two_stage, as_json, order_out):
    """Replay prioritised screening on LABELLED and print how early the includes came.

    LABELLED is a CSV/TSV or RIS file with a decision per record, or a
    review database (its final decisions). The protocol: shuffle the records
    with the seed; reveal --prior-included includes and --prior-excluded
    excludes first; then, over and over, train on every label so far, offer
    the top-ranked record and reveal its label. Prints N (labelled records),
    R (includes), WSS@95, WSS@100, recall@10/25/50% and n@95.

    \b
    Labels: a CSV column such as label_included (1/0, yes/no, include/exclude;
    blank = unlabelled, left out); RIS: a note (N1) or keyword reading
    ASReview_relevant / ASReview_irrelevant, or a keyword "included" /
    "excluded"; a review database: screening_status included / excluded.

    \b
    Examples:
        mscdm simulate Donners_2021.csv
        mscdm simulate Donners_2021.csv --seed 3 --criteria criteria.txt --json
        mscdm simulate export.ris --order-out order.csv
        mscdm simulate review.db --stage title_abstract
    """
    # Imported here: scikit-learn and SciPy take a second to import, which
    # every other mscdm command would pay (the CLI imports all commands).
    from .ranking.labelled import LabelledError, read_labelled
    from .ranking.live import RankerSettings
    from .ranking.metrics import RECALL_AT
    from .ranking.simulate import simulate_elas, simulate_live

    try:
        labelled_set = read_labelled(labelled, label_column=label_column, stage=stage)
    except LabelledError as error:
        raise click.ClickException(str(error))
    excluded = len(labelled_set) - labelled_set.includes
    if labelled_set.includes < prior_included or excluded < prior_excluded:
        raise click.ClickException(
            f"{labelled}: {labelled_set.includes} included and {excluded} excluded records; "
            f"cannot take {prior_included} and {prior_excluded} as priors")
    criteria = Path(criteria_file).read_text(encoding="utf-8") if criteria_file else None
    settings = RankerSettings() if two_stage else RankerSettings(ft_excluded_weight=None)
    if ranker == "live":
        result = simulate_live(labelled_set, seed, criteria, settings, prior_included,
                               prior_excluded)
        described = {"ranker": "live", "settings": settings.as_dict(),
                     "criteria": bool(criteria),
                     "two_stage_labels": two_stage and labelled_set.ta_labels is not None}
    else:
        result = simulate_elas(labelled_set, seed, prior_included, prior_excluded)
        described = {"ranker": "elas_u4"}
    metrics = result.metrics
    if order_out:
        with open(order_out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["rank", labelled_set.row_name, "label"])
            for rank, (position, label) in enumerate(zip(result.order, result.labels), 1):
                writer.writerow([rank, labelled_set.rows[position], int(label)])
    if as_json:
        click.echo(json.dumps({
            "file": str(labelled), "seed": seed, "prior_included": prior_included,
            "prior_excluded": prior_excluded, "unlabelled": labelled_set.unlabelled,
            **described, "metrics": metrics}, indent=2))
        return
    click.echo(f"{labelled}: {metrics['N']} labelled records, {metrics['R']} included"
               + (f" ({labelled_set.unlabelled} unlabelled left out)"
                  if labelled_set.unlabelled else ""))
    extras = [name for name, used in (
        ("criteria", criteria and ranker == "live"),
        ("two-stage labels", described.get("two_stage_labels"))) if used]
    click.echo(f"seed {seed}, priors {prior_included} included + {prior_excluded} excluded, "
               f"ranker {ranker}" + (f" with {' and '.join(extras)}" if extras else ""))
    rows = [("N", str(metrics["N"])), ("R", str(metrics["R"])),
            ("WSS@95", f"{metrics['WSS@95']:.3f}"), ("WSS@100", f"{metrics['WSS@100']:.3f}")]
    rows += [(f"recall@{p}%", f"{metrics[f'recall@{p}%']:.3f}") for p in RECALL_AT]
    rows += [("n@95", str(metrics["n@95"]))]
    for name, value in rows:
        click.echo(f"{name:<12}{value:>8}")
