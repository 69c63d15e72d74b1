"""EndNote XML (`<xml><records><record>`), as EndNote, Zotero and Mendeley
write it. Values may be wrapped in `<style>` elements; titles carry double
spaces that are tidied in the column (the raw record keeps them). The
reference type's name is the publication type; its numeric code (EndNote's
own type number) stays in extra as `ref-type`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..markup import PARAGRAPH
from ..records import Record, find_doi, normalise_doi, parse_year
from . import Parsed
from .xmlread import Used, flatten_unused, iter_records, text_of

NAME = "endnote-xml"
LABEL = "EndNote XML"


def sniff(head: str) -> bool:
    return bool(re.search(r"<xml>\s*<records>|<records>\s*<record>", head[:8192]))


def parse(stream):
    for item in iter_records(stream, lambda tag, parent: tag == "record" and parent == "records"):
        yield Parsed(to_record(item.elem), item.raw, item.line)


def _texts(elem, path, used):
    return [t for t in (text_of(e, used) for e in elem.findall(path)) if t]


def to_record(elem: ET.Element) -> Record:
    used = Used()
    # Text nodes are text. EndNote, Zotero and Mendeley write a value's
    # paragraphs one per line (`&#xD;` or a line feed) and never indent inside
    # a value (PubMed XML does, so there a line break is white space).
    record = Record(markup=False, line_breaks=PARAGRAPH)
    ref_type = elem.find("ref-type")
    if ref_type is not None and (ref_type.get("name") or (ref_type.text or "").strip()):
        if ref_type.get("name"):
            record.publication_types = [ref_type.get("name")]
            used.consume(ref_type, "name")  # the code (its text) stays in extra
        else:
            record.publication_types = [text_of(ref_type, used)]
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
    record.doi = text_of(elem.find("electronic-resource-num"), used)
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
    if not normalise_doi(record.doi):
        record.doi_elsewhere = find_doi(urls)
    record.extra.update(flatten_unused(elem, used))
    return record
