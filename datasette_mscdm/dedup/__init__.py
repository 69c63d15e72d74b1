"""Duplicate detection (placeholder docstring, completed below)."""

from .engine import DedupResult, find_duplicates
from .record import DedupRecord, Features, from_record, prepare
from .scoring import DEFAULT_THRESHOLDS, DISTINCT, DUPLICATE, MAYBE, PairDecision, Thresholds, score_pair

__all__ = ["DedupRecord", "DedupResult", "Features", "PairDecision", "Thresholds",
           "DEFAULT_THRESHOLDS", "DUPLICATE", "MAYBE", "DISTINCT", "find_duplicates",
           "from_record", "prepare", "score_pair"]
