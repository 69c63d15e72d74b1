"""Cold start: ranking by the criteria and highlight terms before the first include."""

import numpy as np
import pytest

from datasette_mscdm.ranking.coldstart import cold_start_scores
from datasette_mscdm.ranking.features import FeatureStore, record_text
from datasette_mscdm.ranking.labelled import read_labelled
from datasette_mscdm.ranking.live import rerank

from conftest import CORPUS, REPO

TEXTS = [
    "Exosomes from mesenchymal stem cells heal diabetic wounds in mice",
    "Tumour growth after chemotherapy in a cohort of cancer patients",
    "Stem cells for cartilage repair in knee osteoarthritis",
    "A survey of software engineering practice",
    "Extracellular vesicle therapy improves insulin secretion of islets",
    "Opera audiences in the nineteenth century",
]


def test_terms_match_at_the_start_of_words():
    # "exosome" marks "Exosomes" as the highlighter does; "vesicle" a bigram's first word.
    scores = cold_start_scores(TEXTS, None, ["exosome", "extracellular vesicle"])
    assert scores[0] > 0 and scores[4] > 0
    assert scores[1] == scores[3] == scores[5] == 0


def test_criteria_and_terms_rank_the_relevant_first_and_exclude_terms_push_down():
    criteria = "Mesenchymal stem cell exosomes or extracellular vesicles in diabetes"
    scores = cold_start_scores(TEXTS, criteria, ["exosome", "islet", "insulin"])
    top_two = set(np.argsort(-scores)[:2])
    assert top_two == {0, 4}
    without = cold_start_scores(TEXTS, criteria)
    with_exclude = cold_start_scores(TEXTS, criteria, exclude_terms=["cartilage", "osteoarthritis"])
    assert with_exclude[2] < without[2]
    assert with_exclude[0] == pytest.approx(without[0])


def test_no_query_no_order():
    assert not cold_start_scores(TEXTS, None).any()
    assert not cold_start_scores(TEXTS, "   ", []).any()
    store = FeatureStore.build(np.arange(len(TEXTS)), TEXTS)
    assert rerank(store, [], []) is None
    assert rerank(store, [3], [0]) is None  # an exclude alone teaches nothing


def test_rerank_uses_cold_start_until_an_include_and_the_model_after():
    store = FeatureStore.build(np.arange(10, 10 + len(TEXTS)), TEXTS)
    first = rerank(store, [13], [0], criteria="exosomes for diabetic wound healing")
    assert first.mode == "cold start" and first.order[0] == 10
    seeds_only = rerank(store, [14], [1])  # a seed include, nothing excluded yet
    assert seeds_only.mode == "cold start" and seeds_only.order[0] == 14
    learned = rerank(store, [10, 13], [1, 0])
    assert learned.mode == "model" and learned.labels_used == 2
    assert sorted(learned.order.tolist()) == list(range(10, 16))


def test_on_a_real_review_the_criteria_beat_random_order():
    labelled = read_labelled(CORPUS / "screening" / "synergy" / "Meijboom_2021.csv")
    texts = [record_text(t, a) for t, a in zip(labelled.titles, labelled.abstracts)]
    criteria = (REPO / "scripts" / "criteria" / "Meijboom_2021.txt").read_text(encoding="utf-8")
    scores = cold_start_scores(texts, criteria, ["biosimilar", "switch"])
    top = np.argsort(-scores, kind="stable")[: len(texts) // 10]
    recall_at_10 = labelled.labels[top].sum() / labelled.includes
    assert recall_at_10 > 0.2  # twice what random order finds in expectation (0.1)


def test_rerank_skips_labels_of_records_not_in_the_store_and_records_what_it_did():
    store = FeatureStore.build(np.arange(10, 10 + len(TEXTS)), TEXTS)
    result = rerank(store, [10, 13, 999], [1, 0, 1], weights=[1.0, 1.0, 1.0], seed=4)
    assert result.labels_used == 2 and result.includes_used == 1
    record = result.record()
    assert record["mode"] == "model" and record["seed"] == 4
    assert record["settings"]["criteria_weight"] == 1.0
    assert record["settings"]["model"]["C"] == 0.11
