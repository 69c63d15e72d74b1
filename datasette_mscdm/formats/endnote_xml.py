"""EndNote XML (`<xml><records><record>`), as EndNote, Zotero and Mendeley
write it. Values may be wrapped in `<style>` elements; titles carry double
spaces that are tidied in the column (the raw record keeps them). The
reference type's name is the publication type; its numeric code (EndNote's
own type number) stays in extra as `ref-type`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..markup import PARAGRAPH
from ..records import Record, find_doi, normalise_doi, parse_year, pmid_in_accession
from . import Parsed
from .xmlread import Used, flatten_unused, iter_records, text_of

# EndNote's numbers for its reference types (the text of <ref-type>; its
# `name` attribute, when written, is the name). A writer that leaves the name
# out still says the type.
REFERENCE_TYPES = {
    2: "Artwork", 3: "Audiovisual Material", 4: "Bill", 5: "Book Section", 6: "Book",
    7: "Case", 8: "Catalog", 9: "Computer Program", 10: "Conference Proceedings",
    12: "Web Page", 13: "Generic", 14: "Hearing", 17: "Journal Article", 19: "Magazine Article",
    20: "Map", 21: "Film or Broadcast", 23: "Newspaper Article", 24: "Pamphlet", 25: "Patent",
    26: "Personal Communication", 27: "Report", 28: "Edited Book", 31: "Statute", 32: "Thesis",
    34: "Unpublished Work", 36: "Manuscript", 37: "Figure", 38: "Chart or Table",
    39: "Equation", 43: "Electronic Article", 44: "Electronic Book", 45: "Online Database",
    46: "Government Document", 47: "Conference Paper", 48: "Online Multimedia",
    49: "Classical Work", 50: "Legal Rule or Regulation", 51: "Ancient Text", 52: "Dictionary",
    53: "Encyclopedia", 54: "Grant", 55: "Aggregated Database", 56: "Blog", 57: "Serial",
    58: "Standard", 59: "Dataset", 60: "Electronic Book Section", 61: "Music",
}

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
    if ref_type is not None:
        code = (ref_type.text or "").strip()
        name = ref_type.get("name") or (REFERENCE_TYPES.get(int(code)) if code.isdigit() else code)
        if name:
            record.publication_types = [name]
        used.consume(ref_type, "name")  # the code (its text) stays in extra
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
    # EndNote's PubMed import puts the PMID in accession-num and the PMCID in
    # custom2; the database (name or provider) says whether it is PubMed's.
    provider = text_of(elem.find("remote-database-provider"))
    accession = elem.find("accession-num")
    record.pmid = pmid_in_accession(text_of(accession), record.database, provider)
    if record.pmid:
        used.take(accession)
    custom2 = elem.find("custom2")
    if re.fullmatch(r"\s*PMC\d+\s*", text_of(custom2) or ""):
        record.pmcid = text_of(custom2, used)
    if not normalise_doi(record.doi):
        record.doi_elsewhere = find_doi(urls)
    record.extra.update(flatten_unused(elem, used))
    return record
