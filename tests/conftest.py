import csv
import os
import sqlite3
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The shared corpus sits beside the checkout (../shared), as on CI.
SHARED = Path(os.environ.get("MSCDM_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
DATA = REPO / "data"
ARTEFACTS = REPO / "tests" / "artefacts"
# Small export files that show one defect class each (fixtures/audit: made by
# the import-fidelity audit of issue 12).
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture
def fresh_db(tmp_path):
    """Path of a review database that does not exist yet."""
    return tmp_path / "review.db"


@pytest.fixture
def rows():
    """Query a database file: rows(db, sql, params) -> list of dicts."""

    def query(db, sql, params=()):
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    return query


def manifest_rows():
    with open(CORPUS / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fts_matches_records(db) -> bool:
    """Every record is in the full-text index exactly once (FTS5 keeps one
    docsize row per indexed row; a count of the FTS table itself would only
    read the external content table)."""
    conn = sqlite3.connect(db)
    try:
        indexed = {r[0] for r in conn.execute("select id from records_fts_docsize")}
        records = {r[0] for r in conn.execute("select id from records")}
        return indexed == records
    finally:
        conn.close()


# scripts/synthetic.py writes the generated exports the load tests use.
if str(REPO / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO / "scripts"))


# A record whose fields try to inject markup. Real tags are stripped at load;
# entity-escaped markup (as in JATS and CSL-JSON) decodes to literal "<script>"
# text, which every page must show as text. The raw record (occurrences.raw)
# keeps the real tags.
HOSTILE_RIS = """TY  - JOUR
TI  - Adipose-derived MSC exosomes &lt;script&gt;alert('title')&lt;/script&gt; heal diabetic wounds
AU  - Evil, Eve
PY  - 2024
T2  - Journal of &lt;b&gt;Bold&lt;/b&gt; Claims
DO  - 10.9999/hostile.1
UR  - javascript:alert('url')
KW  - exosome
AB  - BACKGROUND: Diabetic wounds heal slowly &lt;img src=x onerror=alert('img')&gt;.
METHODS: db/db mice received exosomes; &lt;script&gt;alert('abstract')&lt;/script&gt; was injected.
N2  - <script>alert('raw')</script>
ER  - 
"""


def build_review_db(path, tmp_path):
    """The two seeds plus the hostile record, loaded with the real CLI."""
    from click.testing import CliRunner

    from datasette_mscdm.cli import cli

    hostile = tmp_path / "hostile.ris"
    hostile.write_text(HOSTILE_RIS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["load", str(path), str(DATA), str(hostile)])
    assert result.exit_code == 0, result.output
    return path


DONNERS = CORPUS / "screening" / "synergy" / "Donners_2021.csv"


@pytest.fixture(scope="session")
def donners_review(tmp_path_factory):
    """Donners_2021 (258 labelled records) loaded once with the real CLI,
    reviewers added; tests that change it work on copies."""
    from click.testing import CliRunner

    from datasette_mscdm.cli import cli

    path = tmp_path_factory.mktemp("donners") / "review.db"
    result = CliRunner().invoke(cli, ["load", str(path), str(DONNERS)])
    assert result.exit_code == 0, result.output
    add_reviewers(path)
    return path


def record_id(path, title_like) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select id from records where title like ?", [title_like]).fetchone()[0]
    finally:
        conn.close()


def datasette_for(path, **kwargs):
    import yaml
    from datasette.app import Datasette

    metadata = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    config = yaml.safe_load((REPO / "datasette.yaml").read_text(encoding="utf-8"))
    return Datasette([str(path)] if not kwargs.get("immutables") else [],
                     metadata=metadata, config=config, **kwargs)


REVIEWERS = {"alice": "lead", "bob": "reviewer", "carol": "reviewer"}


def query(path, sql, params=()):
    """Rows of one query on its own connection (always closed)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def password_of(name: str) -> str:
    return f"{name}-secret-password"


def add_reviewers(path, reviewers=None):
    from datasette_mscdm.screening import store

    conn = store.connect(path)
    try:
        for name, role in (reviewers or REVIEWERS).items():
            store.add_reviewer(conn, name, role, password_of(name))
    finally:
        conn.close()


@pytest.fixture
def screening_db(tmp_path):
    """The seeds and the hostile record, with lead alice and reviewers bob
    and carol."""
    path = build_review_db(tmp_path / "review.db", tmp_path)
    add_reviewers(path)
    return path


async def login(ds, name, password=None, database="review") -> dict:
    """Log in through the real login form; returns the cookies to send."""
    response = await ds.client.post(f"/{database}/-/login", data={
        "name": name, "password": password or password_of(name)})
    assert response.status_code == 302, response.text
    return {"ds_actor": response.cookies["ds_actor"]}


# Headless Chromium (Debian's package; never `playwright install`).
CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="headless tests need Debian's chromium (scripts/test.sh installs it)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def shot(page, name):
    """A full-page screenshot kept in tests/artefacts/."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name), full_page=True)


# Pages people click, in headless Chromium: the two sizes every screen is
# checked at, logging in, and the screening page's keys.
SCREEN_SIZES = {"desk": (1400, 900), "phone": (390, 844)}


def open_as(browser, base, name, size, path="/review/-/screen"):
    """A browser context of that size, logged in as `name`, on `path`."""
    width, height = SCREEN_SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}/review/-/login?next=" + path.replace("/", "%2F"))
    page.fill("#mscdm-name", name)
    page.fill("#mscdm-password", password_of(name))
    page.click("input[type=submit]")
    page.wait_for_url(f"**{path}**")
    return context, page


def record_on(page) -> int:
    """The id of the record on the screening page."""
    return int(page.locator("article[data-record-id]").get_attribute("data-record-id"))


def press_and_wait(page, key):
    """Press a shortcut on the screening page; the card changes without a
    page load."""
    before = page.locator("#mscdm-card").inner_html()
    page.keyboard.press(key)
    try:
        page.wait_for_function(
            "before => document.getElementById('mscdm-card').innerHTML !== before",
            arg=before, timeout=10000)
    except Exception:
        raise AssertionError(f"pressing {key!r} changed nothing; page says: "
                             f"{page.locator('#mscdm-error').inner_text()!r}")
    # The page ignores keys for 300 ms after a new record appears (a double
    # press must not decide a record nobody has read); a reader is slower.
    page.wait_for_timeout(350)


# A review with every PRISMA box filled: see build_flow_review.
def ris(*records):
    return "".join(f"TY  - JOUR\nTI  - {title}\nPY  - 2021\nDO  - 10.1000/{key}\n"
                   f"AB  - {abstract}\nER  - \n\n" for key, title, abstract in records)


A = ("a", "MSC exosomes heal diabetic wounds in mice", "Exosomes from MSCs.")
B = ("b", "Adipose stem cells in obesity", "Adipose tissue.")
C = ("c", "Vesicles and insulin secretion", "Islet vesicles.")
D = ("d", "Umbilical MSC exosomes in diabetic nephropathy", "Kidney.")
E = ("e", "Exosomal microRNA in retinopathy", "Retina.")
F = ("f", "Bone marrow MSC vesicles for neuropathy", "Nerves.")
G = ("g", "Editorial: the promise of exosomes", "An editorial opinion.")
H = ("h", "Cardiac exosomes after infarction", "Heart.")


def _reviewers():
    from datasette_mscdm.screening import store

    return (store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer"),
            store.Reviewer("alice", "lead"))


def build_flow_review(tmp_path):
    """PubMed: A B C D E; Scopus: B C F G; citation searching (other
    methods): A H. 11 identified, 3 duplicates, 8 records. Then:
    G bulk-excluded; B, H excluded; C in conflict; A, D, E, F to full text,
    where D is not retrieved, E excluded (Insufficient data), F a conflict
    resolved as excluded (Wrong population), A included."""
    from click.testing import CliRunner

    from datasette_mscdm.cli import cli
    from datasette_mscdm.screening import store
    from datasette_mscdm.screening.protocol import parse_protocol

    protocol = parse_protocol(None)
    bob, carol, alice = _reviewers()
    db = tmp_path / "review.db"
    files = {"pubmed.ris": ([A, B, C, D, E], ["--source", "PubMed"]),
             "scopus.ris": ([B, C, F, G], ["--source", "Scopus"]),
             "citations.ris": ([A, H], ["--source", "Citation searching", "--other-methods"])}
    for name, (records, options) in files.items():
        (tmp_path / name).write_text(ris(*records), encoding="utf-8")
        result = CliRunner().invoke(cli, ["load", str(db), str(tmp_path / name), *options])
        assert result.exit_code == 0, result.output
    conn = store.connect(db)
    ids = {doi.split("/")[-1]: rid for rid, doi in conn.execute("select id, doi from records")}

    def both(key, stage, decision, reason=None, other=None):
        store.record_decision(conn, protocol, bob, ids[key.lower()], stage, decision, reason)
        store.record_decision(conn, protocol, carol, ids[key.lower()], stage, other or decision,
                              reason if (other or decision) == "exclude" else None)

    with conn:
        assert store.bulk_exclude(conn, protocol, alice, "editorial", "title_abstract",
                                  "Wrong publication type", None) == 1
        for key in "ADEF":
            both(key, "title_abstract", "include")
        both("B", "title_abstract", "exclude", "Other")
        both("H", "title_abstract", "exclude", "Other")
        both("C", "title_abstract", "include", other="exclude")
        both("A", "full_text", "include")
        store.record_decision(conn, protocol, bob, ids["d"], "full_text", "not_retrieved")
        both("E", "full_text", "exclude", "Insufficient data")
        both("F", "full_text", "include", "Wrong outcome", other="exclude")
        store.record_decision(conn, protocol, alice, ids["f"], "full_text", "exclude",
                              "Wrong population", kind="resolution")
    conn.close()
    return db, ids




def load_files(db, *paths, args=()):
    """Load files with the real CLI (`--json`); (per-file results, records
    in file order with their occurrence's raw text, JSON columns decoded)."""
    import json

    from click.testing import CliRunner

    from datasette_mscdm.cli import cli

    result = CliRunner().invoke(cli, ["load", str(db), *map(str, paths), "--json", *args])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        records = [dict(r) for r in conn.execute(
            "select r.*, o.raw, o.line from occurrences o join records r on r.id = o.record_id"
            " order by o.source_id, o.position")]
    finally:
        conn.close()
    for record in records:
        for column in ("authors", "keywords", "publication_types", "mesh", "extra"):
            record[column] = json.loads(record[column]) if record[column] else None
    return json.loads(result.stdout), records
