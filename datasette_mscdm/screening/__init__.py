"""Screening: reviewers, the protocol, append-only decisions and the status
rules derived from them. Pure rules live in rules.py; SQL in store.py."""
