"""The status rules and protocol parsing, as pure functions."""

import itertools

import pytest

from datasette_mscdm.screening import rules
from datasette_mscdm.screening.protocol import ProtocolError, parse_protocol

_ids = itertools.count(1)


def row(reviewer, decision, kind="screen", reason=None, undoes=None):
    return {"id": next(_ids), "reviewer": reviewer, "decision": decision, "kind": kind,
            "reason": reason, "undoes": undoes}


def undo(target):
    return row(target["reviewer"], "undo", target["kind"], undoes=target["id"])


@pytest.mark.parametrize("votes, required, expected", [
    ([], 2, "unscreened"),
    ([("a", "include")], 2, "awaiting second reviewer"),
    ([("a", "include")], 1, "included"),
    ([("a", "exclude")], 1, "excluded"),
    ([("a", "include"), ("b", "include")], 2, "included"),
    ([("a", "exclude"), ("b", "exclude")], 2, "excluded"),
    ([("a", "maybe"), ("b", "maybe")], 2, "maybe"),
    ([("a", "include"), ("b", "exclude")], 2, "conflict"),
    ([("a", "include"), ("b", "maybe")], 2, "conflict"),
    ([("a", "not_retrieved")], 2, "not retrieved"),
    ([("a", "not_retrieved"), ("b", "include")], 2, "conflict"),
    # A third vote (two reviewers on the same record at once) counts too.
    ([("a", "include"), ("b", "include"), ("c", "exclude")], 2, "conflict"),
])
def test_stage_status_from_votes(votes, required, expected):
    rows = [row(reviewer, decision) for reviewer, decision in votes]
    assert rules.stage_status(rows, required)[0] == expected


def test_a_changed_vote_replaces_the_earlier_one():
    rows = [row("a", "include"), row("b", "exclude"), row("a", "exclude", reason="Other")]
    assert rules.stage_status(rows, 2) == ("excluded", "Other")


def test_undo_restores_the_previous_vote_and_never_deletes_it():
    first = row("a", "include")
    second = row("a", "exclude")
    rows = [first, second, undo(second)]
    assert rules.votes(rows)["a"] is first
    assert rules.stage_status(rows, 1)[0] == "included"
    assert rules.stage_status(rows + [undo(first)], 1)[0] == "unscreened"


def test_exclusion_reason_is_the_earliest_excluding_vote():
    rows = [row("a", "exclude", reason="Wrong population"),
            row("b", "exclude", reason="Other")]
    assert rules.stage_status(rows, 2) == ("excluded", "Wrong population")


def test_a_lead_ruling_settles_a_conflict_and_its_undo_reopens_it():
    votes = [row("a", "include"), row("b", "exclude")]
    ruling = row("lead", "exclude", kind="resolution", reason="Duplicate")
    assert rules.stage_status(votes + [ruling], 2) == ("excluded", "Duplicate")
    assert rules.stage_status(votes + [ruling, undo(ruling)], 2)[0] == "conflict"


def test_bulk_exclusion_settles_an_unscreened_record():
    assert rules.stage_status([row("lead", "exclude", kind="bulk")], 2)[0] == "excluded"


@pytest.mark.parametrize("ta, ft, has_full_text, expected", [
    ("unscreened", None, True, "unscreened"),
    ("conflict", None, True, "conflict"),
    ("excluded", None, True, "excluded"),
    ("included", "unscreened", True, "awaiting full text"),
    ("included", "excluded", True, "excluded"),
    ("included", "not retrieved", True, "not retrieved"),
    ("included", "included", True, "included"),
    ("included", None, False, "included"),
])
def test_final_status(ta, ft, has_full_text, expected):
    assert rules.final_status(ta, ft, has_full_text) == expected


def test_blind_hides_other_votes_until_the_record_has_all_its_votes():
    a = row("a", "include")
    rows = [a]
    assert rules.visible_rows(rows, "b", blind=True, status="awaiting second reviewer") == []
    assert rules.visible_rows(rows, None, blind=True, status="awaiting second reviewer") == []
    assert rules.visible_rows(rows, "a", blind=True, status="awaiting second reviewer") == [a]
    # Not blind, or the stage complete: everyone sees every vote.
    assert rules.visible_rows(rows, "b", blind=False, status="awaiting second reviewer") == [a]
    b = row("b", "exclude")
    assert rules.visible_rows([a, b], None, blind=True, status="conflict") == [a, b]


def test_an_undone_vote_does_not_unblind_its_reviewer():
    # b voted, undid it, and a voted: b must not see a's vote before voting again.
    b = row("b", "include")
    a = row("a", "exclude")
    rows = [b, undo(b), a]
    assert rules.stage_status(rows, 2)[0] == "awaiting second reviewer"
    visible = rules.visible_rows(rows, "b", blind=True, status="awaiting second reviewer")
    assert a not in visible and b in visible


def test_protocol_defaults_and_single_stage():
    protocol = parse_protocol(None)
    assert [s.key for s in protocol.stages] == ["title_abstract", "full_text"]
    assert protocol.blind and protocol.stage("full_text").require_reason
    single = parse_protocol({"full_text": False, "title_abstract": {"reviewers": 1}})
    assert [s.key for s in single.stages] == ["title_abstract"]
    assert parse_protocol(single.to_config()) == single


@pytest.mark.parametrize("config, message", [
    ({"order": "alphabetical"}, "order"),
    ({"title_abstract": {"reviewers": 3}}, "reviewers"),
    ({"full_text": {"reasons": "Other"}}, "reasons"),
    ({"blind": "yes"}, "blind"),
    ({"seed": "x"}, "seed"),
    ({"stages": []}, "unknown"),
    ({"title_abstract": False}, "title_abstract"),
    ({"full_text": {"require_reason": True, "reasons": []}}, "require_reason"),
])
def test_protocol_errors_name_the_key(config, message):
    with pytest.raises(ProtocolError, match=message):
        parse_protocol(config)
