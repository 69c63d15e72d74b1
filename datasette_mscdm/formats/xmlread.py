"""Streaming, hardened XML reading shared by the PubMed and EndNote modules.

defusedxml's parser refuses entity declarations (billion laughs, quadratic
blow-up) and external entities. Parsing streams record by record so a large
export never sits in memory as a whole tree, and each record's raw text is
cut from the file's text by the byte offsets expat reports for its start and
end tags: the record exactly as written, not re-serialised.

Hand-written on top of the parser because neither ElementTree's iterparse
nor lxml's gives an element's position in the source text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable, Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ..textio import LoadError

CHUNK = 65536


@dataclass
class XmlRecord:
    elem: ET.Element
    raw: str  # the record's text as in the file (after decoding)
    line: int  # line of the record's start tag


class _Target:
    """Builds the tree (through ElementTree's TreeBuilder) and notes where
    each wanted element starts and ends, in bytes of the UTF-8 text fed."""

    def __init__(self, wanted: Callable[[str, str | None], bool]):
        self.builder = ET.TreeBuilder()
        self.wanted = wanted
        self.expat = None  # set once the parser exists
        self.stack: list[tuple[ET.Element, int, int, bool]] = []
        self.done: list[tuple[ET.Element, ET.Element | None, int, int, int]] = []
        self.last_position = 0

    def start(self, tag, attrib):
        position = self.expat.CurrentByteIndex
        self.last_position = position
        parent = self.stack[-1][0].tag if self.stack else None
        elem = self.builder.start(tag, attrib)
        self.stack.append((elem, position, self.expat.CurrentLineNumber,
                           self.wanted(tag, parent)))
        return elem

    def end(self, tag):
        position = self.expat.CurrentByteIndex
        self.last_position = position
        elem = self.builder.end(tag)
        _, start, line, wanted = self.stack.pop()
        if wanted:
            parent = self.stack[-1][0] if self.stack else None
            self.done.append((elem, parent, start, position, line))
        return elem

    def data(self, data):
        self.builder.data(data)

    def close(self):
        return self.builder.close()

    def open_start(self) -> int | None:
        """Where the outermost wanted element still open starts."""
        for _, start, _, wanted in self.stack:
            if wanted:
                return start
        return None


def _end_of(buffer: bytes | bytearray, start: int, at: int) -> int:
    """The end of the element that starts at `start` and whose end event came
    at `at`: after its `</name>` there; an empty element (`<name/>`) reports
    its end event just after itself."""
    name_end = start + 1
    while name_end < len(buffer) and buffer[name_end] not in b" \t\r\n/>":
        name_end += 1
    closing = b"</" + bytes(buffer[start + 1:name_end])
    if buffer[at:at + len(closing)] == closing and buffer[at + len(closing)] in b" \t\r\n>":
        return buffer.index(b">", at) + 1
    return at


def iter_records(stream, wanted) -> Iterator[XmlRecord]:
    """Each element for which wanted(tag, parent_tag) is true, complete, with
    its raw text and line; freed once the caller has it."""
    target = _Target(wanted)
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    target.expat = parser.parser
    # The UTF-8 bytes of the text fed since `base` (expat counts positions in
    # the UTF-8 it is given, whatever the file's encoding was).
    buffer = bytearray()
    base = 0
    try:
        while True:
            chunk = stream.read(CHUNK)
            if chunk:
                buffer += chunk.encode("utf-8", "surrogatepass")
                parser.feed(chunk)
            else:
                parser.close()
            for elem, parent, start, end, line in target.done:
                end = _end_of(buffer, start - base, end - base) + base
                raw = bytes(buffer[start - base:end - base]).decode("utf-8", "surrogatepass")
                yield XmlRecord(elem, raw, line)
                elem.clear()
                if parent is not None:
                    parent.remove(elem)  # or a million emptied records add up
            target.done.clear()
            if not chunk:
                return
            # Keep only what a record still open (or one not yet seen) may need.
            keep = target.open_start()
            keep = target.last_position if keep is None else keep
            if keep > base:
                del buffer[:keep - base]
                base = keep
    except DefusedXmlException as error:
        raise LoadError(f"unsafe XML refused: {type(error).__name__}: {error}") from error
    except ET.ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise LoadError(f"malformed XML: {error.msg if hasattr(error, 'msg') else error}",
                        f"line {line}, column {column}") from error


class Used(set):
    """Ids of the elements whose text a column took (with their inline
    markup), the elements themselves (`fed`, whose attributes are still kept
    in extra unless `consumed`), and (element id, attribute) pairs a column
    took."""

    def __init__(self):
        super().__init__()
        self.fed: dict[int, ET.Element] = {}
        self.consumed: set[tuple[int, str]] = set()

    def consume(self, elem: ET.Element | None, *names: str):
        if elem is not None:
            self.consumed.update((id(elem), name) for name in names)

    def take(self, elem: ET.Element | None):
        """Mark an element and everything in it as taken, attributes too."""
        if elem is not None:
            for node in elem.iter():
                self.add(id(node))
                self.consume(node, *node.attrib)


def text_of(elem: ET.Element | None, used: set[int] | None = None) -> str | None:
    """All text inside the element (inline markup such as <i> kept as text),
    marking the element and its descendants as used."""
    if elem is None:
        return None
    if used is not None:
        used.update(id(e) for e in elem.iter())
        if isinstance(used, Used):
            used.fed[id(elem)] = elem
    text = "".join(elem.itertext()).strip()
    return text or None


def has_mixed_content(node: ET.Element) -> bool:
    """Text beside child elements ("Note with <b>bold</b> and tail")."""
    if len(node) == 0:
        return False
    return bool((node.text or "").strip()) or any((child.tail or "").strip() for child in node)


def flatten_unused(elem: ET.Element, used: set[int]) -> dict:
    """Every text and attribute under `elem` that no column took, keyed by
    its path from the record element; repeated paths become lists. An
    element with mixed content (text around inline elements such as <i> or
    <b>) is one value: all its text, in order, the text after each inline
    element included; the inline elements' attributes are kept under their
    own paths.

    The attributes of an element whose text a column took are kept too
    (MeSH UIs, publication-type UIs, abstract section categories), under
    `path/@name`: one value per such element at that path, in order, null
    where one lacks it, so they line up with the column's values (unless
    other elements at the same path fed no column: then all are listed)."""
    extra: dict[str, object] = {}
    fed_attributes: dict[str, list[dict]] = {}
    fed = used.fed if isinstance(used, Used) else {}
    consumed = used.consumed if isinstance(used, Used) else set()

    def add(key, value):
        if key in extra:
            existing = extra[key]
            if isinstance(existing, list):
                existing.append(value)
            else:
                extra[key] = [existing, value]
        else:
            extra[key] = value

    def walk(node, path):
        if id(node) in used:
            if id(node) in fed:
                fed_attributes.setdefault(path, []).append(
                    {k: v for k, v in node.attrib.items() if (id(node), k) not in consumed})
            return
        for name, value in node.attrib.items():
            if (id(node), name) not in consumed:
                add(f"{path}/@{name}", value)
        if has_mixed_content(node):
            add(path, "".join(node.itertext()).strip())
            for child in node:
                attributes_only(child, f"{path}/{child.tag}")
            return
        text = (node.text or "").strip()
        if text:
            add(path, text)
        for child in node:
            walk(child, f"{path}/{child.tag}")

    def attributes_only(node, path):
        for name, value in node.attrib.items():
            add(f"{path}/@{name}", value)
        for child in node:
            attributes_only(child, f"{path}/{child.tag}")

    for name, value in elem.attrib.items():
        if (id(elem), name) not in consumed:
            add(f"@{name}", value)
    for child in elem:
        walk(child, child.tag)
    for path, attribute_dicts in fed_attributes.items():
        names = dict.fromkeys(name for d in attribute_dicts for name in d)
        for name in names:
            values = [d.get(name) for d in attribute_dicts]
            key = f"{path}/@{name}"
            if key in extra:
                # Other elements at this path fed no column (a pii ELocationID
                # beside the DOI one): keep both, theirs first.
                for value in values:
                    if value is not None:
                        add(key, value)
            else:
                extra[key] = values[0] if len(values) == 1 else values
    return extra
