"""Prioritised screening (issue 14): the ranker, its simulation, the
stopping estimate, cold start and the blind-safe labels.

What the live server calls (screening/priority.py, screening/reranker.py):

- features.FeatureStore: build(ids, texts) once per review, add(ids, texts)
  for records loaded later, needs_rebuild(), to_bytes()/from_bytes().
- blind.training_labels(outcomes): the labels the model may learn from
  (settled statuses and seed includes only).
- live.rerank(store, ids, labels, weights, criteria, include_terms,
  exclude_terms, settings, seed) -> RerankResult (order of every record,
  mode "model" or "cold start", and what to record about the retrain), or
  None when there is nothing to rank by.
- stopping.stopping_estimate(labels_in_order, records): includes found,
  screened since the last include, the most includes that can remain and
  the recall that supports at a confidence level, and whether the
  Callaghan & Müller-Hansen criterion is met.
- coldstart.cold_start_scores(texts, criteria, include_terms, exclude_terms).

`mscdm simulate` (cli_ranking.py) and scripts/bench_rank.py run the same
live.score_records through simulate.simulate_live.
"""
