"""Cold start: an order before the model has an include to learn from.

Until the first include (or seed include) there is nothing to train on, so
records are ranked by TF-IDF cosine similarity to a query made of the
protocol's eligibility criteria and the include-highlight terms (minus the
exclude-highlight terms, at half weight). Highlight terms match at the start
of words ("exosome" also marks "exosomes"), so each term is expanded to the
vocabulary entries it begins: the term "stem cell" becomes the features
"stem cell" and "stem cells".
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .features import FeatureStore, TextSettings

EXCLUDE_TERM_WEIGHT = 0.5


def _sorted_vocabulary(vectoriser: TfidfVectorizer) -> list[str]:
    # Sorted once per vectoriser, so each term finds the entries it begins
    # by bisection instead of a scan of a vocabulary of millions.
    cached = getattr(vectoriser, "_mscdm_sorted_vocabulary", None)
    if cached is None:
        cached = sorted(vectoriser.vocabulary_)
        vectoriser._mscdm_sorted_vocabulary = cached
    return cached


def _term_vector(vectoriser: TfidfVectorizer, terms: Sequence[str]) -> sp.csr_matrix:
    """One row: every vocabulary entry a term begins, with its IDF weight."""
    vocabulary = vectoriser.vocabulary_
    entries = _sorted_vocabulary(vectoriser)
    analyse = vectoriser.build_analyzer()
    idf = np.asarray(vectoriser.idf_)
    columns: dict[int, float] = {}
    for term in terms:
        words = [w for w in analyse(term) if " " not in w]  # the term's unigrams, in order
        if not words:
            continue
        # The vocabulary holds 1- and 2-word entries: a longer term counts by its bigrams.
        phrases = [" ".join(words[i:i + 2]) for i in range(max(len(words) - 1, 1))]
        for phrase in phrases:
            words_in_phrase = phrase.count(" ")
            at = bisect.bisect_left(entries, phrase)
            while at < len(entries) and entries[at].startswith(phrase):
                entry = entries[at]
                if entry.count(" ") == words_in_phrase:
                    column = vocabulary[entry]
                    columns[column] = max(columns.get(column, 0.0), float(idf[column]))
                at += 1
    if not columns:
        return sp.csr_matrix((1, len(vocabulary)), dtype=np.float32)
    keys = np.fromiter(columns, dtype=np.int64)
    values = np.array([columns[k] for k in keys], dtype=np.float32)
    return sp.csr_matrix((values, (np.zeros(len(keys), dtype=np.int64), keys)),
                         shape=(1, len(vocabulary)))


def query_vector(vectoriser: TfidfVectorizer, criteria: str | None,
                 include_terms: Sequence[str] = (),
                 exclude_terms: Sequence[str] = (), includes=None) -> sp.csr_matrix:
    """The cold-start query in the vectoriser's space (L2-normalised parts:
    the criteria, the include terms and the known includes' rows weigh alike)."""
    parts = []
    if includes is not None and includes.shape[0]:
        parts.append(normalize(sp.csr_matrix(includes.sum(axis=0))))
    if criteria and criteria.strip():
        parts.append(normalize(vectoriser.transform([criteria])))
    if include_terms:
        parts.append(normalize(_term_vector(vectoriser, include_terms)))
    if exclude_terms:
        parts.append(-EXCLUDE_TERM_WEIGHT * normalize(_term_vector(vectoriser, exclude_terms)))
    if not parts:
        return sp.csr_matrix((1, len(vectoriser.vocabulary_)), dtype=np.float32)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return sp.csr_matrix(total, dtype=np.float32)


def cold_start_scores(texts: Sequence[str], criteria: str | None,
                      include_terms: Sequence[str] = (),
                      exclude_terms: Sequence[str] = ()) -> np.ndarray:
    """Similarity of each text to the criteria and highlight terms (pure:
    vectorises the texts itself). All zero when there is no query."""
    store = FeatureStore.build(np.arange(len(texts)), list(texts), TextSettings())
    return store_cold_start_scores(store, criteria, include_terms, exclude_terms)


def store_cold_start_scores(store: FeatureStore, criteria: str | None,
                            include_terms: Sequence[str] = (),
                            exclude_terms: Sequence[str] = (), include_rows=None) -> np.ndarray:
    """The same on a feature store the server already keeps (rows of
    store.ids); `include_rows` are store rows of known includes (seed
    includes before any exclusion) that join the query."""
    includes = store.matrix[include_rows] if include_rows is not None else None
    query = query_vector(store.vectoriser, criteria, include_terms, exclude_terms, includes)
    return np.asarray((store.matrix @ query.T).todense()).ravel()
