"""Names of the places records were found, normalised: `web_of_science`,
`Web of Science`, `WOS` and `{Scopus}`-style BibTeX values name one
database each, and PRISMA counts records per database, never per spelling.

A table of canonical names with their aliases, and a key that makes
spellings comparable (case, braces, underscores, `(R)` marks, Ovid's
`<1946 to May 2023>` coverage notes, `Ovid` / `EBSCOhost` platform
prefixes). Pure functions, used when loading (what is stored) and when
counting PRISMA (so databases loaded by older versions group right too).

Hand-written: no library keeps such a table; the names are those reviews
report (PRISMA-S, Cochrane Handbook ch. 4) and that exports write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath

DATABASE = "database"
REGISTER = "register"
OTHER = "other"          # PRISMA's "other methods": citation searching, websites, ...


@dataclass(frozen=True)
class KnownSource:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    # A key that starts with one of these (whole words) is this source too:
    # "Embase Classic+Embase", "MEDLINE ALL", "CINAHL Plus with Full Text".
    prefixes: tuple[str, ...] = ()


KNOWN_SOURCES: tuple[KnownSource, ...] = (
    KnownSource("PubMed", DATABASE, (
        "pubmed", "medline", "pubmed medline", "medline pubmed", "ncbi pubmed", "pubmed ncbi",
        "nlm pubmed", "national library of medicine", "us national library of medicine"),
        ("pubmed", "medline")),
    KnownSource("Embase", DATABASE, ("embase", "embase com", "excerpta medica"), ("embase",)),
    KnownSource("Scopus", DATABASE, ("scopus", "elsevier scopus", "scopus com"), ("scopus",)),
    KnownSource("Web of Science", DATABASE, (
        "web of science", "wos", "webofscience", "wos core collection", "isi web of knowledge",
        "web of knowledge", "isi web of science", "clarivate web of science",
        "clarivate analytics web of science", "science citation index",
        "science citation index expanded", "sci expanded", "social sciences citation index"),
        ("web of science", "isi web of")),
    KnownSource("Cochrane Library", DATABASE, (
        "cochrane", "central", "cdsr", "cochrane central", "cochrane library",
        "cochrane central register of controlled trials", "cochrane database of systematic reviews",
        "wiley cochrane library", "cochrane reviews", "cochrane trials"), ("cochrane",)),
    KnownSource("CINAHL", DATABASE, ("cinahl", "cinahl complete", "cinahl plus"), ("cinahl",)),
    KnownSource("PsycINFO", DATABASE, ("psycinfo", "apa psycinfo", "psyc info", "psycinfo apa"),
                ("psycinfo", "apa psycinfo")),
    KnownSource("Google Scholar", DATABASE, ("google scholar", "googlescholar",
                                             "scholar google com")),
    KnownSource("Semantic Scholar", DATABASE, ("semantic scholar", "semanticscholar")),
    KnownSource("OpenAlex", DATABASE, ("openalex", "open alex")),
    KnownSource("Crossref", DATABASE, ("crossref", "cross ref")),
    KnownSource("Europe PMC", DATABASE, ("europe pmc", "europepmc")),
    KnownSource("LILACS", DATABASE, ("lilacs",)),
    KnownSource("ERIC", DATABASE, ("eric",)),
    KnownSource("CAB Abstracts", DATABASE, ("cab abstracts", "cab direct", "cabi"),
                ("cab abstracts",)),
    KnownSource("BIOSIS Previews", DATABASE, ("biosis", "biosis previews")),
    KnownSource("AMED", DATABASE, ("amed", "allied and complementary medicine")),
    KnownSource("Global Index Medicus", DATABASE, ("global index medicus", "gim")),
    KnownSource("SciELO", DATABASE, ("scielo", "scielo citation index")),
    KnownSource("CNKI", DATABASE, ("cnki", "china national knowledge infrastructure")),
    KnownSource("ProQuest Dissertations & Theses", DATABASE, (
        "proquest dissertations and theses", "proquest dissertations and theses global",
        "pqdt", "pqdt global")),
    KnownSource("IEEE Xplore", DATABASE, ("ieee xplore", "ieeexplore",
                                          "ieee xplore digital library")),
    KnownSource("ACM Digital Library", DATABASE, ("acm digital library", "acm dl")),
    KnownSource("Dimensions", DATABASE, ("dimensions", "dimensions ai")),
    KnownSource("Lens.org", DATABASE, ("lens", "lens org", "the lens")),
    KnownSource("bioRxiv", DATABASE, ("biorxiv",)),
    KnownSource("medRxiv", DATABASE, ("medrxiv",)),
    KnownSource("Epistemonikos", DATABASE, ("epistemonikos",)),
    # Trial and review registers: PRISMA counts them apart from databases.
    KnownSource("ClinicalTrials.gov", REGISTER, (
        "clinicaltrials gov", "clinical trials gov", "clinicaltrials", "ct gov", "nct")),
    KnownSource("WHO ICTRP", REGISTER, (
        "who ictrp", "ictrp", "international clinical trials registry platform",
        "who international clinical trials registry platform", "who trials search portal")),
    KnownSource("EU Clinical Trials Register", REGISTER, (
        "eu ctr", "euctr", "eu clinical trials register", "eudract",
        "clinicaltrialsregister eu")),
    KnownSource("EU CTIS", REGISTER, ("ctis", "eu ctis", "clinical trials information system",
                                     "euclinicaltrials eu")),
    KnownSource("ISRCTN", REGISTER, ("isrctn", "isrctn registry")),
    KnownSource("ANZCTR", REGISTER, ("anzctr", "australian new zealand clinical trials registry")),
    KnownSource("ChiCTR", REGISTER, ("chictr", "chinese clinical trial registry")),
    KnownSource("CTRI", REGISTER, ("ctri", "clinical trials registry india")),
    KnownSource("DRKS", REGISTER, ("drks", "german clinical trials register")),
    KnownSource("PROSPERO", REGISTER, ("prospero",)),
    # PRISMA 2020's "other methods".
    KnownSource("Citation searching", OTHER, (
        "citation searching", "citation search", "citations", "citation chasing",
        "reference lists", "reference list checking", "reference list searching",
        "backward citation searching", "forward citation searching", "snowballing")),
    KnownSource("Websites", OTHER, ("websites", "website", "web sites", "website searching")),
    KnownSource("Organisations", OTHER, ("organisations", "organizations", "organisation",
                                         "organization")),
    KnownSource("Hand searching", OTHER, ("hand searching", "handsearching", "hand search")),
    KnownSource("Contact with experts", OTHER, ("contact with experts", "experts",
                                                "expert contact")),
)

# Search platforms written before a database's name ("Ovid MEDLINE(R)",
# "EBSCOhost CINAHL"): the database is what PRISMA reports.
_PLATFORMS = ("ovid", "ebscohost", "ebsco host", "ebsco", "proquest", "wiley")

_COVERAGE = re.compile(r"<[^<>]*>")            # Ovid: "Embase <1974 to 2023 May 05>"
_MARKS = re.compile(r"\((r|tm)\)|[®™]", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-–—/.,:;+|()]+")


def clean(name: str | None) -> str | None:
    """The name as written, without surrounding braces or quotes and with
    its white space collapsed; None for an empty name."""
    if name is None:
        return None
    text = " ".join(str(name).split())
    while len(text) >= 2 and (text[0], text[-1]) in (("{", "}"), ('"', '"'), ("'", "'"),
                                                     ("[", "]")):
        text = text[1:-1].strip()
    return text or None


def key(name: str | None) -> str:
    """A spelling-independent key: `{Web_of_Science}` and `web of science`
    share one."""
    text = clean(name) or ""
    text = _COVERAGE.sub(" ", text)
    text = _MARKS.sub(" ", text).casefold().replace("&", " and ")
    text = text.replace("{", " ").replace("}", " ").replace('"', " ").replace("'", "")
    return " ".join(_SEPARATORS.sub(" ", text).split())


def _build_index() -> tuple[dict[str, KnownSource], list[tuple[str, KnownSource]]]:
    exact, prefixes = {}, []
    for source in KNOWN_SOURCES:
        for alias in (source.name, *source.aliases):
            exact[key(alias)] = source
        prefixes += [(key(prefix), source) for prefix in source.prefixes]
    prefixes.sort(key=lambda item: -len(item[0]))  # longest first
    return exact, prefixes


_EXACT, _PREFIXES = _build_index()


def known_source(name: str | None) -> KnownSource | None:
    """The known database, register or other method a name stands for."""
    k = key(name)
    if not k:
        return None
    candidates = [k]
    for platform in _PLATFORMS:
        if k.startswith(platform + " "):
            candidates.append(k[len(platform) + 1:])
    for candidate in candidates:
        if candidate in _EXACT:
            return _EXACT[candidate]
    for candidate in candidates:
        for prefix, source in _PREFIXES:
            if candidate == prefix or candidate.startswith(prefix + " "):
                return source
    return None


@lru_cache(maxsize=4096)  # a load asks once per record, of a few names
def canonical_source(name: str | None) -> str | None:
    """The canonical name of a known source, else the name cleaned (an
    unknown database keeps its own spelling); None when nothing is named."""
    known = known_source(name)
    return known.name if known else clean(name)


def source_kind(name: str | None) -> str | None:
    """DATABASE, REGISTER or OTHER for a known name, else None."""
    known = known_source(name)
    return known.kind if known else None


def file_stem(path: str) -> str:
    """What older versions stored as the database when nothing named it:
    the file name up to its first dot."""
    return PurePath(path).name.split(".")[0]


def is_file_name_fallback(value: str | None, path: str, whole_file: bool) -> bool:
    """Whether an occurrence's stored database is an older version's
    file-name fallback rather than a name. A value equal to the file's stem
    is, unless every record of the file carries it and it names a known
    source: that is `--source Scopus` given for `Scopus.ris` (the file is
    named after its database either way)."""
    if value is None or value != file_stem(path):
        return False
    return not (whole_file and known_source(value) is not None)
