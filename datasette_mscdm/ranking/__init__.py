"""Prioritised screening (issue 14, phase 1): the ranker, its simulation,
the stopping estimate, cold start and the blind-safe offer order.

What the live server calls (phase 2):

- features.FeatureStore: build(ids, texts) once per review, add(ids, texts)
  for records loaded later, needs_rebuild(), to_bytes()/from_bytes().
- blind.training_labels(outcomes): the labels the model may learn from
  (settled statuses and seed includes only).
- live.rerank(store, ids, labels, weights, criteria, include_terms,
  exclude_terms, settings, seed) -> RerankResult (order of every record,
  mode "model" or "cold start", and what to record about the retrain), or
  None when there is nothing to rank by.
- blind.offer_order(ranking, frozen_ranks): the order to offer, each record
  kept at the rank it had at its first vote; blind.next_for(order, needs).
- stopping.stopping_estimate(labels_in_order, records): includes found,
  screened since the last include, the most includes that can remain and
  the recall that supports at a confidence level, and whether the
  Callaghan & Müller-Hansen criterion is met.
- coldstart.cold_start_scores(texts, criteria, include_terms, exclude_terms).

`mscdm simulate` (cli_ranking.py) and scripts/bench_rank.py run the same
live.score_records through simulate.simulate_live.
"""
