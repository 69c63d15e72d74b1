"""Comparison keys: the normalised forms two records are compared on.

These are *comparison* keys, not display values: a title key drops the notes
databases append, a surname key drops particles, a DOI key is percent-decoded.
Nothing here is stored as the record's value; a load stores hashed blocking
keys built from them (blocking.live_keys). Every function is pure and cheap (the engine calls them
once per record, 100k records in a few seconds), which is why they are
regular expressions and `str` methods rather than a general NLP library.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from ..records import find_doi, normalise_doi

# ---------------------------------------------------------------- text

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*[^<>]*>")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _greek_to_names(text: str) -> str:
    """`γ` -> ` gamma `: one database writes `IFN-γ`, another `IFN-gamma`.
    unicodedata names the letter, so no table is needed."""
    if text.isascii():
        return text
    out = []
    for char in text:
        if "\u0370" <= char <= "\u03ff" or char == "\u00b5":
            name = unicodedata.name(char, "")
            # "GREEK SMALL LETTER GAMMA" / "MICRO SIGN"
            if name.startswith("GREEK") and " LETTER " in name:
                out.append(name.rsplit(" ", 1)[-1].lower())
                continue
            if name == "MICRO SIGN":
                out.append("mu")
                continue
        out.append(char)
    return "".join(out)


def fold(text: str) -> str:
    """Lower-case ASCII words: markup, accents, Greek letters and punctuation
    resolved, words separated by one space."""
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = _greek_to_names(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text.lower()).strip()


# ---------------------------------------------------------------- titles

LANGUAGES = (
    "afrikaans albanian arabic armenian bosnian bulgarian catalan chinese croatian czech danish "
    "dutch english estonian finnish french georgian german greek hebrew hungarian icelandic "
    "indonesian italian japanese korean latvian lithuanian macedonian malay norwegian persian "
    "polish portuguese romanian russian serbian slovak slovene slovenian spanish swedish thai "
    "turkish ukrainian vietnamese"
).split()
_LANGUAGE = "|".join(LANGUAGES)

# Notes that databases append to or wrap around a title; they are not part of it.
_TITLE_NOTES = [
    # Ovid MEDLINE: "[Review] [45 refs]", "[45 refs]", "[Erratum appears in ...]",
    # "[Comment in: ...]", "[Retraction in ...]", "[Update of ...]", "[Corrected and republished ...]"
    # Only the notes' own wording: a translated title "[Update on HPV ...]" stays.
    # A note cut short with the title (no "]") runs to the end.
    re.compile(r"\[\s*(?:review|\d+\s+refs?|erratum|(?:published )?erratum (?:in|appears)\b[^\]]*"
               r"|comments? (?:in|on)\s*:[^\]]*|retraction (?:in|of)\s*:[^\]]*|retracted\b[^\]]*"
               r"|update (?:in|of)\s*:[^\]]*|corrected and republished\b[^\]]*"
               r"|see comments?|editorial|letter|news|abstract|summary for patients\b[^\]]*)\s*(?:\]|$)",
               re.IGNORECASE),
    # CRD / DARE / Embase: "(Provisional abstract)", "(Structured abstract)", "(Brief record)"
    re.compile(r"\(\s*(?:provisional|structured|brief)\s+(?:abstract|record)\s*\)", re.IGNORECASE),
    re.compile(r"\(\s*(?:abstract|author'?s transl|author's translation)\s*\)\s*$", re.IGNORECASE),
    # Language tags: "[Chinese]", ". [Russian]", "[Article in German]", "[French, English]"
    re.compile(rf"\[\s*(?:article in\s+)?(?:{_LANGUAGE})(?:\s*(?:,|and|&)\s*(?:{_LANGUAGE}))*"
               rf"(?:\s+abstract)?\s*\]", re.IGNORECASE),
    re.compile(r"^\s*(?:retracted(?: article)?|withdrawn)\s*[:.]\s*", re.IGNORECASE),
    re.compile(r"\(\s*(?:retracted|withdrawn)(?: article)?\s*\)", re.IGNORECASE),
]
_BRACKETED_TITLE = re.compile(r"^\s*\[(.+)\]\s*[.]?\s*$", re.DOTALL)


def strip_title_notes(title: str) -> str:
    """The title without database notes and language tags; a title wholly in
    square brackets (MEDLINE's translated titles) loses its brackets."""
    text = title
    if "<" in text:
        text = _TAG.sub("", text)
    for pattern in _TITLE_NOTES:
        if "[" in text or "(" in text or pattern.pattern.startswith("^"):
            text = pattern.sub(" ", text)
    text = text.strip(" .;,")
    match = _BRACKETED_TITLE.match(text)
    if match and "[" not in match.group(1) and "]" not in match.group(1):
        text = match.group(1)
    return " ".join(text.split()).strip(" .;,")


def title_words(title: str | None) -> list[str]:
    """The title's words after notes are stripped and text folded."""
    if not title:
        return []
    return fold(strip_title_notes(title)).split()


def title_compact(words: list[str]) -> str:
    """Words joined without spaces, so punctuation inside a word does not
    matter: `p16(INK4a)` == `p16INK4a`, `K(ATP)` == `KATP`, `ApoE-/-` == `ApoE(-/-)`."""
    return "".join(words)


# ---------------------------------------------------------------- publication kinds

# What a record is, when it is not the article itself: an erratum of an article
# carries the article's title, a reply quotes it, so equal titles are not enough.
_KIND_TITLE = [
    ("erratum", re.compile(r"^\W*(?:erratum|errata|corrigendum|correction|author correction|"
                           r"publisher correction|publisher'?s note)\b", re.IGNORECASE)),
    ("erratum", re.compile(r"\b(?:erratum|corrigendum)\W*$", re.IGNORECASE)),
    ("retraction", re.compile(r"^\W*(?:retraction(?: notice)?|notice of retraction|"
                              r"expression of concern)\b", re.IGNORECASE)),
    # Replies and comments, not titles that merely start with "Response"
    # ("Response of tumour cells to ...") or end with it ("Immune response").
    ("reply", re.compile(r"^\W*(?:re\s*:|reply\b|in reply\b|authors?'?s?'? (?:reply|response)\b|"
                         r"response\s*:|response to (?:the )?(?:letter|comments?|commentary|"
                         r"correspondence|editorial|critique|criticism|reviewers?)\b|"
                         r"comments? on\b|comment\s*:|commentary on\b|letter to the editor\b)",
                         re.IGNORECASE)),
    ("reply", re.compile(r"(?:\breply|authors?'?s?'? response)\W*$", re.IGNORECASE)),
]
_KIND_TYPES = [
    ("erratum", re.compile(r"\b(?:erratum|corrigendum|correction)\b", re.IGNORECASE)),
    ("retraction", re.compile(r"\bretraction of publication\b|\bretraction notice\b|"
                              r"\bexpression of concern\b", re.IGNORECASE)),
    ("reply", re.compile(r"^\s*(?:comment|reply|response)\s*$", re.IGNORECASE)),
]
_CONFERENCE = re.compile(r"\b(?:conference|congress|meeting|symposium|proceedings|"
                         r"inproceedings|workshop|colloquium|abstracts|convention)\b",
                         re.IGNORECASE)
_SUPPLEMENT = re.compile(r"\b(?:suppl|supplement|meeting abstracts?)\b|^s\d", re.IGNORECASE)


def publication_kind(title: str | None, publication_types=()) -> str:
    """`article` unless the title or the publication types say erratum,
    retraction (the notice, not the retracted article) or reply/comment."""
    for kind, pattern in _KIND_TITLE:
        if title and pattern.search(title):
            return kind
    for kind, pattern in _KIND_TYPES:
        if any(pattern.search(t) for t in publication_types):
            return kind
    return "article"


def looks_like_conference(journal: str | None, issue: str | None, volume: str | None,
                          publication_types=()) -> bool:
    """A conference abstract or paper: the venue, the issue (`Suppl`, `Meeting
    Abstracts`) or the publication type says so. A hint, not proof: a
    supplement can hold articles, so the engine never vetoes on this alone."""
    if journal and _CONFERENCE.search(journal):
        return True
    if any(_CONFERENCE.search(t) for t in publication_types):
        return True
    return any(value and _SUPPLEMENT.search(value) for value in (issue, volume))


def any_conference(journals, issues, volumes, publication_types=()) -> bool:
    """looks_like_conference over every combination of a merged record's
    values, without forming the combinations (each test reads one value)."""
    return (any(_CONFERENCE.search(j) for j in journals if j)
            or any(_CONFERENCE.search(t) for t in publication_types)
            or any(_SUPPLEMENT.search(v) for v in (*issues, *volumes) if v))


# ---------------------------------------------------------------- authors

PARTICLES = frozenset(
    "van vans von der den de del della delle di da das dos du le la les lo ter ten zu zur "
    "af av al el bin ibn st saint mac".split())
_SUFFIXES = frozenset("jr sr ii iii iv 2nd 3rd".split())
_GROUP = re.compile(r"\b(?:group|groups|committee|consortium|investigators|collaborat\w*|"
                    r"society|association|network|team|working party|writing|study|trial|"
                    r"organi[sz]ation|council|institute|panel|task force|board)\b",
                    re.IGNORECASE)
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}\.?$")
# "Adeli K.Lewis G. F." (an export that lost its separators): a new name starts
# where an initial's full stop is followed directly by a capitalised word.
_GLUED_NAMES = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z])")


def is_group_author(name: str) -> bool:
    return bool(_GROUP.search(name)) and len(name.split()) >= 2


def split_authors(value: str | None) -> list[str]:
    """One author string as exports write it: `A and B` (BibTeX), `A; B`,
    or names run together after initials (`Adeli K.Lewis G. F.`)."""
    if not value or not value.strip():
        return []
    if " and " in value:
        parts = re.split(r"\s+and\s+", value)
    elif ";" in value:
        parts = value.split(";")
    else:
        parts = _GLUED_NAMES.split(value)
    return [p.strip() for p in parts if p.strip()]


def _surname_part(name: str) -> str:
    name = name.strip()
    if "," in name:
        last, rest = name.split(",", 1)
        last_tokens = [t for t in fold(last).split() if t not in _SUFFIXES]
        if last_tokens and all(t in PARTICLES for t in last_tokens):
            # "van, Hamont D": the database split a compound surname at its particle.
            rest_tokens = [t for t in rest.split() if not _INITIALS.match(t)]
            return " ".join(last_tokens + rest_tokens[:1]) if rest_tokens else last
        return last
    tokens = name.split()
    if len(tokens) > 1:
        # Vancouver "Smith JA" / "El Hachmane M." / "Lewis G. F.": initials last.
        vancouver = False
        while len(tokens) > 1 and (_INITIALS.match(tokens[-1]) or fold(tokens[-1]) in _SUFFIXES):
            tokens = tokens[:-1]
            vancouver = True
        if vancouver or len(tokens) == 1:
            return " ".join(tokens)
        # "Chaoqun Deng" / "Ludwig van Beethoven": the surname is last, with its particles.
        surname = [tokens[-1]]
        for token in reversed(tokens[:-1]):
            if token.lower() in PARTICLES:
                surname.insert(0, token)
            else:
                break
        return " ".join(surname)
    return name


@lru_cache(maxsize=200_000)
def surname_key(name: str | None) -> str | None:
    """The family name as one lower-case ASCII token without particles:
    `van der Graaf, J` / `Van Graaf J` / `J. van der Graaf` -> `graaf`;
    `Puig-Domingo M.` -> `puigdomingo`. None for group authors and blanks."""
    if not name or is_group_author(name):
        return None
    tokens = fold(_surname_part(name)).split()
    kept = [t for t in tokens if t not in PARTICLES and t not in _SUFFIXES]
    key = "".join(kept or tokens)
    return key or None


def author_keys(authors) -> tuple[str, ...]:
    """Surname keys of the personal authors, in order (group authors dropped:
    one database lists `ALTS Group`, another does not)."""
    keys = []
    for name in authors or ():
        key = surname_key(name)
        if key:
            keys.append(key)
    return tuple(keys)


MAX_AUTHOR_WORDS = 20


@lru_cache(maxsize=65_536)
def author_words(authors: tuple[str, ...]) -> frozenset[str]:
    """Every word of 3+ letters in the first names of the list, particles and
    all: a database that put the given name in the surname field
    (`Luis Ferreira, Santos A`) still shows `santos` somewhere. Computed only
    for the pairs whose surnames disagree, hence cached rather than stored."""
    words = set()
    for name in list(authors or ())[:MAX_AUTHOR_WORDS]:
        words.update(w for w in fold(name).split() if len(w) >= 3)
    return frozenset(words)


# ---------------------------------------------------------------- journals

_JOURNAL_CUT = re.compile(r"(?:\.|:)\s*(?:conference|meeting|congress|symposium)\b.*$",
                          re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)")
_JOURNAL_STOP = frozenset("the of and in for on a an de der des la le du und et fur".split())


@lru_cache(maxsize=50_000)
def journal_key(journal: str | None) -> tuple[str, ...]:
    """The journal's significant words: `Obesity (Silver Spring)` -> (obesity,);
    `Circulation. Conference: AHA ...` -> (circulation,); `&` and stop words dropped."""
    if not journal:
        return ()
    text = _JOURNAL_CUT.sub("", journal)
    text = _PARENS.sub(" ", text).replace("&", " and ")
    return tuple(w for w in fold(text).split() if w not in _JOURNAL_STOP)


def journals_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool | None:
    """Whether two journal keys can name the same journal: equal, or every word
    of the shorter is a prefix of a word of the longer, in order, with at most
    one word of the longer left over (ISO/NLM abbreviations `J Am Coll Cardiol`
    ~ `Journal of the American College of Cardiology`; `JNCCN Journal of the
    National ...` ~ `Journal of the National ...`), but `Cancer` is not `Cancer
    Epidemiology Biomarkers & Prevention`. None when either is unknown. No
    per-journal table: the abbreviation standards abbreviate by truncating
    words and dropping stop words, which this rule undoes for any journal."""
    if not a or not b:
        return None
    if a == b:
        return True
    if "".join(a) == "".join(b):
        return True  # "Hematology/Oncology" vs "HematologyOncology"
    if len(a) == len(b):
        return _abbreviates(a, b) or _abbreviates(b, a)
    return _abbreviates(a, b) if len(a) < len(b) else _abbreviates(b, a)


def _abbreviates(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    position = matched = 0
    for word in short:
        while position < len(long) and not long[position].startswith(word):
            position += 1
        if position == len(long):
            return False
        position += 1
        matched += 1
    left_over = len(long) - matched
    return left_over == 0 or (left_over == 1 and len(short) >= 2)


# ---------------------------------------------------------------- numbers: pages, volume, issue

_PAGE_PREFIX = re.compile(r"^\s*(?:pp?\.?|pages?)\s*", re.IGNORECASE)
_PAGE_RANGE = re.compile(r"\s*(?:-+|\u2013|\u2014|\u2212|_)\s*")
_PAGE_TOKEN = re.compile(r"([a-z]{0,3})0*(\d+)([a-z]?)")


def _page_token(token: str) -> str | None:
    """`A175.E1638` (Embase: page and e-locator) -> `a175`; `S417` -> `s417`;
    `e001469` -> `e1469` (leading zeros say nothing); no digit -> None."""
    match = _PAGE_TOKEN.search(token.strip().lower())
    if not match:
        return None
    return "".join(match.groups())


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    """(first page, last page) as comparison keys: `123-9` -> ('123', '129'),
    `e001469` -> ('e1469', None), `S417-S429` -> ('s417', 's429').
    A first page with no digit (`Suppl-29`, `t-8`, exports mangled) is unknown."""
    if not pages:
        return None, None
    text = _PAGE_PREFIX.sub("", str(pages))
    parts = _PAGE_RANGE.split(text.strip(), maxsplit=1)
    start = _page_token(parts[0]) if parts else None
    end = _page_token(parts[1]) if len(parts) > 1 else None
    if start and end and start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end  # 123-9 -> 129
    return start, end


_INT = re.compile(r"\d+")


def number_set(value: str | None) -> frozenset[int]:
    """The integers in a volume or issue (`38 (Supplement 1)` -> {38, 1},
    `Korsakova. Part 2. 117` -> {2, 117}): two values agree when they share one,
    which tolerates the supplements and labels exports add."""
    if not value:
        return frozenset()
    text = str(value)
    if text.count(")") > text.count("("):
        return frozenset()  # "1)": the rest of "61 (Suppl 1)" went elsewhere; unreliable
    return frozenset(int(n) for n in _INT.findall(text) if len(n) <= 6)


# ---------------------------------------------------------------- identifiers



def doi_key(value: str | None) -> str | None:
    """The DOI as a comparison key: records.normalise_doi (resolver and `doi:`
    prefixes stripped, percent-decoded, lower-cased, SICI `<` `>` kept), so
    `...S0306-3623%2898%2900050-0` and `...s0306-3623(98)00050-0` give the
    same key. A value that is not a DOI as a whole (a DOI inside a note or a
    link) gives the DOI found in it."""
    if not value:
        return None
    return normalise_doi(value) or find_doi(value)


def pmid_key(value) -> str | None:
    if value is None:
        return None
    match = re.search(r"\d{1,9}", str(value))
    return str(int(match.group(0))) if match and int(match.group(0)) else None


def dois_related(a: str, b: str) -> bool:
    """One DOI is the other cut short or extended (`10.1093/eurheartj/ehx502`
    vs `...ehx502.P4339`): the pair says nothing either way."""
    return a.startswith(b) or b.startswith(a)
