"""Deterministic synthetic literature exports for benchmarks and load tests.

Records look like the real thing in size and shape (titles of ~12 words,
abstracts of ~1.5 KB in sentences, 3-8 authors, journals, years, DOIs,
PMIDs) and in wording: mostly the general words of scientific prose with the
review's domain terms sprinkled in (about one word in eight of an abstract,
four in ten of a title), so automatic tagging finds a handful of tags per
record, as on real search results, rather than every term in the vocabulary and are written in seed format A (one file per record, as the
aggregator collections are), RIS and MEDLINE. A share of the records reuse
the DOI of an earlier record, so exact-duplicate merging is exercised.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = (
    "mesenchymal stem cell exosomes extracellular vesicles diabetes mellitus insulin resistance "
    "beta cell islet inflammation macrophage polarization angiogenesis wound healing "
    "nephropathy retinopathy neuropathy cardiomyopathy adipose bone marrow umbilical cord "
    "placenta microRNA cargo signaling pathway apoptosis proliferation oxidative stress "
    "glucose metabolism streptozotocin mice rats clinical trial randomized patients therapy "
    "regeneration fibrosis endothelial secretome conditioned medium paracrine immunomodulation"
).split()
# The everyday words of abstracts, which no vocabulary term matches.
GENERAL = (
    "the of and in to a with for was were is are by on as that this from at these or which we "
    "our be an results study studies methods background conclusion conclusions objective aim "
    "aims using used use showed shown show significantly significant increased decreased reduced "
    "improved compared between after before during within among group groups control treated "
    "treatment effect effects level levels expression analysis analyzed assessed evaluated "
    "measured observed found demonstrated suggest suggests indicate indicated potential novel "
    "role roles mechanism model models response responses function functions tissue tissues "
    "human animal data total mean median days weeks months baseline follow up associated "
    "association higher lower both also however furthermore moreover further than not may "
    "could new two three first second time outcome outcomes primary secondary systematic review "
    "evidence sample size score analyses performed including included compared respectively"
).split()
DOMAIN_SHARE_ABSTRACT = 0.12
DOMAIN_SHARE_TITLE = 0.4
SURNAMES = ("Zhang Wang Li Liu Chen Yang Kim Lee Park Smith Johnson Garcia Müller Rossi "
            "Nakamura Sato Kowalski Novak Silva Santos Haddad Cohen Ivanova Hansen").split()
GIVEN = ("Wei Min Jun Hana Ji-woo Maria John Anna Luca Yuki Piotr Ana Omar Sara Lars "
         "Elena Daniel Mei Chen Tomas").split()
JOURNALS = ("Stem Cell Research & Therapy", "Diabetes", "Journal of Extracellular Vesicles",
            "Biomimetics", "Frontiers in Endocrinology", "Cell Death & Disease",
            "Journal of Diabetes Research", "Theranostics", "Biomaterials", "Scientific Reports")

DUPLICATE_SHARE = 0.1


def make_records(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        if records and rng.random() < DUPLICATE_SHARE:
            records.append(dict(records[rng.randrange(len(records))]))
            continue
        title = " ".join(_word(rng, DOMAIN_SHARE_TITLE) for _ in range(12)).capitalize() + f" ({i})"
        sentences = []
        while sum(len(s) for s in sentences) < 1500:
            sentence = " ".join(_word(rng, DOMAIN_SHARE_ABSTRACT)
                                for _ in range(rng.randint(12, 24)))
            sentences.append(sentence.capitalize() + ".")
        authors = [(rng.choice(SURNAMES), rng.choice(GIVEN)) for _ in range(rng.randint(3, 8))]
        records.append({
            "title": title,
            "abstract": " ".join(sentences),
            "authors": authors,
            "journal": rng.choice(JOURNALS),
            "year": rng.randint(2005, 2025),
            "volume": str(rng.randint(1, 60)),
            "issue": str(rng.randint(1, 12)),
            "pages": f"{(p := rng.randint(1, 900))}-{p + rng.randint(5, 20)}",
            "doi": f"10.{rng.randint(1000, 9999)}/synthetic.{seed}.{i}",
            "pmid": str(_pmid(seed, i)),
            "keywords": [rng.choice(WORDS) for _ in range(5)],
        })
    return records


def _pmid(seed: int, i: int) -> int:
    """A PMID (at most 8 digits, as every PMID is) unique within a set: a
    large seed (the benchmarks use seed=N) must not make it an 11-digit
    number the loader rightly refuses."""
    pmid = 30_000_000 + seed * 2_000_000 + i
    return pmid if pmid < 100_000_000 else 10_000_000 + pmid % 90_000_000


def _word(rng: random.Random, domain_share: float) -> str:
    return rng.choice(WORDS if rng.random() < domain_share else GENERAL)


def write_seed_a(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, r in enumerate(records):
        names = ", ".join(f"{given} {surname}" for surname, given in r["authors"])
        data = {
            "title": r["title"], "authors": names, "doi": r["doi"], "DOIUrl": None, "url": None,
            "abstract": f"<p><p>{r['abstract']}</p>", "PeriodicalId": 1000 + i % 50,
            "journal": {"name": r["journal"], "volume": f"{r['volume']} {r['issue']}", "pages": ""},
            "PeriodicalIF": 4.5, "publicationDate": f"{r['year']}-03-01",
            "publicationTypes": "Journal Article", "isOpenAccess": False, "openAccessPdf": "",
            "citationCount": str(i % 40), "platform": "Semanticscholar", "JCR": "Q2",
            "JCRName": "MEDICINE, RESEARCH & EXPERIMENTAL", "RegionNum": 3,
            "RegionCategory": "医学", "PMCID": None,
            # Each saved page is its own file, even when it shows a work seen before.
            "paperid": f"p{i}",
        }
        text = (f"{names}\n{json.dumps(data, ensure_ascii=False)}\n引用次数: {i % 40}\n"
                f"Abstract\n{r['abstract']}")
        (folder / f"{i:07}.txt").write_text(text, encoding="utf-8")
    return folder


def write_ris(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write("TY  - JOUR\n")
            f.write(f"TI  - {r['title']}\n")
            for surname, given in r["authors"]:
                f.write(f"AU  - {surname}, {given}\n")
            f.write(f"T2  - {r['journal']}\nPY  - {r['year']}\nVL  - {r['volume']}\n"
                    f"IS  - {r['issue']}\nSP  - {r['pages'].split('-')[0]}\n"
                    f"EP  - {r['pages'].split('-')[1]}\nDO  - {r['doi']}\n")
            for keyword in r["keywords"]:
                f.write(f"KW  - {keyword}\n")
            f.write(f"AB  - {r['abstract']}\nDB  - Scopus\nER  - \n\n")
    return path


def _wrap(tag: str, text: str) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > 80:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return f"{tag:<4}- " + "\n      ".join(lines) + "\n"


def write_medline(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(f"PMID- {r['pmid']}\nOWN - NLM\nSTAT- MEDLINE\n")
            f.write(f"VI  - {r['volume']}\nIP  - {r['issue']}\nDP  - {r['year']} Mar\n")
            f.write(_wrap("TI", r["title"]))
            f.write(f"PG  - {r['pages']}\nLID - {r['doi']} [doi]\n")
            f.write(_wrap("AB", r["abstract"]))
            for surname, given in r["authors"]:
                f.write(f"FAU - {surname}, {given}\nAU  - {surname} {given[0]}\n")
            f.write(f"LA  - eng\nPT  - Journal Article\nJT  - {r['journal']}\n")
            for keyword in r["keywords"]:
                f.write(f"OT  - {keyword}\n")
            f.write("\n")
    return path


WRITERS = {"seed-a": write_seed_a, "ris": write_ris, "medline": write_medline}


def screen_randomly(db: Path, records: int, reviewers: int = 4, seed: int = 3) -> int:
    """Give the first `records` records (in screening order) two
    title/abstract votes each from random pairs of `reviewers` made-up
    reviewers, agreeing ~85% of the time. Returns the decisions written."""
    import random

    from datasette_mscdm.screening import store
    from datasette_mscdm.screening.protocol import parse_protocol

    conn = store.connect(db)
    protocol = parse_protocol(None)
    store.ensure_order(conn, protocol)
    people = [store.Reviewer(f"synthetic{i}", "reviewer") for i in range(reviewers)]
    chooser = random.Random(seed)
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM records ORDER BY screen_order LIMIT ?", [records])]
    with conn:
        for record_id in ids:
            first, second = chooser.sample(people, 2)
            decision = chooser.choice(["include", "exclude", "exclude", "maybe"])
            other = decision if chooser.random() < 0.85 else chooser.choice(["include", "exclude"])
            for person, vote in ((first, decision), (second, other)):
                store.record_decision(conn, protocol, person, record_id, "title_abstract", vote,
                                      reason="Other" if vote == "exclude" else None)
    conn.close()
    return 2 * len(ids)


# ---------------------------------------------------------------- duplicate benchmark

LANGUAGE_TAGS = ("Russian", "Chinese", "German", "Japanese", "Spanish", "French")
NOTES = (". [Review] [{n} refs]", " (Provisional abstract)", ". [Review]",
         ".[Erratum appears in J Synth Res. {y} Jan;{n}(1):{n}]", " (Structured abstract)")


def abbreviate_journal(name: str) -> str:
    """`Journal of Diabetes Research` -> `J Diabetes Res` (NLM style: stop words
    dropped, long words cut)."""
    stop = {"of", "the", "and", "in", "&", "for"}
    words = [w for w in name.replace("&", " ").split() if w.lower() not in stop]
    return " ".join(w if len(w) <= 4 else w[: 3 if w.lower() == "journal" else 5].rstrip("aeiou")
                     if w.lower() != "journal" else "J" for w in words)


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) > 5]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    k = rng.randrange(1, len(w) - 1)
    words[i] = w[:k] + w[k + 1:] if rng.random() < 0.5 else w[:k] + w[k + 1] + w[k] + w[k + 2:]
    return " ".join(words)


def _doi_variant(rng: random.Random, doi: str) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return "https://doi.org/" + doi.replace("(", "%28").replace(")", "%29").upper()
    if choice == 1:
        return "http://dx.doi.org/" + doi.replace("(", "%28").replace(")", "%29")
    if choice == 2:
        return "doi:" + doi.upper()
    return doi


def _variant(rng: random.Random, base: dict) -> dict:
    """A copy of `base` as another database would export it: one to three of
    the differences the issue lists."""
    copy = dict(base)
    copy["authors"] = list(base["authors"])
    kinds = rng.sample(["notes", "translated", "typo", "case", "no_authors", "vancouver", "doi",
                        "no_doi", "year", "pages", "journal", "truncated"], rng.randint(1, 3))
    title = copy["title"]
    for kind in kinds:
        if kind == "notes":
            title += rng.choice(NOTES).format(n=rng.randint(10, 90), y=copy["year"] + 1)
        elif kind == "translated":
            title = f"[{title}]" + (f". [{rng.choice(LANGUAGE_TAGS)}]" if rng.random() < 0.5 else "")
        elif kind == "typo":
            title = _typo(rng, title)
        elif kind == "case":
            title = title.lower().replace(":", " -")
        elif kind == "no_authors":
            copy["authors"] = []
        elif kind == "vancouver":
            copy["authors"] = [f"{s} {g[0]}" for s, g in (a.split(", ") for a in copy["authors"])]
        elif kind == "doi" and copy["doi"]:
            copy["doi"] = _doi_variant(rng, copy["doi"])
        elif kind == "no_doi":
            copy["doi"] = None
        elif kind == "year":
            copy["year"] += 1
        elif kind == "pages" and "-" in copy["pages"]:
            start, end = copy["pages"].split("-")
            common = 0
            while common < len(start) - 1 and start[common] == end[common]:
                common += 1
            copy["pages"] = f"{start}-{end[common:]}"
        elif kind == "journal":
            copy["journal"] = abbreviate_journal(copy["journal"])
        elif kind == "truncated" and len(title) > 60:
            title = title[: int(len(title) * 0.7)]
    copy["title"] = title
    return copy


def make_dedup_records(n: int, seed: int = 1, duplicate_share: float = 0.3) -> list[dict]:
    """`n` records with a `group` label (records of one group are one work),
    in shuffled order. Duplicates carry the variants of `_variant`; the rest
    includes the look-alikes that must not merge: conference abstracts sharing
    their supplement's DOI, errata of articles, editorials repeated with one
    title in every issue, and a conference abstract of each of some articles."""
    rng = random.Random(seed)
    out: list[dict] = []
    group = 0
    while len(out) < n:
        group += 1
        roll = rng.random()
        year = rng.randint(2000, 2024)
        journal = rng.choice(JOURNALS)
        volume = rng.randint(1, 60)
        if roll < 0.02:
            # A supplement: 5 abstracts, one DOI for all (Embase), pages S1..S5.
            doi = f"10.{rng.randint(1000, 9999)}/suppl.{seed}.{group}"
            for k in range(5):
                out.append(_work(rng, group, year, journal, volume, doi=doi, pages=f"S{k + 1}",
                                 issue="Suppl 1"))
                group += 1
            continue
        if roll < 0.03:
            # "Editor's comments" in issues 1-4 of one volume.
            author = [f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}"]
            for issue in range(1, 5):
                out.append({"group": group, "title": "Editor's comments", "authors": author,
                            "year": year, "journal": journal, "volume": str(volume),
                            "issue": str(issue), "pages": str(rng.randint(1, 900)), "doi": None})
                group += 1
            continue
        work = _work(rng, group, year, journal, volume)
        out.append(work)
        if roll < 0.04:
            erratum = dict(work, group=group + 1, title=f"Erratum: {work['title']}",
                           year=year + 1, pages=str(rng.randint(1, 900)),
                           doi=work["doi"] + ".err" if work["doi"] else None)
            out.append(erratum)
            group += 1
        elif roll < 0.05:
            abstract = dict(work, group=group + 1, year=year - 1, pages=f"A{rng.randint(1, 300)}",
                            journal=f"{journal}. Conference: Annual Meeting", issue="Suppl 2",
                            doi=None)
            out.append(abstract)
            group += 1
        copies = 0
        while rng.random() < duplicate_share / (1 + copies) and copies < 4:
            out.append(_variant(rng, work))
            copies += 1
    rng.shuffle(out)
    return out[:n]


def _work(rng: random.Random, group: int, year: int, journal: str, volume: int, *,
          doi: str | None = "", pages: str | None = None, issue: str | None = None) -> dict:
    words = [_word(rng, DOMAIN_SHARE_TITLE) for _ in range(rng.randint(8, 16))]
    cut = rng.randrange(4, len(words) - 2)
    title = (" ".join(words[:cut]) + ": " + " ".join(words[cut:])).capitalize()
    authors = [f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 8))]
    start = rng.randint(1, 2000)
    if doi == "":
        # Elsevier-style DOIs carry parentheses, which exports percent-encode.
        doi = (f"10.1016/S{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
               f"({year % 100:02}){rng.randint(10000, 99999)}-{rng.randint(0, 9)}"
               if rng.random() < 0.5 else f"10.{rng.randint(1000, 9999)}/syn.{group}")
        if rng.random() < 0.2:
            doi = None
    return {"group": group, "title": title, "authors": authors, "year": year,
            "journal": journal, "volume": str(volume), "issue": issue or str(rng.randint(1, 12)),
            "pages": pages or f"{start}-{start + rng.randint(3, 15)}", "doi": doi}
