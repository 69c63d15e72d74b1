"""Plain text from text that may hold HTML, JATS or MathML markup.

Only real markup is removed: a `<` starts a tag only when the rest up to `>`
is shaped like a tag (a name, then attributes with values) and the name is
one this module knows (HTML, JATS, MathML, the inline tags of Scopus and
Crossref, with or without a `jats:` or `mml:` prefix) or one the same text
also closes (a publisher's own `<bi>...</bi>`). Every other `<` and `>` is
text, as in "p < 0.001", "c.126C > A", "<greater than or equal
to>" or "<http://example.org>". Entities (`&lt;`, `&amp;`) are decoded.

html.parser does the parsing (not lxml.html) because it never builds a tree,
tolerates broken markup and knows nothing of scripts; what it cannot know is
which `<` is markup in text written by people, hence the tag vocabulary.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

HTML_TAGS = """
a abbr acronym address area article aside audio b base bdi bdo big blockquote body br button
canvas caption center cite code col colgroup data dd del details dfn dialog div dl dt em embed
fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe
img input ins kbd label legend li link main map mark menu meta meter nav nobr noscript object ol
optgroup option output p param picture pre q rp rt ruby s samp script section select small
source span strike strong style sub summary sup svg table tbody td template textarea tfoot th
thead time title tr track tt u ul var video wbr
""".split()

# JATS (NLM Journal Article Tag Suite), as Crossref, PubMed Central and
# OpenAlex abstracts carry it.
JATS_TAGS = """
abstract ack alternatives app attrib bold boxed-text break caption chem-struct
chem-struct-wrap copyright-statement def def-item def-list disp-formula disp-quote email
ext-link fig fn graphic inline-formula inline-graphic italic kwd kwd-group label license-p
list list-item media mixed-citation monospace named-content overline p permissions preformat
related-article roman sans-serif sc sec sec-type statement strike styled-content sub sup
table-wrap target term tex-math title trans-abstract underline uri xref
""".split()

# Inline tags of bibliographic sources: Scopus writes subscripts as <inf>,
# Crossref and Wiley small capitals as <scp>, Crossref overlines as <ovl>.
SOURCE_TAGS = """
inf scp ovl
""".split()

MATHML_TAGS = """
annotation annotation-xml maction maligngroup malignmark math menclose merror mfenced mfrac
mglyph mi mlabeledtr mmultiscripts mn mo mover mpadded mphantom mprescripts mroot mrow ms
mspace msqrt mstyle msub msubsup msup mtable mtd mtext mtr munder munderover none semantics
""".split()

KNOWN_TAGS = frozenset(HTML_TAGS + JATS_TAGS + SOURCE_TAGS + MATHML_TAGS)
# Namespace prefixes whose every element is markup.
MARKUP_PREFIXES = ("jats", "mml", "m", "xlink", "xhtml", "html", "ali")

_ATTRIBUTES = r"""(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))*\s*/?"""
# Anything shaped like a tag: <name attr="v">, </name>, <name/>,
# <prefix:name ...>; or a comment. Whether it is markup depends on its name.
_TAG_SHAPE = re.compile(
    rf"<(?:(/?)([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)(?=[\s/>]){_ATTRIBUTES}>|!--.*?-->)",
    re.DOTALL)
_CLOSING_TAG = re.compile(r"</([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)\s*>")
_LT = re.compile("<")


def _closed_names(text: str) -> set[str]:
    """Names of the tags the text closes (`</bi>`): a publisher's own inline
    tag is markup when the text also closes it."""
    return {name.lower() for name in _CLOSING_TAG.findall(text)} if "</" in text else set()


def _is_markup(tag: re.Match, closed: set[str]) -> bool:
    name = tag.group(2)
    if name is None:
        return True  # a comment
    prefix, _, local = name.lower().rpartition(":")
    return (prefix in MARKUP_PREFIXES or local in KNOWN_TAGS or name.lower() in closed)


def has_markup(text: str) -> bool:
    """Does the text hold a tag this module would remove?"""
    if "<" not in text:
        return False
    closed = _closed_names(text)
    return any(_is_markup(tag, closed) for tag in _TAG_SHAPE.finditer(text))


def _escape_text(text: str) -> str:
    """Every `<` that does not open markup, entity-escaped, so the HTML
    parser cannot take "<greater than>" or "<http://...>" for a tag."""
    closed = _closed_names(text)

    def escape(lt: re.Match) -> str:
        tag = _TAG_SHAPE.match(text, lt.start())
        return "<" if tag and _is_markup(tag, closed) else "&lt;"

    return _LT.sub(escape, text)


class _TextExtractor(HTMLParser):
    """Plain text from HTML/JATS: block elements become paragraph breaks and
    section titles become `LABEL: ` prefixes, so structured abstracts keep
    their shape."""

    BLOCK = {"p", "div", "sec", "section", "abstract", "br", "li", "tr", "h1", "h2",
             "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "list", "list-item",
             "break", "disp-quote", "boxed-text", "trans-abstract"}
    LABEL = {"title", "label"}
    DROP = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._label_depth = 0
        self._drop_depth = 0
        self._label: list[str] = []
        self._after_label = False  # "Label: " then <p>: the paragraph follows the label

    def _break(self):
        if not self._after_label:
            self.parts.append("\n\n")

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1].lower()

    def handle_starttag(self, tag, attrs):
        name = self._local(tag)
        if name in self.DROP:
            self._drop_depth += 1
        elif name in self.BLOCK:
            self._break()
        elif name in self.LABEL:
            self._label_depth += 1
            self._label = []

    def handle_startendtag(self, tag, attrs):
        if self._local(tag) in self.BLOCK:
            self._break()

    def handle_endtag(self, tag):
        name = self._local(tag)
        if name in self.DROP:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif name in self.BLOCK:
            self._break()
        elif name in self.LABEL and self._label_depth:
            self._label_depth -= 1
            label = " ".join("".join(self._label).split()).rstrip(":")
            if label:
                self.parts.append(f"\n\n{label}: ")
                self._after_label = True

    def handle_data(self, data):
        if self._drop_depth:
            return
        if self._label_depth:
            self._label.append(data)
        else:
            if data.strip():
                self._after_label = False
            self.parts.append(data)


_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
# An entity left after decoding: the source escaped its text twice
# ("p &amp;lt; 0.05", as some OpenAlex and IEEE abstracts are).
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")


def html_to_text(value: str | None) -> str | None:
    """Plain text with paragraphs (blank-line separated) from text that may
    hold HTML or JATS markup. Text without markup only has entities decoded
    and its white space tidied, keeping its paragraph breaks."""
    if value is None:
        return None
    if has_markup(value):
        parser = _TextExtractor()
        parser.feed(_escape_text(value))
        parser.close()
        text = "".join(parser.parts)
    else:
        text = html.unescape(value) if "&" in value else value
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.split() collapses white space far faster than a regex on long text.
    if "\n" not in text:
        return " ".join(text.split()) or None
    # Single line breaks are wrapping; a blank line separates paragraphs.
    paragraphs = (" ".join(p.split()) for p in _BLANK_LINE.split(text))
    return "\n\n".join(p for p in paragraphs if p) or None


def clean_inline(value) -> str | None:
    """One-line text: markup removed, entities decoded, white space collapsed.

    Titles from CSL-JSON and aggregators carry <i>, <sub>; EndNote XML titles
    carry double spaces. None and blank become None.
    """
    if value is None:
        return None
    text = str(value)
    if "<" in text or "&" in text:
        text = html_to_text(text) or ""
    return " ".join(text.split()) or None


def tidy(value) -> str | None:
    """An identifier or link: surrounding white space removed, nothing else
    touched (markup cleaning would cut a DOI at its `<` or turn `&copy=` in a
    URL into ©). None and blank become None."""
    if value is None:
        return None
    return str(value).strip() or None
