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
