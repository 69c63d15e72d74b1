"""PubMed XML: the current `PubmedArticleSet` (PubmedArticle, PubmedBookArticle)
and the older `MedlineCitationSet`. Structured abstracts keep their labels
("BACKGROUND: ..."), one paragraph per AbstractText. MeSH headings are kept
structured (descriptor and qualifier UIs, major-topic flags); the attributes
of other elements that feed columns (publication-type UIs, abstract section
categories, keyword major-topic flags) stay in extra beside them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..records import Record, normalise_doi, parse_year
from . import Parsed
from .xmlread import Used, flatten_unused, iter_records, text_of

NAME = "pubmed-xml"
LABEL = "PubMed XML"


def sniff(head: str) -> bool:
    return bool(re.search(r"<(PubmedArticleSet|MedlineCitationSet|PubmedArticle)[\s>]", head[:8192]))


def _wanted(tag, parent):
    # MedlineCitation is a record of its own only in the old MedlineCitationSet;
    # in the current set it is part of a PubmedArticle.
    return tag in ("PubmedArticle", "PubmedBookArticle") or (
        tag == "MedlineCitation" and parent != "PubmedArticle")


def parse(stream):
    for item in iter_records(stream, _wanted):
        yield Parsed(to_record(item.elem), item.raw, item.line)


def _author_name(author: ET.Element, used: set[int]) -> str | None:
    last = text_of(author.find("LastName"), used)
    fore = text_of(author.find("ForeName"), used) or text_of(author.find("Initials"), used)
    if author.find("ForeName") is not None:
        used.add(id(author.find("Initials")))
    collective = text_of(author.find("CollectiveName"), used)
    if last:
        return f"{last}, {fore}" if fore else last
    return collective


def _abstract(abstract: ET.Element | None, used: Used) -> str | None:
    if abstract is None:
        return None
    paragraphs = []
    for part in abstract.findall("AbstractText"):
        text = text_of(part, used)
        used.consume(part, "Label")
        if not text:
            continue
        label = part.get("Label")
        paragraphs.append(f"{label}: {text}" if label else text)
    return "\n\n".join(paragraphs) or None


def _major(elem: ET.Element) -> bool:
    return elem.get("MajorTopicYN") == "Y"


def mesh_headings(citation: ET.Element, used: Used) -> list[dict]:
    """MeshHeadingList as [{descriptor, ui, major, qualifiers: [{name, ui,
    major}]}], every attribute of it taken (Type="Geographic" kept too)."""
    headings = []
    for heading in citation.findall("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        if descriptor is None:
            continue
        item = {"descriptor": text_of(descriptor), "ui": descriptor.get("UI"),
                "major": _major(descriptor),
                "qualifiers": [{"name": text_of(q), "ui": q.get("UI"), "major": _major(q)}
                               for q in heading.findall("QualifierName")]}
        if descriptor.get("Type"):
            item["type"] = descriptor.get("Type")
        headings.append(item)
        used.take(heading)
    return headings


def to_record(elem: ET.Element) -> Record:
    used = Used()
    # Text nodes are text (`&lt;label&gt;` is "<label>"); inline elements
    # (<i>, <sub>, MathML) are read by text_of already. A line break inside
    # an AbstractText is the file's indentation: paragraphs are AbstractTexts.
    record = Record(database="PubMed", markup=False)
    citation = elem if elem.tag == "MedlineCitation" else elem.find("MedlineCitation")
    if elem.tag == "PubmedBookArticle":
        citation = elem.find("BookDocument")
    if citation is None:
        citation = elem
    record.pmid = text_of(citation.find("PMID"), used)
    article = citation.find("Article")
    if article is None:
        article = citation  # book documents keep the fields at this level
    record.title = text_of(article.find("ArticleTitle"), used) or text_of(
        article.find("VernacularTitle"), used) or text_of(article.find("Book/BookTitle"), used)
    record.abstract = _abstract(article.find("Abstract"), used) or _abstract(
        citation.find("OtherAbstract"), used)
    record.authors = [
        name for author in article.findall("AuthorList/Author")
        if (name := _author_name(author, used))
    ]
    journal = article.find("Journal")
    if journal is not None:
        record.journal = text_of(journal.find("Title"), used) or text_of(
            journal.find("ISOAbbreviation"), used)
        record.volume = text_of(journal.find("JournalIssue/Volume"), used)
        record.issue = text_of(journal.find("JournalIssue/Issue"), used)
        pub_date = journal.find("JournalIssue/PubDate")
        if pub_date is not None:
            record.publication_date = " ".join(
                t for t in (text_of(c, used) for c in pub_date) if t) or None
    if not record.publication_date:
        for path in ("ArticleDate", "Book/PubDate", "DateCompleted"):
            date = article.find(path) if article.find(path) is not None else citation.find(path)
            if date is not None:
                record.publication_date = "-".join(t for t in (text_of(c, used) for c in date) if t)
                break
    record.year = parse_year(record.publication_date)
    record.pages = text_of(article.find("Pagination/MedlinePgn"), used)
    for location in article.findall("ELocationID"):
        if location.get("EIdType") == "doi" and not normalise_doi(record.doi):
            record.doi = text_of(location, used)
            used.consume(location, "EIdType")
    for article_id in elem.findall("PubmedData/ArticleIdList/ArticleId"):
        kind = article_id.get("IdType")
        if kind == "doi" and not normalise_doi(record.doi):
            record.doi = text_of(article_id, used)
        elif kind == "pmc" and not record.pmcid:
            record.pmcid = text_of(article_id, used)
        elif kind == "pubmed" and not record.pmid:
            record.pmid = text_of(article_id, used)
        else:
            continue
        used.consume(article_id, "IdType")
    record.language = text_of(article.find("Language"), used)
    # A book document lists its publication types outside a PublicationTypeList.
    types = (article.findall("PublicationTypeList/PublicationType")
             or citation.findall("PublicationTypeList/PublicationType")
             or citation.findall("PublicationType"))
    record.publication_types = [t for t in (text_of(p, used) for p in types) if t]
    record.mesh = mesh_headings(citation, used)
    record.keywords = [
        t for t in (text_of(k, used) for k in citation.findall("KeywordList/Keyword")) if t
    ] + [heading["descriptor"] for heading in record.mesh if heading["descriptor"]]
    record.extra = flatten_unused(elem, used)
    return record
