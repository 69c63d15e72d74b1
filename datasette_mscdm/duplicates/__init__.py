"""Duplicates in the live review: matching on load, `mscdm dedup`, the review
queue, merges and unmerges (the engine itself is in datasette_mscdm.dedup)."""
