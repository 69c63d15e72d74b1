"""Source names normalised: one database, one name, whatever the spelling."""

import pytest

from datasette_mscdm.source_names import (DATABASE, KNOWN_SOURCES, OTHER, REGISTER,
                                          canonical_source, clean, is_file_name_fallback, key,
                                          source_kind)


@pytest.mark.parametrize("written, canonical", [
    ("web_of_science", "Web of Science"), ("Web of Science", "Web of Science"),
    ("WOS", "Web of Science"), ("Web of Science Core Collection", "Web of Science"),
    ("ISI Web of Knowledge", "Web of Science"), ("{Scopus}", "Scopus"), ("SCOPUS", "Scopus"),
    ('"Scopus"', "Scopus"), ("MEDLINE", "PubMed"), ("PubMed", "PubMed"), ("Medline", "PubMed"),
    ("Ovid MEDLINE(R) ALL <1946 to May 23, 2023>", "PubMed"), ("MEDLINE®", "PubMed"),
    ("PubMed/MEDLINE", "PubMed"), ("EMBASE", "Embase"),
    ("Embase <1974 to 2023 May 05>", "Embase"), ("Embase Classic+Embase", "Embase"),
    ("Cochrane Central Register of Controlled Trials (CENTRAL)", "Cochrane Library"),
    ("CENTRAL", "Cochrane Library"), ("EBSCOhost CINAHL Plus with Full Text", "CINAHL"),
    ("APA PsycInfo", "PsycINFO"), ("Ovid PsycINFO", "PsycINFO"),
    ("ClinicalTrials.gov", "ClinicalTrials.gov"), ("clinicaltrials_gov", "ClinicalTrials.gov"),
    ("WHO ICTRP", "WHO ICTRP"), ("International Clinical Trials Registry Platform", "WHO ICTRP"),
    ("semanticscholar", "Semantic Scholar"), ("citation search", "Citation searching"),
    ("ProQuest Dissertations & Theses Global", "ProQuest Dissertations & Theses"),
])
def test_aliases_name_one_source(written, canonical):
    assert canonical_source(written) == canonical


def test_unknown_names_keep_their_spelling_cleaned():
    assert canonical_source("  {MetaPress}  ") == "MetaPress"
    assert canonical_source("Internet   Archive") == "Internet Archive"
    assert canonical_source("MedlinePlus") == "MedlinePlus"  # not MEDLINE
    assert canonical_source("Ovid") == "Ovid"  # a platform alone names no database
    assert source_kind("MetaPress") is None


@pytest.mark.parametrize("empty", [None, "", "   ", "{}", '""'])
def test_nothing_named_is_none(empty):
    assert clean(empty) is None and canonical_source(empty) is None


def test_kinds():
    assert source_kind("Embase") == DATABASE
    assert source_kind("ictrp") == REGISTER and source_kind("PROSPERO") == REGISTER
    assert source_kind("Reference lists") == OTHER


def test_the_table_is_consistent():
    # Every alias leads to its own source (no alias claimed twice).
    seen = {}
    for source in KNOWN_SOURCES:
        assert source.kind in (DATABASE, REGISTER, OTHER)
        for alias in (source.name, *source.aliases):
            assert seen.setdefault(key(alias), source.name) == source.name, alias
            assert canonical_source(alias) == source.name
    # Canonical names are their own canonical names.
    assert all(canonical_source(s.name) == s.name for s in KNOWN_SOURCES)


def test_key_ignores_case_braces_and_separators():
    assert key("{Web_of-Science}") == key("web of science") == "web of science"


def test_file_name_fallbacks_of_older_versions():
    path = "/exports/asreview/web_of_science.txt"
    # One record of a WoS file named nothing: the older loader stored the stem.
    assert is_file_name_fallback("web_of_science", path, whole_file=False)
    assert not is_file_name_fallback("Web of Science", path, whole_file=False)
    # A whole file carrying a stem that is no database name: a fallback.
    assert is_file_name_fallback("zotero_export", "/x/zotero_export.xml", whole_file=True)
    assert is_file_name_fallback("bbt_pandoc_citation", "/x/bbt_pandoc_citation.csl.json",
                                 whole_file=True)
    # `--source Scopus` for Scopus.ris: every record says Scopus; it is a name.
    assert not is_file_name_fallback("Scopus", "/x/Scopus.ris", whole_file=True)
    assert not is_file_name_fallback(None, path, whole_file=True)
