"""Comparison keys of the duplicate finder (datasette_mscdm.dedup.keys): unit
cases for each normaliser, and properties checked on every title/DOI/author of
the shared benchmark sets."""

import csv
from urllib.parse import quote

import pytest

from conftest import CORPUS
from datasette_mscdm.dedup import keys

DEDUP = CORPUS / "dedup"


def rows(name):
    path = next((DEDUP / name).glob("*records_with_groups.csv"))
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- titles

@pytest.mark.parametrize("noisy, clean", [
    ("HPV testing after CIN 3: a meta-analysis. [Review] [45 refs]", "HPV testing after CIN 3: a meta-analysis"),
    ("HPV testing after CIN 3: a meta-analysis (Provisional abstract)", "HPV testing after CIN 3: a meta-analysis"),
    ("Surveillance after treatment (Structured abstract)", "Surveillance after treatment"),
    ("Evaluating the risk of precancer.[Erratum appears in Cancer Epidemiol Biomarkers Prev. 2006 Jan;15(1):187]",
     "Evaluating the risk of precancer"),
    ("Effects of exenatide on VCAM-1 in mice. [Chinese]", "Effects of exenatide on VCAM-1 in mice"),
    ("[Comparative characteristics of models of hyperlipidemia]. [Russian]",
     "Comparative characteristics of models of hyperlipidemia"),
    ("[Protective effects of incretin on atherosclerosis]", "Protective effects of incretin on atherosclerosis"),
    ("Novel results on PETN [Article in German]", "Novel results on PETN"),
    ("Cell therapy for wounds. [Review] [Spanish]", "Cell therapy for wounds"),
])
def test_title_notes_and_language_tags_are_not_part_of_the_title(noisy, clean):
    assert keys.title_words(noisy) == keys.title_words(clean)


@pytest.mark.parametrize("a, b", [
    ("Application of p16(INK4a) on ThinPrep", "Application of p16INK4a on ThinPrep"),
    ("K(ATP) channels in beta cells", "KATP channels in beta cells"),
    ("Atherosclerosis in Ldlr<sup>-/-</sup> mice", "Atherosclerosis in Ldlr(-/-) mice"),
    ("Interferon-γ (IFN-γ) as a marker", "Interferon-gamma (IFN-gamma) as a marker"),
    ("Exenatide Inhibits the K<inf>Ca</inf>3.1 Channels", "Exenatide inhibits the KCa3.1 channels"),
    ("Müller cells &amp; glia", "Muller cells & glia"),
    ("Quality of life—the components", "Quality of life--The components"),
])
def test_punctuation_markup_case_and_greek_do_not_matter(a, b):
    assert keys.title_compact(keys.title_words(a)) == keys.title_compact(keys.title_words(b))


def test_every_benchmark_title_keeps_its_key_when_a_database_adds_notes():
    for name in ("rathbone2015_cytology_screening", "asysd_diabetes"):
        for row in rows(name):
            title = keys.strip_title_notes(row["title"])
            base = keys.title_words(title)
            for noisy in (f"{title}. [Review] [12 refs]", f"[{title}]. [Russian]",
                          f"{title} (Provisional abstract)", title.upper()):
                assert keys.title_words(noisy) == base, (row["ID"], noisy)


@pytest.mark.parametrize("title, types, kind", [
    ("Erratum: Effects of X on Y", (), "erratum"),
    ("Correction to: Effects of X on Y", (), "erratum"),
    ("Effects of X on Y", ("Published Erratum",), "erratum"),
    ("Effects of X on Y.[Erratum appears in J X. 2006;15(1):187]", (), "article"),
    ("Retraction notice to: Effects of X", (), "retraction"),
    ("RETRACTED: Effects of X on Y", (), "article"),  # the retracted article itself
    ("Reply to: Effects of X on Y", (), "reply"),
    ("Re: Effects of X on Y", (), "reply"),
    ("Comment on 'Effects of X on Y'", (), "reply"),
    ("Response to the letter by Smith", (), "reply"),
    ("Response of tumour cells to hypoxia", (), "article"),
    ("The immune response", (), "article"),
])
def test_publication_kind(title, types, kind):
    assert keys.publication_kind(title, types) == kind


def test_conference_hints():
    assert keys.looks_like_conference("Circulation. Conference: AHA Scientific Sessions", None, None)
    assert keys.looks_like_conference("Circulation", "21 SUPPL. 1", None)
    assert keys.looks_like_conference("Heart", None, "104 (Supplement 6)")
    assert keys.looks_like_conference(None, None, None, ("Conference Abstract",))
    assert not keys.looks_like_conference("Circulation", "21", "126")


# ---------------------------------------------------------------- authors

@pytest.mark.parametrize("names, key", [
    (["van der Graaf, J", "Van Graaf J", "J. van der Graaf", "van der Graaf JA", "Graaf, J van der"], "graaf"),
    (["Puig-Domingo M.", "Puig-Domingo, Manel", "Manel Puig-Domingo"], "puigdomingo"),
    (["Müller, A", "Muller A", "Anna Müller"], "muller"),
    (["Wright Jr., T C", "Wright, Jr", "Wright TC Jr"], "wright"),
    (["van, Hamont D", "van Hamont, D"], "hamont"),
    (["El Hachmane M.", "El Hachmane, Mickael"], "hachmane"),
])
def test_surname_keys_agree_across_name_styles(names, key):
    assert {keys.surname_key(n) for n in names} == {key}


def test_group_authors_are_left_out_of_surname_comparison():
    assert keys.surname_key("ALTS Group") is None
    assert keys.surname_key("Group, ALTS") is None
    assert keys.author_keys(["Zuna, R E", "Group, ALTS", "Wang, S S"]) == ("zuna", "wang")


def test_split_authors_handles_bibtex_semicolons_and_glued_initials():
    assert keys.split_authors("Zuna, R E and Wang, S S") == ["Zuna, R E", "Wang, S S"]
    assert keys.split_authors("Zuna, R E; Wang, S S") == ["Zuna, R E", "Wang, S S"]
    assert keys.split_authors("Adeli K.Lewis G. F.El Hachmane M.") == ["Adeli K.", "Lewis G. F.", "El Hachmane M."]


def test_every_benchmark_author_list_gives_one_key_per_personal_author():
    for row in rows("rathbone2015_cytology_screening"):
        names = keys.split_authors(row["author"])
        personal = [n for n in names if not keys.is_group_author(n)]
        assert len(keys.author_keys(names)) == len(personal), row["ID"]


# ---------------------------------------------------------------- journals

@pytest.mark.parametrize("a, b", [
    ("J Am Coll Cardiol", "Journal of the American College of Cardiology"),
    ("Curr Opin Lipidol", "Current Opinion in Lipidology"),
    ("Endocr Rev", "Endocrine Reviews"),
    ("Ann.New York Acad.Sci.", "Annals of the New York Academy of Sciences"),
    ("Obstetrics & Gynecology", "Obstetrics and Gynecology"),
    ("Obesity", "Obesity (Silver Spring)"),
    ("BMJ", "BMJ (Clinical research ed.)"),
    ("Circulation. Conference: American Heart Association Scientific Sessions", "Circulation"),
    ("JNCCN Journal of the National Comprehensive Cancer Network",
     "Journal of the National Comprehensive Cancer Network"),
    ("Hematology/Oncology Clinics of North America", "Hematology - Oncology Clinics of North America"),
])
def test_journal_abbreviations_and_variants_match(a, b):
    assert keys.journals_compatible(keys.journal_key(a), keys.journal_key(b)) is True


@pytest.mark.parametrize("a, b", [
    ("Cancer", "Cancer Epidemiology, Biomarkers & Prevention"),
    ("Diabetes", "Diabetes Care"),
    ("Journal of Clinical Virology", "Journal of Medical Virology"),
    ("Vaccine", "Virchows Archiv"),
])
def test_different_journals_do_not_match(a, b):
    assert keys.journals_compatible(keys.journal_key(a), keys.journal_key(b)) is False


def test_unknown_journal_is_neither():
    assert keys.journals_compatible((), keys.journal_key("Cancer")) is None


# ---------------------------------------------------------------- numbers and identifiers

@pytest.mark.parametrize("pages, expected", [
    ("123-9", ("123", "129")),
    ("123-129", ("123", "129")),
    ("1051-64", ("1051", "1064")),
    ("pp. 1051–1064", ("1051", "1064")),
    ("e001469", ("e1469", None)),
    ("S417-S429", ("s417", "s429")),
    ("A175.E1638", ("a175", None)),
    ("Suppl-29", (None, "29")),
    ("", (None, None)),
])
def test_page_range(pages, expected):
    assert keys.page_range(pages) == expected


def test_number_sets_tolerate_supplement_labels_but_not_cut_values():
    assert keys.number_set("38 (Supplement 1)") == {38, 1}
    assert keys.number_set("Korsakova. Part 2. 117") == {2, 117}
    assert keys.number_set("1)") == frozenset()
    assert keys.number_set(None) == frozenset()


@pytest.mark.parametrize("value", [
    "10.1016/S0306-3623(98)00050-0",
    "10.1016/S0306-3623%2898%2900050-0",
    "https://doi.org/10.1016/s0306-3623(98)00050-0",
    "http://dx.doi.org/10.1016/S0306-3623%2898%2900050-0",
    "doi:10.1016/S0306-3623(98)00050-0.",
    "DOI: 10.1016/S0306-3623(98)00050-0 [doi]",
])
def test_doi_key_is_percent_decoded_and_prefix_free(value):
    assert keys.doi_key(value) == "10.1016/s0306-3623(98)00050-0"


def test_every_benchmark_doi_keeps_its_key_through_encoding_and_resolvers():
    seen = 0
    for row in rows("asysd_diabetes"):
        key = keys.doi_key(row["doi"])
        if not key:
            continue
        seen += 1
        for variant in (quote(key, safe="/"), "https://doi.org/" + quote(key.upper(), safe="/"),
                        "doi:" + key.upper(), f"{key}."):
            assert keys.doi_key(variant) == key, (row["ID"], variant)
    assert seen > 500


def test_dois_cut_short_are_related_not_different():
    assert keys.dois_related("10.1093/eurheartj/ehx502", "10.1093/eurheartj/ehx502.p4339")
    assert not keys.dois_related("10.1093/eurheartj/ehx502.p4338", "10.1093/eurheartj/ehx502.p4339")


def test_pmid_key():
    assert keys.pmid_key("PMID: 0012345") == "12345"
    assert keys.pmid_key("0") is None
    assert keys.pmid_key(None) is None


SICI = "10.1002/(SICI)1097-0258(19980815/30)17:15/16<1661::AID-SIM968>3.0.CO;2-2"


def test_doi_key_is_the_loaders_normalised_doi():
    """The engine compares DOIs as records.normalise_doi stores them: a SICI
    DOI keeps what follows its '<' (two articles of one issue differ only
    there) and its percent-encoded form is the same DOI."""
    from datasette_mscdm.records import normalise_doi

    assert keys.doi_key(SICI) == normalise_doi(SICI) == SICI.lower()
    other = SICI.replace("1661::AID-SIM968", "1673::AID-SIM969")
    assert keys.doi_key(other) != keys.doi_key(SICI)
    encoded = "https://doi.org/" + SICI.replace("<", "%3C").replace(">", "%3E")
    assert keys.doi_key(encoded) == keys.doi_key(SICI)
    # A DOI inside a note is still found.
    assert keys.doi_key("see 10.1000/xyz for the data") == "10.1000/xyz"
    assert keys.doi_key("not a doi") is None
