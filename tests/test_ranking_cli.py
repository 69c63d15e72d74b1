"""`mscdm simulate` on labelled CSV, RIS and review databases, run as the
real CLI; its figures are checked against the order it writes."""

import csv
import json
import math

import pytest
from click.testing import CliRunner

from datasette_mscdm.cli import cli
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

from conftest import CORPUS

TOPIC = ["exosome therapy heals diabetic wounds in mice",
         "mesenchymal stem cell exosomes improve diabetic wound healing",
         "extracellular vesicles from stem cells accelerate wound closure in diabetes",
         "exosomes derived from adipose stem cells promote diabetic wound repair"]
OTHER = ["software testing of web applications", "a survey of code smells",
         "tax policy and economic growth", "river sediment transport models",
         "medieval trade routes in the Baltic", "deep learning for traffic prediction",
         "soil nitrogen in wheat fields", "opera audiences in the nineteenth century"]


def metrics_from_order(labels):
    """Issue 14's definitions, written again independently of the package."""
    n, r = len(labels), sum(labels)
    found = [sum(labels[:i + 1]) for i in range(n)]
    out = {"N": n, "R": r}
    for p in (10, 25, 50):
        out[f"recall@{p}%"] = found[math.ceil(p * n / 100) - 1] / r
    n95 = next(i + 1 for i, f in enumerate(found) if f >= math.ceil(0.95 * r - 1e-9))
    n100 = next(i + 1 for i, f in enumerate(found) if f >= r)
    out["n@95"] = n95
    out["WSS@95"] = (n - n95) / n - 0.05
    out["WSS@100"] = (n - n100) / n
    return out


def write_csv(path, rows, header=("title", "abstract", "label_included")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def labelled_csv(tmp_path):
    rows = [(t, t + " in a controlled study", 1) for t in TOPIC]
    rows += [(t, t + " reviewed", 0) for t in OTHER]
    rows.insert(5, ("an unlabelled record", "no decision yet", ""))
    return write_csv(tmp_path / "labelled.csv", rows)


def run(*args):
    result = CliRunner().invoke(cli, ["simulate", *map(str, args)])
    return result


def test_figures_match_the_order_written(labelled_csv, tmp_path):
    order_file = tmp_path / "order.csv"
    result = run(labelled_csv, "--seed", 3, "--json", "--order-out", order_file)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["unlabelled"] == 1
    with open(order_file, newline="", encoding="utf-8") as f:
        order = list(csv.DictReader(f))
    assert [int(r["rank"]) for r in order] == list(range(1, 13))
    rows = [int(r["row"]) for r in order]
    assert sorted(rows) == [0, 1, 2, 3, 4] + list(range(6, 13))  # row 5 is unlabelled
    with open(labelled_csv, newline="", encoding="utf-8") as f:
        truth = [r["label_included"] for r in csv.DictReader(f)]
    assert all(int(truth[int(r["row"])]) == int(r["label"]) for r in order)
    labels = [int(r["label"]) for r in order]
    assert labels[:2] == [1, 0]  # the priors
    expected = metrics_from_order(labels)
    for key, value in expected.items():
        assert figures["metrics"][key] == pytest.approx(value), key
    # Text output carries the same figures.
    text = run(labelled_csv, "--seed", 3).output
    assert f"WSS@95{figures['metrics']['WSS@95']:>14.3f}" in text
    assert "n@95" in text and "recall@50%" in text


def test_the_topic_is_learned(labelled_csv):
    # After one include, the model finds the other three before the unrelated records.
    for seed in (1, 2, 3):
        metrics = json.loads(run(labelled_csv, "--seed", seed, "--json").output)["metrics"]
        assert metrics["n@100"] <= 6


def test_same_seed_same_order_and_the_baseline_ranker(labelled_csv, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run(labelled_csv, "--seed", 5, "--order-out", a)
    run(labelled_csv, "--seed", 5, "--order-out", b)
    assert a.read_text() == b.read_text()
    result = run(labelled_csv, "--ranker", "elas_u4", "--json", "--prior-included", 2,
                 "--prior-excluded", 2)
    figures = json.loads(result.output)
    assert figures["ranker"] == "elas_u4" and figures["prior_included"] == 2


def test_ris_with_asreview_labels(tmp_path):
    parts = []
    for i, title in enumerate(TOPIC + OTHER):
        note = "ASReview_relevant" if i < len(TOPIC) else "ASReview_irrelevant"
        parts.append(f"TY  - JOUR\nTI  - {title}\nAB  - {title} abstract\nN1  - {note}\nER  - \n")
    parts.append("TY  - JOUR\nTI  - not seen\nN1  - ASReview_not_seen\nER  - \n")
    parts.append("TY  - JOUR\nTI  - keyword labelled\nKW  - included\nER  - \n")
    path = tmp_path / "labelled.ris"
    path.write_text("\n".join(parts), encoding="utf-8")
    order_file = tmp_path / "order.csv"
    result = run(path, "--json", "--order-out", order_file)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["metrics"]["N"] == 13 and figures["metrics"]["R"] == 5
    assert figures["unlabelled"] == 1
    with open(order_file, newline="", encoding="utf-8") as f:
        rows = {int(r["row"]): int(r["label"]) for r in csv.DictReader(f)}
    assert rows[13] == 1 and 12 not in rows and rows[0] == 1 and rows[4] == 0


def test_a_shared_labelled_set():
    path = CORPUS / "screening" / "synergy" / "Donners_2021.csv"
    figures = json.loads(run(path, "--json").output)["metrics"]
    assert (figures["N"], figures["R"]) == (258, 15)
    assert figures["WSS@95"] > 0.3  # far better than screening in random order (0.0)


def test_review_database(tmp_path, fresh_db):
    ris = tmp_path / "records.ris"
    ris.write_text("\n".join(
        f"TY  - JOUR\nTI  - {t}\nAB  - {t} abstract\nDO  - 10.1000/r{i}\nER  - \n"
        for i, t in enumerate(TOPIC + OTHER + ["still unscreened record"])), encoding="utf-8")
    assert CliRunner().invoke(cli, ["load", str(fresh_db), str(ris)]).exit_code == 0
    conn = store.connect(fresh_db)
    store.add_reviewer(conn, "lena", "lead", "lena-password-1")
    reviewer = store.active_reviewer(conn, "lena")
    protocol = parse_protocol({"title_abstract": {"reviewers": 1}, "full_text": False})
    store.save_protocol(conn, protocol, "lena")
    ids = {title: rid for rid, title in conn.execute("select id, title from records")}
    for title in TOPIC + OTHER:
        store.record_decision(conn, protocol, reviewer, ids[title], "title_abstract",
                              "include" if title in TOPIC else "exclude")
    conn.commit()
    conn.close()
    order_file = tmp_path / "order.csv"
    result = run(fresh_db, "--json", "--order-out", order_file)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["metrics"]["N"], figures["metrics"]["R"]) == (12, 4)
    with open(order_file, newline="", encoding="utf-8") as f:
        order = list(csv.DictReader(f))
    assert {int(r["record_id"]) for r in order} == {ids[t] for t in TOPIC + OTHER}
    for r in order:
        title = next(t for t, i in ids.items() if i == int(r["record_id"]))
        assert int(r["label"]) == (title in TOPIC)


def test_clear_errors(tmp_path):
    no_label = write_csv(tmp_path / "nolabel.csv", [("a", "b")], header=("title", "abstract"))
    result = run(no_label)
    assert result.exit_code == 1
    assert "nolabel.csv" in result.output and "label column" in result.output
    one_class = write_csv(tmp_path / "oneclass.csv", [("a", "b", 1), ("c", "d", 1)])
    result = run(one_class)
    assert result.exit_code == 1 and "at least one included and one excluded" in result.output
    few = write_csv(tmp_path / "few.csv", [("a", "b", 1), ("c", "d", 0), ("e", "f", 0)])
    result = run(few, "--prior-included", 2)
    assert result.exit_code == 1 and "priors" in result.output
    medline = tmp_path / "export.nbib"
    medline.write_text("PMID- 1\nTI  - a title\n", encoding="utf-8")
    result = run(medline)
    assert result.exit_code == 1 and "carries no labels" in result.output
    custom = write_csv(tmp_path / "custom.csv", [("a x", "b", "yes"), ("c y", "d", "no")],
                       header=("title", "abstract", "Screening decision"))
    assert run(custom, "--label-column", "Screening decision").exit_code == 0
    assert run(custom, "--label-column", "missing").exit_code == 1


def test_two_stage_labels_and_criteria(tmp_path):
    rows = [(t, t, 1, 1) for t in TOPIC[:2]]
    rows += [(t, t, 0, 1) for t in TOPIC[2:]]          # included at title/abstract only
    rows += [(t, t, 0, 0) for t in OTHER]
    path = write_csv(tmp_path / "two_stage.csv", rows,
                     header=("title", "abstract", "label_included", "label_abstract_screening"))
    used = json.loads(run(path, "--json").output)
    assert used["two_stage_labels"] is True and used["settings"]["ft_excluded_weight"] == 0.5
    assert (used["metrics"]["N"], used["metrics"]["R"]) == (12, 2)
    ignored = json.loads(run(path, "--json", "--no-two-stage").output)
    assert ignored["two_stage_labels"] is False
    criteria = tmp_path / "criteria.txt"
    criteria.write_text("Exosomes for diabetic wound healing", encoding="utf-8")
    result = run(path, "--criteria", criteria)
    assert result.exit_code == 0 and "with criteria and two-stage labels" in result.output


def test_two_stage_near_misses_pull_their_neighbours_up():
    import numpy as np

    from datasette_mscdm.ranking.labelled import LabelledSet
    from datasette_mscdm.ranking.live import RankerSettings
    from datasette_mscdm.ranking.simulate import live_scorer

    texts = TOPIC + OTHER
    labels = np.array([1, 0, 0, 0] + [0] * len(OTHER), dtype=np.int8)
    ta = np.array([1, 1, 0, 0] + [0] * len(OTHER), dtype=np.int8)  # record 1: a near miss
    labelled = LabelledSet("t", list(range(len(texts))), texts, texts, [[]] * len(texts),
                           labels, ta)
    identity = np.arange(len(texts))
    rows = np.array([0, 1, 4, 5])
    with_two_stage = live_scorer(labelled)(identity, 1)(rows, labels[rows])
    without = live_scorer(labelled, settings=RankerSettings(ft_excluded_weight=None))(
        identity, 1)(rows, labels[rows])
    # Records 2 and 3 (same topic) gain on the unrelated ones when the near miss counts.
    gain = with_two_stage - without
    assert gain[[2, 3]].mean() > gain[6:].mean()
