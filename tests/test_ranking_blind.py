"""Blind-safe prioritisation, as an invariance: two reviews that differ only
in one reviewer's vote on a record still open offer the other reviewer the
same next record (and the same whole order), through the real pipeline:
votes -> status rules -> training labels -> rerank -> frozen offer order."""

import numpy as np
import pytest

from datasette_mscdm.ranking.blind import (RecordOutcome, next_for, offer_order,
                                           training_labels)
from datasette_mscdm.ranking.features import FeatureStore, record_text
from datasette_mscdm.ranking.labelled import read_labelled
from datasette_mscdm.ranking.live import rerank
from datasette_mscdm.screening import rules

from conftest import CORPUS

REQUIRED = 2  # two reviewers per record, blind


@pytest.fixture(scope="module")
def corpus():
    labelled = read_labelled(CORPUS / "screening" / "synergy" / "Donners_2021.csv")
    texts = [record_text(t, a) for t, a in zip(labelled.titles, labelled.abstracts)]
    ids = np.arange(1, len(texts) + 1)
    store = FeatureStore.build(ids, texts)
    truth = {int(i): int(label) for i, label in zip(ids, labelled.labels)}
    return store, truth


class Review:
    """Votes as the decisions table would hold them, replayed in order; the
    order is reranked after every vote and each record's rank frozen at its
    first vote."""

    def __init__(self, store, labels_rule):
        self.store = store
        self.labels_rule = labels_rule
        self.rows: dict[int, list[dict]] = {}
        self.frozen: dict[int, int] = {}
        self.next_id = 1
        self.order = list(store.ids)

    def status(self, record):
        return rules.stage_status(self.rows.get(record, []), REQUIRED)[0]

    def vote(self, record, reviewer, decision):
        if record not in self.frozen:
            self.frozen[record] = self.order.index(record)
        self.rows.setdefault(record, []).append(
            {"id": self.next_id, "reviewer": reviewer, "decision": decision, "reason": None,
             "kind": "screen", "undoes": None})
        self.next_id += 1
        self.rerank()

    def rerank(self):
        ids, labels, weights = self.labels_rule(self)
        result = rerank(self.store, ids, labels, weights, seed=1)
        ranking = list(result.order) if result is not None else list(self.store.ids)
        self.order = offer_order(ranking, self.frozen)

    def next_for(self, reviewer):
        needs = [r for r in self.store.ids
                 if self.status(r) in rules.OPEN
                 and reviewer not in rules.votes(self.rows.get(r, []))]
        return next_for(self.order, needs)


def settled_labels(review):
    """The live rule: statuses only (what everyone may see)."""
    outcomes = [RecordOutcome(int(r), review.status(r)) for r in review.rows]
    return training_labels(outcomes)


def leaky_labels(review):
    """A rule that learns from votes on open records: what the live rule must not do."""
    ids, labels = [], []
    for record, rows in review.rows.items():
        current = rules.votes(rows)
        decisions = {row["decision"] for row in current.values()}
        if decisions in ({"include"}, {"exclude"}):
            ids.append(int(record))
            labels.append(1 if decisions == {"include"} else 0)
    return ids, labels, None


def play(store, truth, labels_rule, open_vote=None):
    """alice and bob settle 30 records (voting the truth), then alice alone
    votes on 6 more, one of which (`open_vote` = (record, decision)) varies."""
    review = Review(store, labels_rule)
    for _ in range(15):
        record = review.next_for("alice")
        review.vote(record, "alice", "include" if truth[record] else "exclude")
        review.vote(record, "bob", "include" if truth[record] else "exclude")
    alone = []
    for _ in range(6):
        record = review.next_for("alice")
        decision = "include" if truth[record] else "exclude"
        if open_vote and open_vote[0] == len(alone):
            decision = open_vote[1]
        review.vote(record, "alice", decision)
        alone.append(record)
    return review, alone


def test_one_open_vote_never_changes_what_the_other_reviewer_is_offered(corpus):
    store, truth = corpus
    base, alone = play(store, truth, settled_labels)
    assert any(truth[r] for r in base.rows) and base.next_for("bob") is not None
    for position in range(len(alone)):
        for decision in ("include", "exclude", "maybe"):
            other, other_alone = play(store, truth, settled_labels, (position, decision))
            assert other_alone == alone
            assert other.next_for("bob") == base.next_for("bob")
            assert other.next_for("carol") == base.next_for("carol")
            assert other.order == base.order


def test_the_invariance_test_catches_a_leaky_rule(corpus):
    # Negative control: learning from open votes moves bob's queue.
    store, truth = corpus
    base, alone = play(store, truth, leaky_labels)
    differs = False
    for position in range(len(alone)):
        for decision in ("include", "exclude"):
            other, _ = play(store, truth, leaky_labels, (position, decision))
            differs |= other.order != base.order
    assert differs


def test_a_record_keeps_its_rank_from_its_first_vote():
    ranking = [5, 4, 3, 2, 1]
    assert offer_order(ranking, {}) == ranking
    assert offer_order(ranking, {1: 0, 3: 3}) == [1, 5, 4, 3, 2]
    assert offer_order([1, 2, 3, 4, 5], {1: 0, 3: 3}) == [1, 2, 4, 3, 5]
    # Two frozen at one rank: by rank, then id; ranks past the end go last.
    assert offer_order(ranking, {2: 0, 1: 0}) == [1, 2, 5, 4, 3]
    assert offer_order(ranking, {1: 99, 7: 0}) == [5, 4, 3, 2, 1]
    order = offer_order(list(range(100)), {50: 3, 7: 90})
    assert order.index(50) == 3 and order.index(7) == 90 and sorted(order) == list(range(100))


def test_training_labels_use_settled_statuses_only():
    outcomes = [RecordOutcome(1, "included"), RecordOutcome(2, "excluded"),
                RecordOutcome(3, "awaiting second reviewer"), RecordOutcome(4, "conflict"),
                RecordOutcome(5, "maybe"), RecordOutcome(6, "unscreened", seed_include=True),
                RecordOutcome(7, "included", "excluded"), RecordOutcome(8, "included", "included")]
    assert training_labels(outcomes) == ([1, 2, 6, 7, 8], [1, 0, 1, 0, 1],
                                         [1.0, 1.0, 1.0, 1.0, 1.0])
    ids, labels, weights = training_labels(outcomes, ft_excluded_weight=0.3)
    assert labels[ids.index(7)] == 1 and weights[ids.index(7)] == 0.3
