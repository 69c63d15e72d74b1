"""The two seed documents load with their exact field values."""

import json

from click.testing import CliRunner

from conftest import DATA
from datasette_mscdm.cli import cli

SEED_A = next(DATA.glob("000_*.txt"))
SEED_B = next(DATA.glob("001_*.txt"))


def load_one(db, path, rows):
    result = CliRunner().invoke(cli, ["load", str(db), str(path)])
    assert result.exit_code == 0, result.output
    [record] = rows(db, "select * from records")
    return record


def test_seed_a_aggregator_record(fresh_db, rows):
    r = load_one(fresh_db, SEED_A, rows)
    assert r["title"] == ("The Potential of Mesenchymal Stem Cell-Derived Exosomes to Treat "
                          "Diabetes Mellitus.")
    assert json.loads(r["authors"]) == ["Ju-El Kim", "Jong-Won Lee", "Gi Doo Cha", "Jeong-Kee Yoon"]
    assert r["first_author"] == "Ju-El Kim"
    assert r["doi"] == "10.3390/biomimetics10010049"
    assert r["year"] == 2025
    assert r["publication_date"] == "2025-01-14"
    assert r["journal"] == "Biomimetics"
    assert (r["volume"], r["issue"], r["pages"]) == ("10", "1", None)
    assert json.loads(r["publication_types"]) == ["Journal Article"]
    assert r["citation_count"] == 0
    assert r["journal_impact_factor"] == 3.4
    assert r["jcr_quartile"] == "Q1"
    assert r["jcr_category"] == "ENGINEERING, MULTIDISCIPLINARY"
    assert r["cas_region"] == 3
    assert r["cas_category"] == "医学"
    assert r["is_open_access"] == 0
    assert r["pdf_url"] == "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC11760843/pdf/"
    assert r["url"] == "https://doi.org/10.3390/biomimetics10010049"
    assert json.loads(r["databases"]) == ["Semantic Scholar"]
    # HTML removed from the abstract; the Greek beta survives.
    assert r["abstract"].startswith("Diabetes mellitus (DM) is a fatal metabolic disease")
    assert "<p>" not in r["abstract"] and "β-cell" in r["abstract"]
    assert r["abstract"].endswith("both type 1 and type 2 DM.")
    extra = json.loads(r["extra"])
    assert extra["PeriodicalId"] == 8907
    assert extra["journal volume (as given)"] == "10 1"
    assert "TitleCN" in extra and "Score" in extra  # nothing dropped, nulls included
    assert json.loads(r["missing_fields"]) == []
    [occurrence] = rows(fresh_db, "select * from occurrences")
    assert occurrence["raw"] == SEED_A.read_text(encoding="utf-8").strip()
    assert occurrence["line"] == 1


def test_seed_b_ai_summary_record(fresh_db, rows):
    r = load_one(fresh_db, SEED_B, rows)
    assert r["title"] is None and r["doi"] is None
    assert json.loads(r["claims"]) == [
        "Mesenchymal stem cell-derived extracellular vesicles demonstrate significant therapeutic "
        "potential for treating type 2 diabetes by improving insulin resistance, modulating "
        "inflammation, and promoting tissue repair.",
        "MSC-EVs offer a promising cell-free therapeutic approach for managing type 2 diabetes and "
        "its complications, though clinical translation requires overcoming production and "
        "standardization challenges.",
    ]
    assert r["first_author"] == "Zhang"
    assert r["study_design"] == "review"
    assert r["population"] == "Type 2 diabetes and its complications"
    assert r["intervention"] == "Mesenchymal stem cell-derived extracellular vesicles (MSC-EVs)"
    assert r["abstract"].startswith("Type 2 diabetes (T2D) and its complications represent")
    assert r["abstract"].endswith("an effective and safe treatment option.")
    assert json.loads(r["missing_fields"]) == ["title", "year", "journal", "doi"]
    extra = json.loads(r["extra"])
    assert extra["study summary"].startswith("Zhang et al. (Sun,) conducted a review")
    assert extra["finding"].startswith("Mesenchymal stem cell-derived extracellular vesicles")
    assert extra["summary parenthesis"] == "Sun,"


def test_seed_folder_of_many_files_and_multi_record_file(tmp_path, fresh_db, rows):
    folder = tmp_path / "collection"
    folder.mkdir()
    text = SEED_A.read_text(encoding="utf-8")
    for i in range(5):
        (folder / f"{i:03}.txt").write_text(text.replace("biomimetics10010049", f"x{i}")
                                            .replace("The Potential", f"Study {i}: The Potential"),
                                            encoding="utf-8")
    (folder / "both.txt").write_text(text + "\n" + text.replace("10.3390", "10.9999").replace(
        "The Potential", "Another"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(folder)])
    assert result.exit_code == 0, result.output
    assert rows(fresh_db, "select count(*) n from sources")[0]["n"] == 6
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 7
    # both.txt's first record is the seed itself; the second is a new work.
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 7
