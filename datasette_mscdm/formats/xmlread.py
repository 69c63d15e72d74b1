"""Streaming, hardened XML reading shared by the PubMed and EndNote modules.

defusedxml's iterparse refuses entity declarations (billion laughs,
quadratic blow-up) and external entities, and streams record by record so a
large export never sits in memory as a whole tree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..textio import LoadError


class _Source:
    """Feeds the text stream to the parser in bounded chunks."""

    def __init__(self, stream):
        self._stream = stream

    def read(self, size=-1):
        return self._stream.read(size if size and size > 0 else 65536)


def iter_records(stream, wanted) -> Iterator[ET.Element]:
    """Each element for which wanted(tag, parent_tag) is true, complete, then freed."""
    root = None
    path: list[str] = []
    try:
        for event, elem in iterparse(_Source(stream), events=("start", "end"),
                                     forbid_dtd=False, forbid_entities=True,
                                     forbid_external=True):
            if event == "start":
                if root is None:
                    root = elem
                path.append(elem.tag)
                continue
            path.pop()
            if wanted(elem.tag, path[-1] if path else None):
                yield elem
                elem.clear()
                if root is not None:
                    # Drop the emptied children too, or a million of them add up.
                    root.clear()
    except DefusedXmlException as error:
        raise LoadError(f"unsafe XML refused: {type(error).__name__}: {error}") from error
    except ET.ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise LoadError(f"malformed XML: {error.msg if hasattr(error, 'msg') else error}",
                        f"line {line}, column {column}") from error


def text_of(elem: ET.Element | None, used: set[int] | None = None) -> str | None:
    """All text inside the element (inline markup such as <i> kept as text),
    marking the element and its descendants as used."""
    if elem is None:
        return None
    if used is not None:
        used.update(id(e) for e in elem.iter())
    text = "".join(elem.itertext()).strip()
    return text or None


def flatten_unused(elem: ET.Element, used: set[int]) -> dict:
    """Every text and attribute under `elem` that no column took, keyed by
    its path from the record element; repeated paths become lists."""
    extra: dict[str, object] = {}

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
            return
        for name, value in node.attrib.items():
            add(f"{path}/@{name}", value)
        text = (node.text or "").strip()
        if text:
            add(path, text)
        for child in node:
            walk(child, f"{path}/{child.tag}")

    for name, value in elem.attrib.items():
        add(f"@{name}", value)
    for child in elem:
        walk(child, child.tag)
    return extra
