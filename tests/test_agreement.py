"""Cohen's kappa and percent agreement."""

import pytest

from datasette_mscdm.reporting.agreement import agreement, kappa, pair_agreement
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol


def test_kappa_matches_the_textbook_example():
    # 50 proposals: both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
    # p_o = 0.7, p_e = 0.5, kappa = 0.4 (Cohen 1960's worked example as in
    # most textbooks; also Wikipedia's "Cohen's kappa" example).
    a = ["include"] * 25 + ["exclude"] * 25
    b = ["include"] * 20 + ["exclude"] * 5 + ["include"] * 10 + ["exclude"] * 15
    assert kappa(a, b) == pytest.approx(0.4)
    assert pair_agreement(a, b)["percent_agreement"] == 70.0


def test_kappa_edge_cases():
    assert kappa([], []) is None
    assert kappa(["exclude"] * 5, ["exclude"] * 5) is None  # chance agreement is 1
    assert kappa(["include", "exclude"], ["include", "exclude"]) == pytest.approx(1.0)
    assert kappa(["include", "exclude"], ["exclude", "include"]) == pytest.approx(-1.0)
    # maybe is its own category: include vs maybe is a disagreement.
    assert pair_agreement(["include", "maybe"], ["include", "include"])["agreed"] == 1


def test_agreement_from_votes_in_force(screening_db):
    conn = store.connect(screening_db)
    protocol = parse_protocol(None)
    bob, carol = store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer")
    ids = [r[0] for r in conn.execute("select id from records order by id")]
    with conn:
        store.record_decision(conn, protocol, bob, ids[0], "title_abstract", "exclude")
        store.undo_last(conn, protocol, bob, "title_abstract")  # not a vote any more
        for rid in ids:
            store.record_decision(conn, protocol, bob, rid, "title_abstract", "include")
        store.record_decision(conn, protocol, carol, ids[0], "title_abstract", "include")
        store.record_decision(conn, protocol, carol, ids[1], "title_abstract", "exclude",
                              reason="Other")
    rows = agreement(conn)
    conn.close()
    assert rows == [{"stage": "title_abstract", "reviewer_a": "bob", "reviewer_b": "carol",
                     "records": 2, "agreed": 1, "percent_agreement": 50.0, "kappa": 0.0}]
