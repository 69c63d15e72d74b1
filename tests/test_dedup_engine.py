"""The duplicate finder on pairs of our own making: every class in issue 13's
"What goes wrong today" list, as false merges that must not happen and misses
that must be found, plus the cluster guard, the review-queue inputs and the
incremental mode a load uses."""

import pytest

from conftest import CORPUS
from datasette_mscdm.dedup import (DISTINCT, DUPLICATE, MAYBE, DedupRecord, find_duplicates,
                                   prepare, score_pair)
from datasette_mscdm.dedup.blocking import identifier_count, key_hash, live_keys
from datasette_mscdm.dedup.evaluate import load_benchmark
from datasette_mscdm.dedup.record import BlockingFields, blocking_fields

ARTICLE = dict(
    title="Mesenchymal stem cell exosomes attenuate diabetic nephropathy in rats by restoring autophagy",
    authors=["Ebrahim, Nesrine", "Ahmed, Inas A.", "Hussien, Noha I."],
    year=2018, journal="Cells", volume="7", issue="12", pages="226-240",
    doi="10.3390/cells7120226")


def record(id, **fields):
    return DedupRecord.of(id, **{**ARTICLE, **fields})


def decide(a, b):
    return score_pair(prepare(a), prepare(b))


def clusters_of(*records, **kwargs):
    return [sorted(c) for c in find_duplicates(list(records), **kwargs).clusters]


# ---------------------------------------------------------------- false merges (must stay apart)

def test_supplement_doi_shared_by_different_abstracts_does_not_merge_them():
    supplement = "10.1093/eurheartj/ehx502"
    abstracts = [
        DedupRecord.of(f"abs{k}", title=title, authors=[author], year=2017,
                       journal="European Heart Journal", volume="38", issue="Suppl 1",
                       pages=f"P{4330 + k}", doi=supplement, publication_types=["Conference Abstract"])
        for k, (title, author) in enumerate([
            ("SGLT2 inhibition improves coronary microvascular function in pre-diabetic mice", "Adingupu D."),
            ("Liraglutide reduces infarct size in a porcine model of reperfusion", "Ekstrom K."),
            ("Dapagliflozin and cardiac fibrosis in obese rats", "Lee T. M."),
            ("Empagliflozin improves left ventricular function in heart failure patients", "Santos-Gallego C."),
            ("Exenatide in ST-elevation myocardial infarction: one-year outcomes", "Woo J. S."),
            ("Sitagliptin and endothelial progenitor cells in type 2 diabetes", "Fadini G. P."),
        ])]
    # Embase lists some of them twice (11 records of 6 abstracts in the audit).
    copies = [DedupRecord.of(f"copy{k}", **{
        "title": a.titles[0], "authors": list(a.authors), "year": 2017,
        "journal": "Eur Heart J", "volume": "38 (Supplement 1)", "pages": a.pages[0],
        "doi": "http://dx.doi.org/10.1093/eurheartj/ehx502"}) for k, a in enumerate(abstracts[:5])]
    found = clusters_of(*abstracts, *copies)
    assert sorted(found) == sorted([sorted([f"abs{k}", f"copy{k}"]) for k in range(5)])
    pair = decide(abstracts[0], abstracts[1])
    assert pair.outcome == DISTINCT
    assert any("different first pages" in v or "different titles" in v for v in pair.vetoes)


def test_shared_doi_with_a_different_title_is_not_a_duplicate_even_without_pages():
    a = DedupRecord.of(1, title="Incretin effects on artery lesions in apolipoprotein E-deficient mice",
                       authors=["Chen R."], year=2014, doi="10.1002/dmrr.2604")
    b = DedupRecord.of(2, title="Sitagliptin lowers blood pressure in salt-sensitive hypertensive rats",
                       authors=["Lee J."], year=2014, doi="10.1002/DMRR.2604")
    pair = decide(a, b)
    assert pair.outcome == DISTINCT
    assert any("different titles" in v for v in pair.vetoes)


def test_doi_cut_short_neither_merges_nor_blocks():
    full = record(1, doi="10.1016/S0735-1097(13)62048-3")
    cut = record(2, title="Alogliptin attenuates arterial inflammation after vascular injury in mice",
                 doi="10.1016/S0735-1097(13)")
    assert decide(full, cut).fields["doi"] == "related"
    assert decide(full, cut).outcome == DISTINCT  # titles differ: the cut DOI proves nothing
    assert decide(full, record(3, doi="10.1016/S0735-1097(13)")).outcome == DUPLICATE


def test_conference_abstract_and_the_journal_article_stay_apart():
    article = record("article")
    abstract = record("abstract", year=2017, journal="Diabetes. Conference: 77th Scientific Sessions",
                      volume="66", issue="Suppl 1", pages="A128", doi=None,
                      publication_types=["Conference Abstract"])
    assert decide(article, abstract).outcome == DISTINCT
    # Same year, and the abstract's page not given: the venue alone rules it out.
    abstract_same_year = record("abstract2", journal="Diabetes. Conference: 78th Scientific Sessions",
                                volume=None, issue="Suppl 1", pages=None, doi=None)
    assert decide(article, abstract_same_year).outcome == DISTINCT


def test_one_guideline_printed_in_two_journals_stays_apart():
    common = dict(title="Management of hyperglycaemia in type 2 diabetes: a consensus report",
                  authors=["Davies, M J", "D'Alessio, D A", "Fradkin, J"], year=2018)
    a = DedupRecord.of("care", journal="Diabetes Care", volume="41", issue="12", pages="2669-2701",
                       **common)
    b = DedupRecord.of("diabetologia", journal="Diabetologia", volume="61", issue="12",
                       pages="2461-2498", **common)
    assert decide(a, b).outcome == DISTINCT
    assert clusters_of(a, b) == []


def test_repeated_editorials_in_different_issues_stay_apart():
    issues = [DedupRecord.of(f"issue{n}", title="Editor's Comments", authors=["Saunders, Carol"],
                             year=2015, journal="MIS Quarterly", volume="39", issue=str(n),
                             pages=None) for n in range(1, 5)]
    assert clusters_of(*issues) == []
    # Without issue numbers nothing tells them apart: a person decides.
    bare = [DedupRecord.of(f"bare{n}", title="Editor's Comments", authors=["Saunders, Carol"],
                           year=2015, journal="MIS Quarterly", volume="39") for n in range(2)]
    assert decide(*bare).outcome == MAYBE
    assert "a short title that names many works" in decide(*bare).vetoes


def test_editorials_on_the_first_page_of_each_issue_stay_apart():
    """Issue 1 page 1 is not an article number written in the issue field
    (which makes "issue 7, no pages" and "page 7" agree)."""
    editorials = [DedupRecord.of(f"ed{i}", title="Editor's comments", authors=["Smith J"],
                                 year=2019, journal="Journal of Wound Care", volume="28",
                                 issue=str(i), pages="1", publication_types=["Editorial"])
                  for i in range(1, 5)]
    assert clusters_of(*editorials) == []
    numbered = record("an", issue="7", pages=None)
    paged = record("pg", issue="2", pages="7")
    assert decide(numbered, paged).fields["issue"] is None


def test_one_teams_two_studies_whose_titles_differ_in_a_word_go_to_people():
    rats = record(1, doi=None, pages=None, issue=None)
    mice = record(2, title=ARTICLE["title"].replace("rats", "mice"), doi=None, pages=None, issue=None)
    pair = decide(rats, mice)
    assert pair.outcome == MAYBE
    assert "the titles differ in a word (rats / mice)" in pair.vetoes
    # A typo is not a different word.
    typo = record(3, title=ARTICLE["title"].replace("rats", "rtas"), doi=None, pages=None, issue=None)
    assert decide(rats, typo).outcome == DUPLICATE


def test_two_letters_in_different_volumes_stay_apart():
    a = DedupRecord.of(1, title="Reply to Dr. Smith", authors=["Jones, P"], year=2016,
                       journal="Lancet", volume="387", pages="1230")
    b = DedupRecord.of(2, title="Reply to Dr. Smith", authors=["Jones, P"], year=2016,
                       journal="Lancet", volume="388", pages="455")
    assert decide(a, b).outcome == DISTINCT


@pytest.mark.parametrize("prefix, kind", [("Erratum: ", "erratum"), ("Retraction notice: ", "retraction"),
                                          ("Comment on: ", "reply"), ("Reply: ", "reply")])
def test_erratum_retraction_comment_and_reply_are_not_the_article(prefix, kind):
    other = record("other", title=prefix + ARTICLE["title"], pages=None, volume=None, issue=None,
                   doi=None)
    pair = decide(record("article"), other)
    assert pair.outcome == DISTINCT
    assert f"article vs {kind}" in pair.vetoes


def test_erratum_note_on_the_article_itself_is_not_an_erratum():
    noted = record(2, title=ARTICLE["title"] + ".[Erratum appears in Cells. 2019 Jan;8(1):10]",
                   doi=None)
    assert decide(record(1), noted).outcome == DUPLICATE


def test_different_dois_never_merge_and_never_chain():
    # a ~ b (b has no DOI) and b ~ c, but a and c carry different DOIs.
    a = record("a", doi="10.3390/cells7120226")
    b = record("b", doi=None)
    c = record("c", doi="10.3390/cells7120227")
    result = find_duplicates([a, b, c])
    assert all(not {"a", "c"} <= set(cluster) for cluster in result.clusters)
    assert len(result.clusters) == 1
    held = [p for p in result.maybe if "must stay apart" in " ".join(p.vetoes)]
    assert held, result.maybe


# ---------------------------------------------------------------- misses (must be found)

@pytest.mark.parametrize("variant", [
    ARTICLE["title"] + ". [Review] [45 refs]",
    ARTICLE["title"] + " (Provisional abstract)",
    ARTICLE["title"] + ". [Erratum appears in Cells. 2019;8(1):10]",
    f"[{ARTICLE['title']}]. [Chinese]",
    f"[{ARTICLE['title']}]",
    ARTICLE["title"].upper(),
    ARTICLE["title"].replace("autophagy", "autopahgy"),          # typo
    ARTICLE["title"].replace("nephropathy", "nephropthy"),       # typo
    ARTICLE["title"][:60],                                       # cut short
])
def test_titles_written_differently_are_found(variant):
    assert decide(record(1), record(2, title=variant, doi=None)).outcome == DUPLICATE


def test_dropped_subtitle_is_found():
    full = record(1, title="Exosomes in diabetic wound healing: a systematic review and meta-analysis",
                  doi=None)
    short = record(2, title="Exosomes in diabetic wound healing", doi=None)
    assert decide(full, short).outcome in (DUPLICATE, MAYBE)
    long_main = record(3, title="Mesenchymal stem cell exosomes attenuate diabetic nephropathy in rats",
                       doi=None)
    assert decide(record(4, doi=None), long_main).outcome == DUPLICATE


def test_punctuation_inside_words_is_found():
    a = record(1, title="p16(INK4a) and K(ATP) expression in beta cells after exosome therapy", doi=None)
    b = record(2, title="p16INK4a and KATP expression in beta cells after exosome therapy", doi=None)
    assert decide(a, b).outcome == DUPLICATE


@pytest.mark.parametrize("authors", [
    ["Ebrahimm, Nesrine", "Ahmed, Inas A.", "Hussien, Noha I."],     # typo
    ["Ebrahim N", "Ahmed IA", "Hussien NI"],                        # Vancouver
    ["Ebrahim N.Ahmed I. A.Hussien N. I."],                         # glued (one string)
    ["Ebrahim, Nesrine", "Ahmed, Inas A.", "Hussien, Noha I.", "Cells Study Group"],
])
def test_author_variants_are_found(authors):
    from datasette_mscdm.dedup.keys import split_authors
    if len(authors) == 1:
        authors = split_authors(authors[0])
    assert decide(record(1), record(2, authors=authors, doi=None)).outcome == DUPLICATE


def test_compound_surnames_are_found():
    a = record(1, authors=["van der Graaf, Yolanda", "de Boer, A"], doi=None)
    b = record(2, authors=["Van Graaf Y", "Boer A de"], doi=None)
    assert decide(a, b).outcome == DUPLICATE


def test_percent_encoded_dois_match_and_do_not_block_the_title():
    a = record(1, doi="10.1016/S0306-3623(98)00050-0")
    b = record(2, doi="http://dx.doi.org/10.1016/S0306-3623%2898%2900050-0")
    pair = decide(a, b)
    assert pair.fields["doi"] == "same"
    assert pair.outcome == DUPLICATE


def test_a_merged_record_keeps_every_key():
    # Record 1 was merged from two copies: it carries both copies' titles and DOIs.
    merged = DedupRecord.of(1, title=[ARTICLE["title"], "Exosomes from MSCs restore autophagy in DN rats"],
                            authors=ARTICLE["authors"], year=2018, journal="Cells",
                            doi=["10.3390/cells7120226", "10.3390/CELLS7120226"], pmid=["30513715"])
    # A third copy that matches only the second copy's title, and one that matches only its PMID.
    third = DedupRecord.of(2, title="Exosomes from MSCs restore autophagy in DN rats",
                           authors=["Ebrahim N"], year=2018, journal="Cells (Basel)")
    fourth = DedupRecord.of(3, title=ARTICLE["title"][:70], pmid="30513715", year=2018)
    assert clusters_of(merged, third, fourth) == [[1, 2, 3]]


def test_year_off_by_one_is_found():
    assert decide(record(1), record(2, year=2019, doi=None)).outcome == DUPLICATE


def test_copy_without_authors_is_found():
    assert decide(record(1), record(2, authors=[], doi=None)).outcome == DUPLICATE


def test_page_styles_are_the_same_pages():
    assert decide(record(1, pages="226-40"), record(2, pages="226-240", doi=None)).fields["pages"] == "same"
    # PLoS/BMJ: printed pages in one database, the article number in another.
    online = record(3, pages="e12724", doi=None)
    assert decide(record(1, pages="1-6"), online).fields["pages"] is None
    assert decide(record(1, pages="1-6"), online).outcome == DUPLICATE
    assert decide(record(1, pages="1-6"), record(4, pages="7-12", doi=None)).outcome == DISTINCT


def test_journal_abbreviation_counts_as_the_same_journal():
    pair = decide(record(1, journal="Journal of Extracellular Vesicles", doi=None),
                  record(2, journal="J Extracell Vesicles", doi=None))
    assert pair.fields["journal"] == "same"
    assert pair.outcome == DUPLICATE


# ---------------------------------------------------------------- what the queue and the loader use

def test_decisions_carry_reasons_and_json_ready_fields():
    pair = decide(record(1), record(2, doi=None, title=ARTICLE["title"] + " [Review]"))
    data = pair.as_dict()
    assert data["outcome"] == DUPLICATE and 0 < data["score"] <= 1
    assert "title same" in data["reasons"] and "pages same" in data["reasons"]
    assert data["fields"]["doi"] is None


def test_uncertain_pairs_are_queued_not_guessed():
    a = record(1, authors=["Ebrahim, Nesrine"], doi=None, pages=None, volume=None, issue=None)
    b = record(2, authors=["Hussien, Noha"], doi=None, pages=None, volume=None, issue=None,
               title=ARTICLE["title"].replace("in rats", "in mice"))
    result = find_duplicates([a, b])
    assert result.clusters == []
    assert [(p.a, p.b, p.outcome) for p in result.maybe] == [(1, 2, MAYBE)]


def test_pairs_people_rejected_are_never_proposed_or_chained():
    a, b, c = record("a", doi=None), record("b", doi=None), record("c", doi=None)
    result = find_duplicates([a, b, c], not_duplicates=[("a", "c")])
    assert not any({"a", "c"} <= set(cluster) for cluster in result.clusters)
    assert not any({p.a, p.b} == {"a", "c"} for p in result.maybe + result.duplicates)


def test_new_ids_compare_only_new_records_with_everything():
    old = [record(1, doi=None), record(2, doi=None)]   # already one cluster in the database
    new = [record(3, doi=None)]
    result = find_duplicates(old + new, new_ids=[3])
    assert {frozenset((p.a, p.b)) for p in result.duplicates} <= {frozenset((1, 3)), frozenset((2, 3))}
    assert result.duplicates


def test_cluster_keeps_input_order_so_the_earliest_record_is_kept():
    result = find_duplicates([record("z", doi=None), record("a", doi=None), record("m")])
    assert result.clusters == [["z", "a", "m"]]


def test_ids_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        find_duplicates([record(1), record(1)])


def test_a_load_computes_the_blocking_fields_and_keys_the_engine_does():
    """blocking_fields (what a load computes for each record it reads) agrees
    with prepare on every field it has, hence on the stored keys, for every
    record of the shared sets."""
    names = BlockingFields.__slots__
    checked = 0
    for folder in sorted((CORPUS / "dedup").iterdir()):
        for record in load_benchmark(folder).records:
            fields, features = blocking_fields(record), prepare(record)
            assert {n: getattr(fields, n) for n in names} == {n: getattr(features, n) for n in names}
            assert live_keys(fields) == live_keys(features)
            leading = set(live_keys(fields)[:identifier_count(fields)])
            assert leading == set(live_keys(features)[:identifier_count(features)])
            # live_keys lists the DOI and PMID keys first (identifier_count).
            assert leading == (
                {key_hash(("doi", doi)) for doi in fields.dois}
                | {key_hash(("pmid", pmid)) for pmid in fields.pmids})
            checked += 1
    assert checked > 3000
