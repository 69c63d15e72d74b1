"""Automatic domain tags from a vocabulary (see vocabulary.yml).

A vocabulary is a list of groups (each a facet) of named terms; a term
matches a record when any of its rules finds one of its synonyms (whole
words, case-insensitive unless the rule says otherwise) or patterns in the
fields the rule looks at. Tags are text matches, never decisions.

Matching runs while loading, so it must be cheap: each field is split into
words once, and synonyms are looked up by their first word in one index for
the whole vocabulary (a regular expression per synonym cost ~1 ms a record).
Only `patterns` use regular expressions. Splitting an abstract into words is
most of the cost (~70 us), so ASCII text is split once, lower-cased, and
again as written only when a case-sensitive synonym occurs in it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

FIELDS = ("title", "abstract", "keywords", "publication_types")
DEFAULT_FIELDS = ("title", "abstract", "keywords")
# Facet names the loader and the facet configuration use themselves.
RESERVED_KEYS = {"publication_type", "database", "auto_tags"}

# A word: letters/digits, with inner apostrophes or slashes ("Wharton's",
# "db/db", "M1/M2"). Spaces, hyphens and all other punctuation separate words,
# so "high-fat diet" and "high fat diet" are the same three words.
# For ASCII text \w is [A-Za-z0-9_] either way, and re.ASCII tests it faster.
# (Not possessive quantifiers, though faster: Python 3.11.0-3.11.4 match
# "patients' data" with them as "patients'", CPython gh-106052.)
_WORD = re.compile(r"\w+(?:['/]\w+)*")
_ASCII_WORD = re.compile(_WORD.pattern, re.ASCII)


def words(text: str) -> list[str]:
    if text.isascii():
        return _ASCII_WORD.findall(text)
    return _WORD.findall(text.replace("\u2019", "'"))


def lowered_words(text: str, original: list[str] | None = None) -> list[str]:
    """words(text), lower-cased. For ASCII text, the words of the lower-cased
    text are the same (lower-casing keeps every character a letter or not);
    elsewhere lower-casing can change a word's length or letters ("İ"), so
    the words as written are lower-cased instead, in one C call (words hold
    no line breaks)."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    if original is None:
        original = words(text)
    return "\n".join(original).lower().split("\n") if original else []


class VocabularyError(ValueError):
    pass


@dataclass
class Term:
    group: str
    name: str
    requires: tuple[int, ...] = ()  # term indexes, one of which must match too


@dataclass
class _Patterns:
    term: int
    fields: tuple[str, ...]
    regex: re.Pattern
    # Lower-cased literal starts, one of which every match contains
    # ("mir-" for miR-\d+); None when a pattern has no literal start.
    needles: tuple[str, ...] | None


@dataclass
class _Synonyms:
    """The synonyms of one field and case, indexed by their first word."""
    single: dict[str, set[int]] = field(default_factory=dict)  # word -> terms
    # first word -> second word -> [(the words joined by spaces, the words
    # after the first, term)]: most phrases are ruled out by their first two
    # words in two set operations, without a look at each.
    multi: dict[str, dict[str, list[tuple[str, frozenset[str], int]]]] = field(
        default_factory=dict)
    single_words: frozenset[str] = frozenset()
    multi_words: frozenset[str] = frozenset()
    # Every word that starts a synonym: a field none of them occurs in (as
    # text) cannot match, and need not be split into words as written.
    start_words: tuple[str, ...] = ()

    def add(self, phrase: list[str], term: int):
        if len(phrase) == 1:
            self.single.setdefault(phrase[0], set()).add(term)
        else:
            self.multi.setdefault(phrase[0], {}).setdefault(phrase[1], []).append(
                (" ".join(phrase), frozenset(phrase[1:]), term))

    def freeze(self):
        self.single_words = frozenset(self.single)
        self.multi_words = frozenset(self.multi)
        self.start_words = tuple(self.single_words | self.multi_words)


_META = re.compile(r"[\\.^$*+?{}\[\]|()]")


def _starts_a_word(text: str, needle: str) -> bool:
    """Does `needle` occur in `text` at the start of a word? (A cheap test
    before a pattern's regular expression: "nct" is in "function", but no
    NCT number starts there.)"""
    at = text.find(needle)
    while at >= 0:
        if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
            return True
        at = text.find(needle, at + 1)
    return False


def _literal_start(pattern: str) -> str | None:
    start = _META.split(pattern, 1)[0]
    return start.lower() if len(start) >= 2 else None


@dataclass
class Vocabulary:
    groups: dict[str, str]  # key -> label, in order
    terms: list[Term]
    source: str  # the YAML text, stored with the tags it produced
    # field -> case_sensitive -> _Synonyms
    _index: dict = field(default_factory=dict, repr=False)
    _patterns: list[_Patterns] = field(default_factory=list, repr=False)
    # Synonyms a rule marks `case_sensitive` (SHED, EV): highlighting follows them.
    case_sensitive_synonyms: set[str] = field(default_factory=set, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def tag(self, texts: dict[str, str | None]) -> dict[str, list[str]]:
        """{group key: [term names]} for a record's field texts."""
        matched: set[int] = set()
        lowered_texts: dict[str, str] = {}
        for name, by_case in self._index.items():
            text = texts.get(name)
            if not text:
                continue
            # Non-ASCII text is split as written either way (lowered_words).
            original = None if text.isascii() else words(text)
            lowered = None
            for case_sensitive, index in by_case.items():
                if case_sensitive:
                    if original is None:  # ASCII: split only if a synonym may be there
                        for word in index.start_words:
                            if word in text:
                                break
                        else:
                            continue
                        original = words(text)
                    tokens = original
                else:
                    if lowered is None:
                        lowered = lowered_words(text, original)
                    tokens = lowered
                present = set(tokens)
                # Set operations in C find the words that start a synonym;
                # a single-word synonym matches on that alone.
                for word in present & index.single_words:
                    matched.update(index.single[word])
                starts = present & index.multi_words
                if not starts:
                    continue
                joined = None
                for first in starts:
                    by_second = index.multi[first]
                    for second in present.intersection(by_second):
                        for phrase, rest, term in by_second[second]:
                            # A phrase of several words is looked for only when
                            # all its words occur: then as a substring of the
                            # words joined by single spaces (padded, so whole words).
                            if term in matched or not rest <= present:
                                continue
                            if joined is None:
                                joined = f" {' '.join(tokens)} "
                            if f" {phrase} " in joined:
                                matched.add(term)
        for rule in self._patterns:
            if rule.term in matched:
                continue
            for name in rule.fields:
                text = texts.get(name)
                if not text:
                    continue
                if rule.needles:
                    lowered_text = lowered_texts.get(name)
                    if lowered_text is None:
                        lowered_text = lowered_texts[name] = text.lower()
                    for needle in rule.needles:
                        if needle in lowered_text and _starts_a_word(lowered_text, needle):
                            break
                    else:
                        continue
                if rule.regex.search(text):
                    matched.add(rule.term)
                    break
        found: dict[str, list[str]] = {}
        for index in sorted(matched):
            term = self.terms[index]
            if term.requires and not matched.intersection(term.requires):
                continue
            found.setdefault(term.group, []).append(term.name)
        return found

    def _add_rule(self, term: int, spec: dict, where: str) -> bool:
        synonyms = [str(s) for s in spec.get("synonyms") or []]
        patterns = [str(p) for p in spec.get("patterns") or []]
        if not synonyms and not patterns:
            return False
        fields = tuple(spec.get("in") or DEFAULT_FIELDS)
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise VocabularyError(f"{where}: unknown field(s) {sorted(unknown)} in 'in'")
        case_sensitive = bool(spec.get("case_sensitive"))
        if case_sensitive:
            self.case_sensitive_synonyms.update(synonyms)
        for synonym in synonyms:
            phrase = words(synonym) if case_sensitive else words(synonym.lower())
            if not phrase:
                raise VocabularyError(f"{where}: synonym {synonym!r} has no words")
            for name in fields:
                index = self._index.setdefault(name, {}).setdefault(case_sensitive, _Synonyms())
                index.add(phrase, term)
        if patterns:
            flags = 0 if case_sensitive else re.IGNORECASE
            try:
                regex = re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", flags)
            except re.error as error:
                raise VocabularyError(f"{where}: bad pattern: {error}") from error
            starts = [_literal_start(p) for p in patterns]
            needles = None if None in starts else tuple(starts)
            self._patterns.append(_Patterns(term, fields, regex, needles))
        return True


def parse_vocabulary(text: str, origin: str = "vocabulary") -> Vocabulary:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise VocabularyError(f"{origin}: not valid YAML: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise VocabularyError(f"{origin}: expected a top-level 'groups' list")
    vocabulary = Vocabulary({}, [], text)
    groups, terms = vocabulary.groups, vocabulary.terms
    specs: list[dict] = []
    for group in data["groups"]:
        key = str(group.get("key") or "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise VocabularyError(f"{origin}: group key {key!r} must be lower-case letters, "
                                  "digits and _")
        if key in RESERVED_KEYS or key in groups:
            raise VocabularyError(f"{origin}: group key {key!r} is reserved or repeated")
        groups[key] = str(group.get("label") or key)
        for spec in group.get("terms") or []:
            name = str(spec.get("name") or "").strip()
            where = f"{origin}: {key} / {name or '?'}"
            if not name:
                raise VocabularyError(f"{where}: every term needs a name")
            terms.append(Term(key, name))
            specs.append(spec)
            added = [vocabulary._add_rule(len(terms) - 1, rule, where)
                     for rule in [spec, *(spec.get("rules") or [])]]
            if not any(added):
                raise VocabularyError(f"{where}: no synonyms or patterns")
    names = {term.name: index for index, term in enumerate(terms)}
    for term, spec in zip(terms, specs):
        wanted = [str(n) for n in spec.get("requires") or []]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            raise VocabularyError(f"{origin}: {term.name}: requires unknown term(s) {unknown}")
        term.requires = tuple(names[n] for n in wanted)
    for by_case in vocabulary._index.values():
        for index in by_case.values():
            index.freeze()
    return vocabulary


def default_vocabulary_text() -> str:
    return resources.files("datasette_mscdm").joinpath("vocabulary.yml").read_text("utf-8")


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    if path is None:
        return parse_vocabulary(default_vocabulary_text(), "default vocabulary")
    path = Path(path)
    return parse_vocabulary(path.read_text(encoding="utf-8"), str(path))
