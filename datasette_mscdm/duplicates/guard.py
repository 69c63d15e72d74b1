"""The cluster guard, at the level of copies.

A merged record is compared as one view holding every title, DOI, volume
and page of its copies, which finds a third copy that matches only the
second. That union is also more lenient than any one copy: a new record can
agree with the union on a volume number that no single copy shares with it.
The engine's clustering never lets two records that were ruled out as a
pair end in one cluster (dedup/clustering.py); this applies the same rule to
the copies a merged record holds: before two records join, every copy of
one is scored against every copy of the other, and a pair of copies with
different DOIs or PMIDs, or that looked alike and was still ruled out,
keeps them apart (the pair goes to a person instead).
"""

from __future__ import annotations

from ..dedup import DEFAULT_THRESHOLDS, DISTINCT, prepare, score_pair
from ..dedup.record import Features
from . import tables


def copies(conn, record_id: int) -> list[Features]:
    return [prepare(view) for view in tables.occurrence_views(conn, record_id)]


def conflict(left: list[Features], right: list[Features],
             thresholds=DEFAULT_THRESHOLDS) -> str | None:
    """Why the copies of one record and those of another must stay apart."""
    for x in left:
        for y in right:
            decision = score_pair(x, y, thresholds)
            if decision.outcome != DISTINCT:
                continue
            fields = decision.fields
            looked_alike = ((fields["title"] is not None
                             and fields["title"] >= thresholds.title_maybe)
                            or "same" in (fields["doi"], fields["pmid"]))
            if looked_alike or "different" in (fields["doi"], fields["pmid"]):
                return (f"a copy of each was ruled out as a pair ({'; '.join(decision.vetoes)})")
    return None
