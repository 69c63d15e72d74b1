"""EndNote XML (`<xml><records><record>`), as EndNote, Zotero and Mendeley
write it. Values may be wrapped in `<style>` elements; titles carry double
spaces that are tidied in the column (the raw record keeps them)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..records import Record, find_doi, parse_year
from . import Parsed
from .xmlread import flatten_unused, iter_records, text_of

NAME = "endnote-xml"
LABEL = "EndNote XML"


def sniff(head: str) -> bool:
    return bool(re.search(r"<xml>\s*<records>|<records>\s*<record>", head[:8192]))


def parse(stream):
    for elem in iter_records(stream, lambda tag, parent: tag == "record" and parent == "records"):
        raw = ET.tostring(elem, encoding="unicode").strip()
        yield Parsed(to_record(elem), raw, None)


def _texts(elem, path, used):
    return [t for t in (text_of(e, used) for e in elem.findall(path)) if t]


def to_record(elem: ET.Element) -> Record:
    used: set[int] = set()
    record = Record()
    ref_type = elem.find("ref-type")
    if ref_type is not None:
        record.publication_types = [ref_type.get("name") or text_of(ref_type)]
        used.add(id(ref_type))
    record.title = text_of(elem.find("titles/title"), used)
    record.journal = (text_of(elem.find("periodical/full-title"), used)
                      or text_of(elem.find("titles/secondary-title"), used)
                      or text_of(elem.find("periodical/abbr-1"), used))
    record.authors = _texts(elem, "contributors/authors/author", used)
    record.volume = text_of(elem.find("volume"), used)
    record.issue = text_of(elem.find("issue"), used) or text_of(elem.find("number"), used)
    record.pages = text_of(elem.find("pages"), used)
    record.publication_date = (text_of(elem.find("dates/pub-dates/date"), used)
                               or text_of(elem.find("dates/year"), used))
    record.year = parse_year(text_of(elem.find("dates/year"), used)) or parse_year(
        record.publication_date)
    record.doi = find_doi(text_of(elem.find("electronic-resource-num"), used))
    record.abstract = text_of(elem.find("abstract"), used)
    record.keywords = _texts(elem, "keywords/keyword", used)
    urls = _texts(elem, "urls/related-urls/url", used)
    record.url = urls[0] if urls else None
    if len(urls) > 1:
        record.extra["urls"] = urls[1:]
    pdfs = _texts(elem, "urls/pdf-urls/url", used)
    record.pdf_url = pdfs[0] if pdfs else None
    record.language = text_of(elem.find("language"), used)
    record.database = text_of(elem.find("remote-database-name"), used)
    if not record.doi:
        record.doi = find_doi(urls)
    record.extra.update(flatten_unused(elem, used))
    return record
