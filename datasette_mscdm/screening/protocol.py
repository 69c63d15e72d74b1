"""The screening protocol: stages, reviewers per record, blinding, reasons and
record order.

It starts from the plugin configuration (`screening:` in datasette.yaml) and
a lead may replace it from the protocol page; every saved version is kept in
`mscdm_protocol` and the latest is in force.
"""

from __future__ import annotations

import json
import reprlib
from dataclasses import asdict, dataclass, field

STAGES = {"title_abstract": "Title/abstract", "full_text": "Full text"}
# Eligibility criteria, PICO and the rest, in the order a protocol lists them.
CRITERIA = {"population": "Population", "intervention": "Intervention / exposure",
            "comparator": "Comparator", "outcomes": "Outcomes",
            "study_designs": "Study designs", "other": "Other criteria"}
ORDERS = ("random", "year", "year_desc", "priority")
# What a record included at title/abstract and excluded at full text teaches
# the ranker: an include of half weight (on topic; measured best) or an exclude.
FULL_TEXT_EXCLUDED = {"half_include": 0.5, "exclude": None}
DECISIONS = ("include", "exclude", "maybe")

DEFAULT_REASONS = {
    "title_abstract": ["Wrong population", "Wrong intervention", "Wrong outcome",
                       "Wrong study design", "Wrong publication type", "Duplicate", "Other"],
    "full_text": ["Wrong population", "Wrong intervention", "Wrong outcome",
                  "Wrong study design", "Wrong publication type", "Insufficient data",
                  "Duplicate", "Other"],
}


class ProtocolError(ValueError):
    """A protocol that cannot be applied; the message says which key."""


# A value quoted in an error, cut short: YAML aliases can make a few hundred
# bytes name a structure of millions of items, which repr() would spell out.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = \
    2, 4, 4, 60, 60


def shown(value) -> str:
    return _SHORT.repr(value)


@dataclass(frozen=True)
class Stage:
    key: str
    reviewers: int = 2           # decisions needed per record (1 or 2)
    reasons: tuple[str, ...] = ()
    require_reason: bool = False  # to exclude

    @property
    def label(self) -> str:
        return STAGES[self.key]


@dataclass(frozen=True)
class Criterion:
    """One eligibility criterion: what includes a record, what excludes it,
    and terms to highlight in the record's text for it."""
    key: str
    include: str = ""
    exclude: str = ""
    highlight: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return CRITERIA[self.key]


@dataclass(frozen=True)
class Priority:
    """How `order: priority` ranks and retrains (README "Prioritised screening")."""
    random_share: float = 0.05       # of the offered places given to random records
    retrain_every: int = 10          # records settled since the last retrain
    retrain_seconds: int = 30        # or this long after it, when any was settled
    full_text_excluded: str = "half_include"
    recall_target: float = 0.95      # the stopping estimate's target and confidence
    confidence: float = 0.95

    @property
    def ft_excluded_weight(self) -> float | None:
        return FULL_TEXT_EXCLUDED[self.full_text_excluded]


@dataclass(frozen=True)
class Protocol:
    stages: tuple[Stage, ...] = field(default_factory=lambda: (
        Stage("title_abstract", 2, tuple(DEFAULT_REASONS["title_abstract"]), False),
        Stage("full_text", 2, tuple(DEFAULT_REASONS["full_text"]), True),
    ))
    blind: bool = True
    order: str = "random"
    seed: int = 1
    criteria: tuple[Criterion, ...] = ()
    priority: Priority = Priority()

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise ProtocolError(f"this review has no {key!r} stage")

    def has_stage(self, key: str) -> bool:
        return any(stage.key == key for stage in self.stages)

    @property
    def order_signature(self) -> str:
        return f"{self.order}:{self.seed}" if self.order in ("random", "priority") else self.order

    def to_config(self) -> dict:
        """The protocol as the `screening:` configuration that would produce it."""
        config = {"blind": self.blind, "order": self.order, "seed": self.seed}
        if self.order == "priority" or self.priority != Priority():
            config["priority"] = asdict(self.priority)
        if self.criteria:
            config["criteria"] = {
                c.key: {k: v for k, v in (("include", c.include), ("exclude", c.exclude),
                                          ("highlight", list(c.highlight))) if v}
                for c in self.criteria}
        for key in STAGES:
            if self.has_stage(key):
                stage = asdict(self.stage(key))
                stage.pop("key")
                stage["reasons"] = list(stage["reasons"])
                config[key] = stage
            else:
                config[key] = False
        return config

    def to_json(self) -> str:
        return json.dumps(self.to_config(), ensure_ascii=False)


def _bool(value, key: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ProtocolError(f"{key} must be true or false, not {shown(value)}")


def parse_protocol(config: dict | None) -> Protocol:
    """A Protocol from a `screening:` mapping; missing keys take defaults."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ProtocolError("screening must be a mapping of the keys below")
    config = dict(config)
    unknown = set(config) - {"blind", "order", "seed", "criteria", "priority", *STAGES}
    if unknown:
        raise ProtocolError(f"unknown screening keys: {', '.join(sorted(map(str, unknown)))}")
    order = config.get("order", "random")
    if order not in ORDERS:
        raise ProtocolError(f"order must be one of {', '.join(ORDERS)}, not {shown(order)}")
    seed = config.get("seed", 1)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        raise ProtocolError(f"seed must be a whole number from 0 to {2**31 - 1}, not {shown(seed)}")
    stages = []
    for key in STAGES:
        stage_config = config.get(key, {})
        if stage_config is False:
            continue
        if stage_config is None:
            stage_config = {}
        if not isinstance(stage_config, dict):
            raise ProtocolError(f"{key} must be a mapping or false")
        unknown = set(stage_config) - {"reviewers", "reasons", "require_reason"}
        if unknown:
            raise ProtocolError(f"unknown keys in {key}: {', '.join(sorted(map(str, unknown)))}")
        reviewers = stage_config.get("reviewers", 2)
        if not isinstance(reviewers, int) or isinstance(reviewers, bool) or reviewers not in (1, 2):
            raise ProtocolError(f"{key}.reviewers must be 1 or 2, not {shown(reviewers)}")
        reasons = stage_config.get("reasons", DEFAULT_REASONS[key])
        if not isinstance(reasons, list) or not all(
                isinstance(r, str) and r.strip() and len(r) <= 300 and _storable(r)
                for r in reasons):
            raise ProtocolError(f"{key}.reasons must be a list of non-empty texts"
                                " (300 characters at most)")
        if len(set(reasons)) != len(reasons):
            raise ProtocolError(f"{key}.reasons lists a reason twice")
        require = _bool(stage_config.get("require_reason", key == "full_text"),
                        f"{key}.require_reason")
        if require and not reasons:
            raise ProtocolError(f"{key}.require_reason needs a list of reasons")
        stages.append(Stage(key, reviewers, tuple(r.strip() for r in reasons), require))
    if not stages or stages[0].key != "title_abstract":
        raise ProtocolError("a review needs its title_abstract stage")
    return Protocol(stages=tuple(stages), blind=_bool(config.get("blind", True), "blind"),
                    order=order, seed=seed, criteria=parse_criteria(config.get("criteria")),
                    priority=parse_priority(config.get("priority")))


def _number(config: dict, key: str, default, low, high, whole: bool):
    value = config.get(key, default)
    kind = int if whole else (int, float)
    if not isinstance(value, kind) or isinstance(value, bool) or not low <= value <= high:
        what = "a whole number" if whole else "a number"
        raise ProtocolError(f"priority.{key} must be {what} from {low} to {high},"
                            f" not {shown(value)}")
    return value


def parse_priority(config) -> Priority:
    """`priority:` settings (used when order is priority)."""
    if config in (None, {}):
        return Priority()
    if not isinstance(config, dict):
        raise ProtocolError("priority must be a mapping of " + ", ".join(Priority.__annotations__))
    unknown = set(config) - set(Priority.__annotations__)
    if unknown:
        raise ProtocolError(f"unknown keys in priority: {', '.join(sorted(map(str, unknown)))}")
    default = Priority()
    full_text_excluded = config.get("full_text_excluded", default.full_text_excluded)
    if full_text_excluded not in FULL_TEXT_EXCLUDED:
        raise ProtocolError("priority.full_text_excluded must be one of "
                            f"{', '.join(FULL_TEXT_EXCLUDED)}, not {shown(full_text_excluded)}")
    return Priority(
        random_share=float(_number(config, "random_share", default.random_share, 0, 0.5, False)),
        retrain_every=_number(config, "retrain_every", default.retrain_every, 1, 10_000, True),
        retrain_seconds=_number(config, "retrain_seconds", default.retrain_seconds, 0, 86_400,
                                True),
        full_text_excluded=full_text_excluded,
        recall_target=float(_number(config, "recall_target", default.recall_target, 0.5, 0.99,
                                    False)),
        confidence=float(_number(config, "confidence", default.confidence, 0.5, 0.999, False)))


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in YAML)
        return False


def _text(value, key: str, limit: int = 4000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or not _storable(value):
        raise ProtocolError(f"{key} must be text ({limit} characters at most)")
    return value.strip()


def parse_criteria(config) -> tuple[Criterion, ...]:
    """`criteria:` as {key: {include, exclude, highlight}} (or key: "text",
    the inclusion criterion), keys from CRITERIA, kept in CRITERIA's order."""
    if config in (None, False, {}):
        return ()
    if not isinstance(config, dict):
        raise ProtocolError("criteria must be a mapping of " + ", ".join(CRITERIA))
    unknown = set(config) - set(CRITERIA)
    if unknown:
        raise ProtocolError(f"unknown criteria: {', '.join(sorted(map(str, unknown)))};"
                            f" use {', '.join(CRITERIA)}")
    criteria = []
    for key in CRITERIA:
        value = config.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = {"include": value}
        if not isinstance(value, dict):
            raise ProtocolError(f"criteria.{key} must be text or a mapping of"
                                " include, exclude and highlight")
        extra = set(value) - {"include", "exclude", "highlight"}
        if extra:
            raise ProtocolError(f"unknown keys in criteria.{key}: "
                                f"{', '.join(sorted(map(str, extra)))}")
        terms = value.get("highlight") or []
        if not isinstance(terms, list) or not all(
                isinstance(t, str) and t.strip() and len(t) <= 100 and _storable(t)
                for t in terms):
            raise ProtocolError(f"criteria.{key}.highlight must be a list of terms"
                                " (100 characters at most)")
        criterion = Criterion(key, _text(value.get("include"), f"criteria.{key}.include"),
                              _text(value.get("exclude"), f"criteria.{key}.exclude"),
                              tuple(t.strip() for t in terms))
        if criterion.include or criterion.exclude or criterion.highlight:
            criteria.append(criterion)
    return tuple(criteria)
