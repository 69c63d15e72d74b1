"""Duplicate detection: candidate pairs, rule scoring with vetoes, guarded clusters.

Pure and database-free: the engine reads record views and returns decisions;
storing, merging, unmerging and the review queue are datasette_mscdm.duplicates'.

API
---
Build one `DedupRecord` per record, then call `find_duplicates`::

    from datasette_mscdm.dedup import DedupRecord, find_duplicates, from_record

    records = [DedupRecord.of(row_id, title=[...every occurrence's title...],
                              authors=[...], year=2019, journal=[...], volume="12",
                              issue="3", pages="123-9", doi=[...all DOIs...],
                              pmid=[...], publication_types=[...])
               for ...]            # or from_record(id, records.Record) for one occurrence
    result = find_duplicates(records, new_ids=ids_just_loaded,
                             not_duplicates=pairs_people_rejected)

- `DedupRecord.of(id, **fields)` takes one value or a list per field. A merged
  record passes EVERY occurrence's titles, DOIs, PMIDs, pages, journals, years
  (a third copy that matches only the second copy's DOI is still found).
- `find_duplicates(records, *, new_ids=None, not_duplicates=(), thresholds=...)`
  returns a `DedupResult`:
  * `clusters`: lists of ids (input order) that are one record; merge
    `cluster[1:]` into `cluster[0]` (the earliest), automatically.
  * `duplicates`: the `PairDecision`s that formed the clusters (log them with
    the merge: who = "auto", score, reasons).
  * `maybe`: pairs for the review queue, one per pair of clusters, best score
    first (includes links the cluster guard held back, with why).
  * `distinct`: look-alike pairs that were ruled out, with the veto.
  * `compared`: candidate pairs scored.
  `new_ids` restricts scoring to pairs with at least one new record (a load);
  `not_duplicates` are pairs a person answered "not duplicates": never proposed
  again, never joined through a chain.
- `PairDecision(a, b, outcome, score, reasons, vetoes, fields)`; `outcome` is
  `DUPLICATE` / `MAYBE` / `DISTINCT`; `score` (0..1) orders the queue and
  supports "accept all above"; `reasons` are readable agreements ("title same",
  "pages same", "DOI same"); `vetoes` are contradictions ("different first
  pages", "erratum vs article", "authors differ"); `fields` maps each field to
  its state for highlighting differences; `.as_dict()` is JSON-ready (`--json`).
- `score_pair(prepare(a), prepare(b))` re-scores one pair (the review page).
- `keys` holds the comparison keys (`doi_key`, `title_words`, `surname_key`,
  `journal_key`, `page_range`, ...). `keys.doi_key` is records.normalise_doi
  (percent-decoded, lower-cased, resolver/`doi:` prefix stripped, SICI `<>`
  kept), else a DOI found inside the value.
- `blocking.live_keys` / `key_hash`: the hashed blocking keys a load stores
  and looks a record up by (mscdm_dedup_keys), from `record.blocking_fields`
  (only the fields the keys need; `prepare` adds what scoring reads).
- `evaluate` measures on labelled sets: `load_benchmark`, `count` (bib-dedupe's
  counting), `baseline_clusters` (today's exact rule replayed),
  `leave_one_set_out`.

Method, and why rules rather than a trained model
-------------------------------------------------
1. Keys (keys.py): titles without database notes (`[Review] [45 refs]`,
   `(Provisional abstract)`, `[Erratum appears in ...]`), language tags and
   translation brackets, folded to ASCII with Greek letters named and
   punctuation inside words dropped (`p16(INK4a)` == `p16INK4a`); surname keys
   without particles (`van der Graaf` == `Van Graaf`), group authors dropped;
   journal words compared by word prefix (ISO/NLM abbreviations, no table);
   first pages (`123-9` == `123-129`, e-locators); volume/issue numbers;
   percent-decoded DOIs; kinds (erratum, retraction notice, reply/comment) and
   conference hints (venue, `Suppl`, publication type).
2. Blocking (blocking.py): DOI, PMID, title start/end, the two rarest title
   words, first author + year, journal + volume + first page; oversized blocks
   by sorted neighbourhood. Near-linear: 100k records in about 20 s.
3. Scoring (scoring.py): each field becomes a readable state; contradictions
   VETO a merge (different DOIs/PMIDs, different first pages, erratum/reply vs
   article, conference abstract vs article with a venue or year disagreement,
   years 2+ apart, different volume/issue unless the pages or an identifier
   agree, a shared DOI with a different title = a supplement's DOI) or CAP it
   at "maybe" (a short title that names many works, different numbers in the
   titles, authors that differ when the rest agrees). Without a veto: a
   shared DOI/PMID with a similar title merges; otherwise a near-equal title
   with agreeing authors, year +-1 and something of the venue agreeing merges;
   a similar title goes to people; the rest is distinct.
4. Clustering (clustering.py): union-find, strongest link first, refusing any
   link that would put two records with different DOIs/PMIDs or a vetoed (or
   person-rejected) pair into one cluster; refused links become "maybe".

Rules because (a) the two real labelled sets differ in which fields exist
(one has no DOIs or abstracts), so a model would learn which fields happen to
be filled in each; (b) false merges are the costly error and need hard,
explainable vetoes anyway; (c) the review queue needs reasons a person can
check, which rules give directly. The free parameters (two title thresholds,
`Thresholds`) are chosen by leave-one-set-out cross-validation
(evaluate.leave_one_set_out, scripts/bench_dedup.py), never on one file.
"""

from . import keys
from .engine import DedupResult, find_duplicates
from .record import DedupRecord, Features, from_record, prepare
from .scoring import (DEFAULT_THRESHOLDS, DISTINCT, DUPLICATE, MAYBE, PairDecision, Thresholds,
                      score_pair)

__all__ = ["DedupRecord", "DedupResult", "Features", "PairDecision", "Thresholds",
           "DEFAULT_THRESHOLDS", "DUPLICATE", "MAYBE", "DISTINCT", "find_duplicates",
           "from_record", "keys", "prepare", "score_pair"]
