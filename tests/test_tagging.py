"""Vocabulary matching and the `mscdm tag` command."""

import json

import pytest
from click.testing import CliRunner

from conftest import DATA
from datasette_mscdm.cli import cli
from datasette_mscdm.tagging import VocabularyError, load_vocabulary, parse_vocabulary

VOCABULARY = load_vocabulary()


def tags(title="", abstract="", keywords="", publication_types=""):
    return VOCABULARY.tag({"title": title, "abstract": abstract, "keywords": keywords,
                           "publication_types": publication_types})


def test_whole_words_and_synonyms():
    found = tags(abstract="Human umbilical cord mesenchymal stem cell exosomes (hucMSC-Exos) "
                          "improved wound healing in STZ-induced diabetic rats.")
    assert found["msc_source"] == ["Umbilical cord / Wharton's jelly"]
    assert found["vesicle"] == ["Exosome"]
    assert "STZ-induced" in found["model"] and "Animal (any)" in found["model"]
    assert "Wound / foot ulcer" in found["diabetes"]


def test_hyphens_spaces_and_case_are_alike():
    assert tags(title="HIGH FAT DIET fed mice")["model"] == ["Animal (any)", "High-fat diet"]
    assert tags(title="high-fat diet")["model"] == ["High-fat diet"]
    assert tags(title="Type-2 Diabetes")["diabetes"][0] == "Type 2 diabetes"


@pytest.mark.parametrize("text", [
    "Exosomatic memory",                    # 'exosom' inside another word
    "NOD-like receptor NLRP3 signalling",   # NOD is not the mouse strain here
    "Cells shed vesicles",                  # 'shed' the verb, not SHED cells
    "A review of medical records",          # in an abstract: not a review article
    "Bone marrow lesions on MRI",           # not an MSC source
    "Adipose tissue inflammation",          # not an MSC source
    "Chitosan microparticles as carriers",  # not microvesicles
    "Correction of malalignment",           # not an erratum
    "Osteoporosis in postmenopausal women", # a complication only with diabetes
])
def test_no_false_hits(text):
    found = tags(title=text if "review" not in text else "", abstract=text)
    assert "Exosome" not in found.get("vesicle", [])
    assert "Microvesicle" not in found.get("vesicle", [])
    assert "NOD mice" not in found.get("model", [])
    assert not found.get("msc_source")
    assert "Review" not in found.get("design", [])
    assert "Editorial / commentary / letter" not in found.get("design", [])
    assert not found.get("diabetes")


def test_field_restrictions_and_requirements():
    assert "Review" in tags(title="MSC exosomes for diabetes: a review")["design"]
    assert "Review" in tags(abstract="In this review we discuss exosomes.")["design"]
    assert "Review" in tags(publication_types="Journal Article; Review")["design"]
    assert "Bone disease" in tags(abstract="Osteoporosis in diabetic rats")["diabetes"]


def test_case_sensitive_acronyms_and_patterns():
    assert tags(abstract="EVs from SHED")["msc_source"] == ["Dental pulp / oral"]
    assert "Extracellular vesicle" in tags(abstract="EVs from SHED")["vesicle"]
    assert tags(abstract="exosomal miR-21-5p")["mechanism"] == ["miRNA cargo"]
    assert "Clinical trial (any)" in tags(abstract="Registered as NCT01234567.")["design"]


def test_seed_a_tags():
    text = (DATA / "000_df040756cddb4234.txt").read_text(encoding="utf-8")
    found = tags(title="The Potential of Mesenchymal Stem Cell-Derived Exosomes to Treat "
                       "Diabetes Mellitus.", abstract=text.split("\nAbstract\n")[1])
    assert found["vesicle"] == ["Exosome"]
    assert found["diabetes"] == ["Type 2 diabetes", "Diabetes (any mention)"]
    assert "Beta-cell / islet" in found["mechanism"]


@pytest.mark.parametrize("text,message", [
    ("groups: 3", "top-level 'groups' list"),
    ("groups:\n  - key: Bad Key\n    terms: []", "must be lower-case"),
    ("groups:\n  - key: database\n    terms: []", "reserved"),
    ("groups:\n  - key: a\n    terms:\n      - name: x\n", "no synonyms or patterns"),
    ("groups:\n  - key: a\n    terms:\n      - name: x\n        patterns: ['(']\n", "bad pattern"),
    ("groups:\n  - key: a\n    terms:\n      - name: x\n        synonyms: [y]\n        in: [body]\n",
     "unknown field"),
    ("groups:\n  - key: a\n    terms:\n      - name: x\n        synonyms: [y]\n        requires: [z]\n",
     "requires unknown"),
    ("groups: [", "not valid YAML"),
])
def test_bad_vocabularies_are_refused(text, message):
    with pytest.raises(VocabularyError, match=message):
        parse_vocabulary(text)


CUSTOM = """groups:
  - key: outcome
    label: Outcome
    terms:
      - name: Glycaemic control
        synonyms: [HbA1c, glycemic control, glycaemic control, blood glucose]
"""


def test_tag_command_applies_a_vocabulary_that_later_loads_use(tmp_path, fresh_db, rows):
    assert CliRunner().invoke(cli, ["load", str(fresh_db), str(DATA)]).exit_code == 0
    custom = tmp_path / "mine.yml"
    custom.write_text(CUSTOM, encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", str(fresh_db), "--vocabulary", str(custom), "--json"])
    assert result.exit_code == 0, result.output
    # The AI summary of seed B mentions blood glucose.
    assert json.loads(result.output) == {"records": 2, "tags": {"outcome": {"Glycaemic control": 1}}}
    # The default vocabulary's tags are gone; only the new group is left.
    assert {r["facet"] for r in rows(fresh_db, "select distinct facet from record_terms")} == {
        "publication_type", "database", "outcome"}
    later = tmp_path / "later.ris"
    later.write_text("TY  - JOUR\nTI  - Exosomes lower HbA1c\nER  - \n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["load", str(fresh_db), str(later)]).exit_code == 0
    assert rows(fresh_db, "select auto_tags from records where title like 'Exosomes%'")[0][
        "auto_tags"] == '{"outcome": ["Glycaemic control"]}'
    # Back to the packaged default vocabulary.
    default = CliRunner().invoke(cli, ["tag", str(fresh_db), "--vocabulary",
                                       str(DATA / "vocabulary.yml")])
    assert default.exit_code == 0
    assert "Vesicle type:" in default.output
    assert rows(fresh_db, "select count(*) n from tag_vocabulary")[0]["n"] == 3


def test_tag_command_rejects_a_bad_vocabulary(tmp_path, fresh_db):
    CliRunner().invoke(cli, ["load", str(fresh_db), str(DATA)])
    bad = tmp_path / "bad.yml"
    bad.write_text("groups: 3", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", str(fresh_db), "--vocabulary", str(bad)])
    assert result.exit_code == 2
    assert "top-level 'groups' list" in result.output


# Texts for the properties below: ASCII and not, with the characters whose
# lower case is longer or differs in kind (İ, ẞ, final sigma, a combining dot),
# curly and straight apostrophes, slashes, and the vocabulary's own words.
_PIECES = ["stem", "cell", "cells", "mesenchymal", "Stem", "CELLS", "SHED", "shed", "EV", "EVs",
           "Wharton", "jelly", "db", "beta", "İstanbul", "STRASSE", "straße", "ẞ", "Σς", "i\u0307",
           "'", "\u2019", "/", "-", " ", " ", ". ", "(", ")", "s", "x1"]


def _random_texts(count, seed):
    import random
    rnd = random.Random(seed)
    for _ in range(count):
        pieces = _PIECES if rnd.random() < 0.5 else [p for p in _PIECES if p.isascii()]
        yield "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 25)))


def test_words_end_before_an_apostrophe_or_slash_that_no_letter_follows():
    from datasette_mscdm.tagging import lowered_words, words
    for text in ["patients' data", "and/ or", "x//y", "the mice\u2019 weight"]:
        expected = {"patients' data": ["patients", "data"], "and/ or": ["and", "or"],
                    "x//y": ["x", "y"], "the mice\u2019 weight": ["the", "mice", "weight"]}[text]
        assert words(text) == expected
        assert lowered_words(text) == expected
    assert words("Wharton\u2019s db/db M1/M2") == ["Wharton's", "db/db", "M1/M2"]
    assert "vesicle" in tags(title="MSC EVs' effect on STZ-induced diabetic mice")


def test_lowered_words_are_the_words_lower_cased():
    """The loader splits ASCII text lower-cased (one pass, not two); any text
    must give the words of the text as written, each lower-cased."""
    from datasette_mscdm.tagging import lowered_words, words
    for text in _random_texts(5000, seed=1):
        assert lowered_words(text) == [w.lower() for w in words(text)], text


def test_synonym_index_finds_what_a_plain_search_finds():
    """The index (phrases by first and second word, case-sensitive synonyms
    looked for only when one occurs in the text) tags exactly as a plain
    search of each synonym's words, in order, among the field's words."""
    from datasette_mscdm.tagging import words
    rules = {  # term -> (synonyms, case sensitive)
        "Stem cell": (["stem cell", "stem cells", "mesenchymal stem cells", "stem"], False),
        "Cell": (["cell", "cells x1"], False),
        "Wharton": (["Wharton's jelly", "Wharton’s"], True),
        "Acronym": (["SHED", "EVs", "SHED cells", "db/db"], True),
        "Foreign": (["straße", "İstanbul", "i\u0307stanbul"], False),
    }
    vocabulary = parse_vocabulary(json.dumps({"groups": [{"key": "g", "terms": [
        {"name": name, "synonyms": synonyms, "case_sensitive": sensitive}
        for name, (synonyms, sensitive) in rules.items()]}]}))

    def plain(text):
        found = []
        for name, (synonyms, sensitive) in rules.items():
            tokens = words(text) if sensitive else [w.lower() for w in words(text)]
            for synonym in synonyms:
                phrase = words(synonym) if sensitive else words(synonym.lower())
                if any(tokens[i:i + len(phrase)] == phrase for i in range(len(tokens))):
                    found.append(name)
                    break
        return {"g": found} if found else {}

    assert plain("Wharton’s jelly") == {"g": ["Wharton"]}
    hits = 0
    for text in ["Wharton’s jelly", "wharton's jelly", "SHED cells", "İstanbul stem-cells",
                 "db/db", *_random_texts(5000, seed=2)]:
        expected = plain(text)
        hits += bool(expected)
        assert vocabulary.tag({"title": text}) == expected, text
    assert hits > 1000  # the texts do hit synonyms
