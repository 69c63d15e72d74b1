"""Plain text from text that may hold HTML, JATS or MathML markup.

Only real markup is removed, and a field is read as markup only when it
shows real markup: a tag this module knows (HTML, JATS, MathML, the inline
tags of Scopus and Crossref, with or without a `jats:` or `mml:` prefix)
that the same text also closes (`<i>...</i>`), a known tag written
self-closing (`<br/>`), HTML's bare `<br>`, a comment, or a closed tag with
attributes (`<Emphasis Type="Italic">...</Emphasis>`). In such a field, a
publisher's own closed tags (`<URLREF>...</URLREF>`) and the known tags HTML
leaves unclosed (`<p>`, `<li>`, `<br>`, `<img ...>`) are markup too. Every
other `<` and `>` is text: "p < 0.001", "c.126C > A", "<greater than or
equal to>", "<http://example.org>", "genotype <TT> carriers", "run <input>",
and a `<label>` or `<style>` nobody closes, which therefore can never
swallow the text after it.

Text that a format already decoded (an XML text node, where the file wrote
`&lt;label&gt;`) is never read as markup at all (`markup=False`).

Entities are decoded only when they end with `;` (`&amp;`, `&#8211;`):
HTML's legacy forms without one would turn "?a=1&copy=2&para=3" into
"?a=1©=2¶=3".

html.parser does the parsing (not lxml.html) because it never builds a tree,
tolerates broken markup and knows nothing of scripts; what it cannot know is
which `<` is markup in text written by people, hence the rules above.
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
# Known tags that HTML writes without a closing tag. They count as markup
# only in a field that has other real markup ("run <input>" and "<p and y>"
# in plain text are text).
UNCLOSED_IN_HTML = frozenset("p li br hr img wbr dd dt tr td th col source area".split())

_ATTRIBUTES = r"""(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))*\s*/?"""
# Anything shaped like a tag: <name attr="v">, </name>, <name/>,
# <prefix:name ...>; or a comment. Whether it is markup depends on the rules above.
_TAG_SHAPE = re.compile(
    rf"<(?:(/?)([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)(?=[\s/>]){_ATTRIBUTES}>|!--.*?-->)",
    re.DOTALL)
_LT = re.compile("<")
# An `&` that starts no entity ended by `;` is text (a URL's query string).
_BARE_AMPERSAND = re.compile(r"&(?!#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_ENTITY_WITH_SEMICOLON = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# An entity left after decoding: the source escaped its text twice
# ("p &amp;lt; 0.05", as some OpenAlex and IEEE abstracts are).
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")


def decode_entities(text: str) -> str:
    """Character references ended by `;` decoded; a bare `&` stays."""
    if "&" not in text:
        return text
    return _ENTITY_WITH_SEMICOLON.sub(lambda m: html.unescape(m.group(0)), text)


def _is_known(name: str) -> bool:
    prefix, _, local = name.rpartition(":")
    return prefix in MARKUP_PREFIXES or local in KNOWN_TAGS


def markup_tags(text: str) -> list[re.Match]:
    """The tags of the text that are markup (see the module docstring), in
    order; [] when the text shows no real markup."""
    if "<" not in text:
        return []
    tokens = list(_TAG_SHAPE.finditer(text))
    if not tokens:
        return []
    names = [(t.group(2) or "").lower() for t in tokens]
    paired = [t.group(2) is None for t in tokens]  # a comment stands alone
    open_tags: list[int] = []
    for index, token in enumerate(tokens):
        name = names[index]
        if not name:
            continue
        if token.group(1):  # </name>: closes the nearest open tag of that name
            for depth in range(len(open_tags) - 1, -1, -1):
                if names[open_tags[depth]] == name:
                    paired[index] = paired[open_tags[depth]] = True
                    del open_tags[depth:]
                    break
        elif not token.group(0).endswith("/>"):
            open_tags.append(index)

    def strong(index: int) -> bool:
        token, name = tokens[index], names[index]
        if not name:
            return True  # a comment
        if paired[index]:
            return _is_known(name) or (not token.group(1) and "=" in token.group(0))
        known = _is_known(name)
        return known and (token.group(0).endswith("/>") or name.rpartition(":")[2] == "br")

    if not any(strong(index) for index in range(len(tokens))):
        return []
    found = []
    for index, token in enumerate(tokens):
        name = names[index]
        local = name.rpartition(":")[2]
        if (paired[index] or strong(index)
                or (_is_known(name) and (token.group(1) or local in UNCLOSED_IN_HTML))):
            found.append(token)
    return found


def has_markup(text: str) -> bool:
    """Does the text hold markup this module would remove?"""
    return bool(markup_tags(text))


def _escape_text(text: str, tags: list[re.Match]) -> str:
    """Every `<` that does not open markup entity-escaped, and every `&` that
    starts no entity, so the HTML parser takes them as text."""
    starts = {tag.start() for tag in tags}
    text = _LT.sub(lambda lt: "<" if lt.start() in starts else "&lt;", text)
    return _BARE_AMPERSAND.sub("&amp;", text) if "&" in text else text


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
        self.saw_block = False  # the markup itself says where paragraphs are

    def _break(self):
        self.saw_block = True
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
# A line that starts a section of a structured abstract ("Methods:",
# "BACKGROUND AND AIMS:", "Materials and methods:"): a paragraph of its own
# even after a single line break.
_LABEL_LINE = re.compile(r"[A-Z][A-Za-z]+(?:[ /&,-]{1,3}[A-Za-z]+){0,4}\s?:(?:\s|$)")

def starts_labelled_section(line: str) -> bool:
    """Does the line start a labelled section of a structured abstract?"""
    return bool(_LABEL_LINE.match(line)) and len(line.split(":", 1)[0]) <= 40


# How a single line break in a value is read (a blank line is always a
# paragraph break):
WRAP = "wrap"  # a word wrap, unless the next line starts a labelled section
PARAGRAPH = "paragraph"  # a paragraph break: the writer never wraps (table cells, JSON, XML)


def _paragraphs(text: str, line_breaks: str) -> str | None:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.split() collapses white space far faster than a regex on long text.
    if "\n" not in text:
        return " ".join(text.split()) or None
    paragraphs = []
    for block in _BLANK_LINE.split(text):
        if "\n" not in block:
            paragraphs.append(" ".join(block.split()))
            continue
        lines = [" ".join(line.split()) for line in block.split("\n")]
        if line_breaks == PARAGRAPH:
            paragraphs.extend(lines)
            continue
        current: list[str] = []
        for line in lines:
            if current and line and starts_labelled_section(line):
                paragraphs.append(" ".join(current))
                current = []
            if line:
                current.append(line)
        paragraphs.append(" ".join(current))
    return "\n\n".join(p for p in paragraphs if p) or None


def html_to_text(value: str | None, *, markup: bool = True,
                 line_breaks: str = WRAP) -> str | None:
    """Plain text with paragraphs (blank-line separated) from text that may
    hold HTML or JATS markup. markup=False: the text is already text (an XML
    text node), none of it is read as a tag. Text without markup only has
    entities decoded and its white space tidied, keeping its paragraph
    breaks; line_breaks says what a single line break is (WRAP or PARAGRAPH)."""
    if value is None:
        return None
    tags = markup_tags(value) if markup else []
    if tags:
        parser = _TextExtractor()
        parser.feed(_escape_text(value, tags))
        parser.close()
        text = "".join(parser.parts)
        if parser.saw_block:
            # Block tags say where paragraphs are; a line break is white space.
            text = "\n\n".join(" ".join(p.split()) for p in _BLANK_LINE.split(
                text.replace("\r", "\n")))
    else:
        text = decode_entities(value)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return _paragraphs(text, line_breaks)


def clean_inline(value, *, markup: bool = True) -> str | None:
    """One-line text: markup removed, entities decoded, white space collapsed.

    Titles from CSL-JSON and aggregators carry <i>, <sub>; EndNote XML titles
    carry double spaces. None and blank become None.
    """
    if value is None:
        return None
    text = str(value)
    if "<" in text or "&" in text:
        text = html_to_text(text, markup=markup) or ""
    return " ".join(text.split()) or None


def tidy(value) -> str | None:
    """An identifier or link: surrounding white space removed, nothing else
    touched (markup cleaning would cut a DOI at its `<` or turn `&copy=` in a
    URL into ©). None and blank become None."""
    if value is None:
        return None
    return str(value).strip() or None
