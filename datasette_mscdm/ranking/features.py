"""The feature store: every record's text vectorised once (TF-IDF), records
loaded later added without touching the rest, and the whole saved as bytes.

The server's rerank worker keeps one store per review database in memory
(screening/reranker.py): `FeatureStore.build` on the records at the first
rerank, `add` for records loaded since (transformed with the vocabulary and
IDF weights fitted then; words new to the store are ignored until a
rebuild), `needs_rebuild` when so many records came after the fit that the
weights are stale. `to_bytes`/`from_bytes` save a store for tools (a NumPy
.npz archive read with allow_pickle=False: bytes are data, never code, as a
pickle would not be); the server does not store it in the review database
(a 100k review's is 180 MB, written while decisions would wait).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

FORMAT_VERSION = 1


@dataclass(frozen=True)
class TextSettings:
    """TfidfVectorizer settings. The defaults are ASReview ELAS u4's: word
    1-2 grams, sublinear tf, every term that occurs in at most 95% of records."""

    ngram_range: tuple[int, int] = (1, 2)
    sublinear_tf: bool = True
    min_df: int = 1
    max_df: float = 0.95
    lowercase: bool = True

    def vectoriser(self, **fixed) -> TfidfVectorizer:
        return TfidfVectorizer(ngram_range=tuple(self.ngram_range), sublinear_tf=self.sublinear_tf,
                               min_df=self.min_df, max_df=self.max_df, lowercase=self.lowercase,
                               dtype=np.float32, **fixed)


def record_text(title: str | None, abstract: str | None, keywords=None) -> str:
    """The text a record is ranked on: title, abstract and keywords, joined by
    spaces (ASReview joins title and abstract the same way)."""
    parts = [title or "", abstract or ""]
    if keywords:
        parts.append(" ".join(k for k in keywords if k))
    return " ".join(parts)


def _max_df_fits(settings: TextSettings, n: int) -> TextSettings:
    # With very few records, max_df * n falls below min_df and sklearn
    # refuses; a store of a handful of records keeps every term instead.
    if isinstance(settings.max_df, float) and settings.max_df * n < settings.min_df:
        return TextSettings(settings.ngram_range, settings.sublinear_tf, settings.min_df, 1.0,
                            settings.lowercase)
    return settings


class FeatureStore:
    """TF-IDF rows of every record, by record id."""

    def __init__(self, settings: TextSettings, vectoriser: TfidfVectorizer, ids: np.ndarray,
                 matrix: sp.csr_matrix, fitted_on: int):
        self.settings = settings
        self.vectoriser = vectoriser
        self.ids = np.asarray(ids, dtype=np.int64)
        self.matrix = matrix.tocsr()
        self.fitted_on = fitted_on  # records the vocabulary and IDF were fitted on
        self._position = None

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, ids, texts: list[str],
              settings: TextSettings = TextSettings()) -> "FeatureStore":
        """Fit the vocabulary and IDF on these records and vectorise them."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(texts):
            raise ValueError("one id per text")
        if len(set(ids.tolist())) != len(ids):
            raise ValueError("record ids must be unique")
        settings = _max_df_fits(settings, len(texts))
        vectoriser = settings.vectoriser()
        try:
            matrix = vectoriser.fit_transform(texts)
        except ValueError:
            # Every text empty (or only stop words): no vocabulary to learn.
            vectoriser = settings.vectoriser(vocabulary={"": 0})
            vectoriser.fit([""])
            matrix = sp.csr_matrix((len(texts), 1), dtype=np.float32)
        return cls(settings, vectoriser, ids, matrix.astype(np.float32), len(texts))

    def add(self, ids, texts: list[str]) -> None:
        """Vectorise records loaded since the fit (a record already in the
        store gets its row replaced) with the fitted vocabulary and weights."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(texts):
            raise ValueError("one id per text")
        if not len(ids):
            return
        if len(set(ids.tolist())) != len(ids):
            raise ValueError("record ids must be unique")
        new = self.vectoriser.transform(texts).astype(np.float32).tocsr()
        position = self.position
        known = np.array([i in position for i in ids.tolist()], dtype=bool)
        if known.any():
            keep = np.ones(len(self.ids), dtype=bool)
            keep[[position[i] for i in ids[known].tolist()]] = False
            self.ids = self.ids[keep]
            self.matrix = self.matrix[keep]
        self.ids = np.concatenate([self.ids, ids])
        self.matrix = sp.vstack([self.matrix, new], format="csr")
        self._position = None

    def needs_rebuild(self, share: float = 0.2) -> bool:
        """More than `share` of the records came after the fit: their words
        are missing from the vocabulary, so a rebuild (in the background)
        would rank them better."""
        return len(self.ids) > self.fitted_on * (1 + share)

    def reordered(self, rows) -> "FeatureStore":
        """The same store with its rows in another order (shares the
        vectoriser; the simulation shuffles records this way, once per seed)."""
        rows = np.asarray(rows, dtype=np.int64)
        return FeatureStore(self.settings, self.vectoriser, self.ids[rows], self.matrix[rows],
                            self.fitted_on)

    # ------------------------------------------------------------ reading
    @property
    def position(self) -> dict[int, int]:
        if self._position is None:
            self._position = {int(i): n for n, i in enumerate(self.ids.tolist())}
        return self._position

    def rows(self, ids) -> np.ndarray:
        """Row numbers of these record ids (KeyError for an unknown id)."""
        position = self.position
        return np.array([position[int(i)] for i in ids], dtype=np.int64)

    def __len__(self):
        return len(self.ids)

    # ------------------------------------------------------------ bytes
    def to_bytes(self) -> bytes:
        vocabulary = self.vectoriser.vocabulary_
        terms = [""] * len(vocabulary)
        for term, index in vocabulary.items():
            terms[index] = term
        meta = {"version": FORMAT_VERSION, "settings": asdict(self.settings),
                "fitted_on": self.fitted_on, "shape": list(self.matrix.shape)}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            terms=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
            idf=np.asarray(self.vectoriser.idf_, dtype=np.float64),
            ids=self.ids, data=self.matrix.data, indices=self.matrix.indices,
            indptr=self.matrix.indptr)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> "FeatureStore":
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
            if meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"feature store format {meta.get('version')!r} is not "
                                 f"{FORMAT_VERSION}: rebuild it")
            terms = archive["terms"].tobytes().decode("utf-8").split("\n")
            settings_dict = meta["settings"]
            settings_dict["ngram_range"] = tuple(settings_dict["ngram_range"])
            settings = TextSettings(**settings_dict)
            vectoriser = settings.vectoriser(vocabulary={t: n for n, t in enumerate(terms)})
            vectoriser.idf_ = archive["idf"]
            matrix = sp.csr_matrix(
                (archive["data"], archive["indices"], archive["indptr"]),
                shape=tuple(meta["shape"]))
            return cls(settings, vectoriser, archive["ids"], matrix, meta["fitted_on"])
