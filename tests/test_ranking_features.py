"""The feature store: vectorise once, add later records, keep it as bytes."""

import io
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from datasette_mscdm.ranking.features import FeatureStore, TextSettings, record_text
from datasette_mscdm.ranking.labelled import read_labelled

from conftest import CORPUS


@pytest.fixture(scope="module")
def donners():
    labelled = read_labelled(CORPUS / "screening" / "synergy" / "Donners_2021.csv")
    return [record_text(t, a) for t, a in zip(labelled.titles, labelled.abstracts)]


def test_store_is_elas_u4_tfidf(donners):
    # The same matrix sklearn's TfidfVectorizer gives with ELAS u4's settings.
    store = FeatureStore.build(np.arange(len(donners)), donners)
    reference = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95)
    expected = reference.fit_transform(donners)
    assert store.matrix.shape == expected.shape
    assert abs(store.matrix - expected).max() < 1e-6
    assert store.vectoriser.vocabulary_ == reference.vocabulary_


def test_records_added_later_get_the_rows_the_fit_would_give(donners):
    store = FeatureStore.build(np.arange(200), donners[:200])
    store.add(np.arange(200, len(donners)), donners[200:])
    assert len(store) == len(donners)
    expected = store.vectoriser.transform(donners[200:])
    assert abs(store.matrix[store.rows(range(200, len(donners)))] - expected).max() < 1e-6
    # Untouched rows stay as they were.
    again = FeatureStore.build(np.arange(200), donners[:200])
    assert abs(store.matrix[:200] - again.matrix).max() == 0
    assert store.needs_rebuild()  # 58 records came after a fit on 200


def test_adding_a_known_record_replaces_its_row(donners):
    store = FeatureStore.build([10, 11, 12], donners[:3])
    store.add([11], [donners[5]])
    assert sorted(store.ids.tolist()) == [10, 11, 12]
    row = store.matrix[store.rows([11])]
    assert abs(row - store.vectoriser.transform([donners[5]])).max() < 1e-6


def test_bytes_round_trip_without_pickle(donners):
    store = FeatureStore.build(np.arange(100, 100 + len(donners)), donners)
    blob = store.to_bytes()
    back = FeatureStore.from_bytes(blob)
    assert back.ids.tolist() == store.ids.tolist()
    assert abs(back.matrix - store.matrix).max() == 0
    assert back.settings == store.settings and back.fitted_on == store.fitted_on
    new_text = ["emicizumab pharmacokinetics in children with haemophilia A"]
    assert abs(back.vectoriser.transform(new_text) - store.vectoriser.transform(new_text)).max() \
        < 1e-9
    # An .npz of plain arrays: nothing in it is a pickle.
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for name in archive.namelist():
            assert not archive.read(name).startswith(b"\x80")


def test_bytes_holding_a_pickle_are_refused():
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array([{"version": 1}], dtype=object))
    with pytest.raises(ValueError):
        FeatureStore.from_bytes(buffer.getvalue())
    with pytest.raises(Exception):
        FeatureStore.from_bytes(pickle.dumps({"not": "a store"}))


def test_edge_cases():
    # A handful of records (max_df would drop every term) and empty texts.
    small = FeatureStore.build([1, 2], ["stem cells", "exosome therapy"])
    assert small.matrix.shape[0] == 2 and small.matrix.nnz > 0
    empty = FeatureStore.build([1, 2], ["", ""])
    assert empty.matrix.shape[0] == 2 and empty.matrix.nnz == 0
    empty.add([3], ["anything"])
    assert len(empty) == 3
    FeatureStore.from_bytes(empty.to_bytes())
    with pytest.raises(ValueError):
        FeatureStore.build([1, 1], ["a b", "c d"])
    with pytest.raises(ValueError):
        small.add([5, 5], ["a b", "c d"])
    with pytest.raises(KeyError):
        small.rows([99])


def test_record_text_joins_title_abstract_keywords():
    assert record_text("T", "A", ["k1", "k2"]) == "T A k1 k2"
    assert record_text(None, "A") == " A"
    assert TextSettings().ngram_range == (1, 2)
