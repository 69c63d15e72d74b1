"""Blind-safe prioritisation, as an invariance: two reviews that differ only
in one reviewer's vote on a record still open (its value, or whether it was
cast) offer the other reviewer the same next record and the same whole
order, through the real pipeline: votes -> status rules -> training labels
-> rerank. Negative controls show the test has teeth: learning from open
votes, or freezing a record's rank at its first vote, moves the order."""

import numpy as np
import pytest

from datasette_mscdm.ranking.blind import RecordOutcome, training_labels
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


def offered_first(order, needs):
    wanted = set(needs)
    return next((record for record in order if record in wanted), None)


class Review:
    """Votes as the decisions table would hold them, replayed in order, the
    order reranked after every vote. `freeze`: keep each record at the rank
    it had at its first vote (what issue 14 suggested; a negative control)."""

    def __init__(self, store, labels_rule, freeze=False):
        self.store = store
        self.labels_rule = labels_rule
        self.freeze = freeze
        self.rows: dict[int, list[dict]] = {}
        self.frozen: dict[int, int] = {}
        self.next_id = 1
        self.order = list(store.ids)

    def status(self, record):
        return rules.stage_status(self.rows.get(record, []), REQUIRED)[0]

    def vote(self, record, reviewer, decision):
        if self.freeze and record not in self.frozen:
            self.frozen[record] = self.order.index(record)
        self.rows.setdefault(record, []).append(
            {"id": self.next_id, "reviewer": reviewer, "decision": decision, "reason": None,
             "kind": "screen", "undoes": None})
        self.next_id += 1
        self.rerank()

    def rerank(self):
        ids, labels, weights = self.labels_rule(self)
        result = rerank(self.store, ids, labels, weights, seed=1)
        ranking = [int(r) for r in (result.order if result is not None else self.store.ids)]
        if self.frozen:
            held = sorted((rank, record) for record, rank in self.frozen.items())
            ranking = [r for r in ranking if r not in self.frozen]
            for rank, record in held:
                ranking.insert(min(rank, len(ranking)), record)
        self.order = ranking

    def next_for(self, reviewer, passing=()):
        needs = [int(r) for r in self.store.ids
                 if self.status(r) in rules.OPEN and int(r) not in passing
                 and reviewer not in rules.votes(self.rows.get(r, []))]
        return offered_first(self.order, needs)


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


def play(store, truth, labels_rule, open_vote=None, freeze=False):
    """alice and bob settle 30 records (voting the truth), then alice alone
    votes on 6 more, one of which (`open_vote` = (position, decision), the
    decision None for no vote at all) varies; bob and alice go on settling
    5 more records afterwards, so the order is reranked on new labels."""
    review = Review(store, labels_rule, freeze)
    for _ in range(15):
        record = review.next_for("alice")
        review.vote(record, "alice", "include" if truth[record] else "exclude")
        review.vote(record, "bob", "include" if truth[record] else "exclude")
    alone = []
    for _ in range(6):
        # alice's next record, passing over one she left without a vote.
        record = review.next_for("alice", passing=alone)
        decision = "include" if truth[record] else "exclude"
        alone.append(record)
        if open_vote and open_vote[0] == len(alone) - 1:
            decision = open_vote[1]
        if decision is not None:
            review.vote(record, "alice", decision)
    for _ in range(5):
        record = review.next_for("carol", passing=alone)
        review.vote(record, "bob", "include" if truth[record] else "exclude")
        review.vote(record, "carol", "include" if truth[record] else "exclude")
    return review, alone


def test_one_open_vote_never_changes_what_the_other_reviewer_is_offered(corpus):
    store, truth = corpus
    base, alone = play(store, truth, settled_labels)
    assert any(truth[r] for r in base.rows) and base.next_for("bob") is not None
    for position in range(len(alone)):
        for decision in ("include", "exclude", "maybe", None):
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


def test_freezing_a_rank_at_the_first_vote_would_tell_that_someone_voted(corpus):
    # Negative control for issue 14's suggestion: with ranks frozen at the
    # first vote, a record alice voted on stays where it was, while the same
    # record unvoted moves with the reranks that follow.
    store, truth = corpus
    base, alone = play(store, truth, settled_labels, freeze=True)
    differs = False
    for position in range(len(alone)):
        other, _ = play(store, truth, settled_labels, (position, None), freeze=True)
        differs |= other.order != base.order
    assert differs


def test_training_labels_use_settled_statuses_only():
    outcomes = [RecordOutcome(1, "included"), RecordOutcome(2, "excluded"),
                RecordOutcome(3, "awaiting second reviewer"), RecordOutcome(4, "conflict"),
                RecordOutcome(5, "maybe"), RecordOutcome(6, "unscreened", seed_include=True),
                RecordOutcome(7, "included", "excluded"), RecordOutcome(8, "included", "included")]
    assert training_labels(outcomes) == ([1, 2, 6, 7, 8], [1, 0, 1, 0, 1],
                                         [1.0, 1.0, 1.0, 1.0, 1.0])
    ids, labels, weights = training_labels(outcomes, ft_excluded_weight=0.3)
    assert labels[ids.index(7)] == 1 and weights[ids.index(7)] == 0.3
