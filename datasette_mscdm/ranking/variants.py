"""Every ranker variant measured in the simulation (scripts/bench_rank.py
--variant NAME), so each figure in the README can be reproduced.

A variant turns a labelled set (plus optional criteria text) into
`make_scorer(permutation, seed) -> score(rows, labels)` for simulate().
Rows and labels are in shuffled order; `permutation` maps them back to the
set, so a variant can read what a team tool would know about a screened
record (its title/abstract label beside the final one, its tags).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from . import model
from .features import FeatureStore, TextSettings, record_text
from .labelled import LabelledSet
from .simulate import elas_scorer, live_scorer


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    build: Callable  # (LabelledSet, criteria: str | None) -> make_scorer
    random_share: float = 0.0  # offered at random instead of the top-ranked record


def _store(ls: LabelledSet, settings: TextSettings = TextSettings(), keywords=True):
    texts = [record_text(t, a, k if keywords else None)
             for t, a, k in zip(ls.titles, ls.abstracts, ls.keywords)]
    return FeatureStore.build(np.arange(len(texts)), texts, settings)


def _elas(ls, criteria):
    return elas_scorer(ls)


def _team(criteria_weight: float = 1.0, ft_excluded_weight: float | None = None,
          settings: model.ModelSettings = model.ModelSettings()):
    """The live ranker with the team signals a set carries: the criteria text
    as one more include of weight `criteria_weight`; for two-stage sets, a
    record included at title/abstract and excluded at full text counted as an
    include of weight `ft_excluded_weight` (None: an exclude, as its final
    label says)."""
    def build(ls, criteria):
        store = _store(ls)
        X = store.matrix
        extra = None
        if criteria and criteria_weight > 0:
            extra = (store.vectoriser.transform([criteria]).astype(np.float32), [1],
                     [criteria_weight])
        ta = ls.ta_labels if ft_excluded_weight is not None else None

        def make(permutation, seed):
            Xp = X[permutation]
            ta_shuffled = ta[permutation] if ta is not None else None

            def score(rows, labels):
                weights = None
                if ta_shuffled is not None:
                    near_miss = (labels == 0) & (ta_shuffled[rows] == 1)
                    if near_miss.any():
                        labels = np.where(near_miss, 1, labels)
                        weights = np.where(near_miss, ft_excluded_weight, 1.0)
                return model.fit_scores(Xp, rows, labels, weights, extra, settings, seed)
            return score
        return make
    return build


def _live():
    """The live ranker exactly as the server and `mscdm simulate` run it."""
    def build(ls, criteria):
        return live_scorer(ls, criteria)
    return build


def _pseudo_negatives(count: int, weight: float):
    """ELAS u4 plus `count` random unscreened records as excludes of weight
    `weight` (Cormack & Grossman's BMI trick)."""
    def build(ls, criteria):
        X = _store(ls, keywords=False).matrix

        def make(permutation, seed):
            Xp = X[permutation]
            rng = np.random.default_rng(10_000 + seed)

            def score(rows, labels):
                unscreened = np.setdiff1d(np.arange(Xp.shape[0]), rows)
                sample = rng.choice(unscreened, min(count, len(unscreened)), replace=False)
                all_rows = np.concatenate([rows, sample])
                all_labels = np.concatenate([labels, np.zeros(len(sample), np.int8)])
                weights = np.concatenate([np.ones(len(rows)), np.full(len(sample), weight)])
                return model.fit_scores(Xp, all_rows, all_labels, weights, None,
                                        model.ModelSettings(max_train=10**9), seed)
            return score
        return make
    return build


def _tags(weight: float = 1.0):
    """ELAS u4 features plus the project's vocabulary tags (default
    vocabulary) as one column per tag, scaled by `weight`."""
    def build(ls, criteria):
        from ..tagging import load_vocabulary
        vocabulary = load_vocabulary()
        names: dict[str, int] = {}
        rows, cols = [], []
        for i, (t, a, k) in enumerate(zip(ls.titles, ls.abstracts, ls.keywords)):
            tags = vocabulary.tag({"title": t, "abstract": a, "keywords": "; ".join(k)})
            for group, terms in tags.items():
                for term in terms:
                    rows.append(i)
                    cols.append(names.setdefault(f"{group}:{term}", len(names)))
        T = sp.csr_matrix((np.full(len(rows), weight, np.float32), (rows, cols)),
                          shape=(len(ls), max(len(names), 1)))
        X = sp.hstack([_store(ls, keywords=False).matrix, T], format="csr")

        def make(permutation, seed):
            Xp = X[permutation]
            return lambda r, y: model.elas_u4_scores(Xp, r, y, seed)
        return make
    return build


def _lsa(components: int = 200, weight: float = 1.0):
    """ELAS u4 on TF-IDF stacked with a latent semantic (truncated SVD)
    projection of it, for synonyms and co-occurring words (no model download)."""
    def build(ls, criteria):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.preprocessing import normalize
        X = _store(ls, keywords=False).matrix
        k = min(components, X.shape[0] - 1, X.shape[1] - 1)
        dense = normalize(TruncatedSVD(k, random_state=0).fit_transform(X)) * weight
        stacked = sp.hstack([X, sp.csr_matrix(dense.astype(np.float32))], format="csr")

        def make(permutation, seed):
            Xp = stacked[permutation]
            return lambda r, y: model.elas_u4_scores(Xp, r, y, seed)
        return make
    return build


def _fusion():
    """Mean rank of ELAS u4 and ELAS u3 (ASReview's naive Bayes model:
    MultinomialNB alpha 3.822, balanced ratio 1.2, TF-IDF with English stop words)."""
    def build(ls, criteria):
        from scipy.stats import rankdata
        from sklearn.naive_bayes import MultinomialNB
        X = _store(ls, keywords=False).matrix
        texts = [record_text(t, a) for t, a in zip(ls.titles, ls.abstracts)]
        from sklearn.feature_extraction.text import TfidfVectorizer
        X3 = TfidfVectorizer(stop_words="english").fit_transform(texts)

        def make(permutation, seed):
            Xp, X3p = X[permutation], X3[permutation]

            def score(rows, labels):
                svm = model.elas_u4_scores(Xp, rows, labels, seed)
                nb = MultinomialNB(alpha=3.822)
                nb.fit(X3p[rows], labels, sample_weight=model.balanced_weights(labels, 1.2))
                return rankdata(svm) + rankdata(nb.predict_proba(X3p)[:, 1])
            return score
        return make
    return build


def _nearest_include(weight: float = 1.0):
    """ELAS u4's decision value plus `weight` times the cosine similarity to
    the nearest include found (each z-scored): for includes unlike the rest."""
    def build(ls, criteria):
        X = _store(ls, keywords=False).matrix

        def make(permutation, seed):
            Xp = X[permutation]

            def score(rows, labels):
                svm = model.elas_u4_scores(Xp, rows, labels, seed)
                nearest = (Xp @ Xp[rows[labels == 1]].T).max(axis=1).toarray().ravel()
                z = lambda v: (v - v.mean()) / (v.std() + 1e-12)  # noqa: E731
                return z(svm) + weight * z(nearest)
            return score
        return make
    return build


VARIANTS = {v.name: v for v in [
    Variant("elas_u4", "ASReview ELAS u4 re-implemented (the baseline)", _elas),
    Variant("criteria_1", "ELAS u4 + the criteria text as one more include (weight 1)",
            _team(1.0)),
    Variant("criteria_0.5", "ELAS u4 + the criteria text as an include of weight 0.5",
            _team(0.5)),
    Variant("criteria_3", "ELAS u4 + the criteria text as an include of weight 3", _team(3.0)),
    Variant("two_stage_0.3", "title/abstract includes excluded at full text as includes of "
            "weight 0.3", _team(0.0, 0.3)),
    Variant("two_stage_1", "title/abstract includes excluded at full text as full includes",
            _team(0.0, 1.0)),
    Variant("pseudo_neg_100", "ELAS u4 + 100 random unscreened records as excludes",
            _pseudo_negatives(100, 1.0)),
    Variant("tags", "ELAS u4 + the default vocabulary's tags as features", _tags(1.0)),
    Variant("tags_0.1", "ELAS u4 + the default vocabulary's tags as features of value 0.1",
            _tags(0.1)),
    Variant("two_stage_0.5", "title/abstract includes excluded at full text as includes of "
            "weight 0.5", _team(0.0, 0.5)),
    Variant("lsa_200", "ELAS u4 on TF-IDF stacked with a 200-dimension LSA projection",
            _lsa(200, 1.0)),
    Variant("live", "the live ranker: ELAS u4 + the criteria text as an include + "
            "title/abstract includes excluded at full text as includes of weight 0.5",
            _live()),
    Variant("live_random_5", "the live ranker offering a random record 5% of the time",
            _live(), random_share=0.05),
    Variant("nearest_include", "ELAS u4 + similarity to the nearest include (z-scores summed)",
            _nearest_include(1.0)),
    Variant("fusion_u3_u4", "mean rank of ELAS u4 (SVM) and ELAS u3 (naive Bayes)", _fusion()),
]}
