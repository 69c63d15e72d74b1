"""Every value a request hands the plugin, checked in one place.

JSON bodies, form posts, query strings and URL paths all arrive here before
anything touches the database, so a wrong type, an unknown stage or an id
SQLite cannot hold is a 400 that says which field is wrong, never a 500 and
never a silent default (an unknown stage used to be taken as title/abstract).
"""

from __future__ import annotations

import re

from ..screening.protocol import STAGES, shown
from ..screening.store import ScreeningError

# SQLite's INTEGER is a signed 64-bit number; a larger id cannot be bound.
MAX_ID = 2**63 - 1
# ASCII digits only: str.isdigit() also takes "²" and other digits int() refuses.
_DIGITS = re.compile(r"[0-9]{1,30}")

TEXT_LIMITS = {"reason": 500, "note": 10_000, "request_id": 200, "decision": 40,
               "stage": 40, "q": 2_000, "name": 200, "password": 1_000,
               "protocol": 200_000, "next": 2_000, "confirm": 20}


def record_id(value, field: str = "record_id", json: bool = False) -> int:
    """A record id: in a JSON body a whole number (not text, not true); in a
    form, query string or path the digits of one."""
    if isinstance(value, bool) or (json and not isinstance(value, int)):
        value = None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise ScreeningError(f"{field} must be a whole number")
    if not 1 <= value <= MAX_ID:
        raise ScreeningError(f"{field} must be between 1 and {MAX_ID}")
    return value


def optional_record_id(value, field: str = "record_id") -> int | None:
    return None if value in (None, "") else record_id(value, field)


def text(value, field: str, required: bool = False) -> str | None:
    """A text field: a string within its length limit, or None when absent
    or blank (unless required)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ScreeningError(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise ScreeningError(f"{field} must be text, not {type(value).__name__}")
    limit = TEXT_LIMITS.get(field, 10_000)
    if len(value) > limit:
        raise ScreeningError(f"{field} is longer than {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800" in JSON) cannot be stored as text.
        raise ScreeningError(f"{field} is not valid Unicode text") from None
    return value


def stage(value, protocol, default: str | None = None) -> str:
    """A stage key of this protocol. Absent: `default` (an error without
    one). Anything else that is not one of the protocol's stages: 400."""
    if value is None or value == "":
        if default is None:
            raise ScreeningError(f"stage is required: one of {', '.join(_keys(protocol))}")
        return default
    if not isinstance(value, str) or value not in STAGES or not protocol.has_stage(value):
        raise ScreeningError(f"stage must be one of {', '.join(_keys(protocol))},"
                             f" not {shown(value)}")
    return value


def _keys(protocol) -> list[str]:
    return [s.key for s in protocol.stages]


def page_number(value) -> int:
    """A 1-based page number from a query string; 1 when absent."""
    if value in (None, ""):
        return 1
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or not 1 <= int(value) <= 10**9:
        raise ScreeningError("page must be a whole number from 1")
    return int(value)


def count(value, field: str) -> int:
    """A count given as text (a confirmation): 0 to 10**9."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value.strip()) \
            or not 0 <= int(value) <= 10**9:
        raise ScreeningError(f"{field} must be a whole number")
    return int(value)


def json_fields(body: dict, allowed: tuple[str, ...]) -> dict:
    """The body's fields, refusing any the endpoint does not take (a typo
    such as "reasn" would otherwise be dropped without a word)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ScreeningError(f"unknown field(s): {', '.join(unknown)[:200]};"
                             f" this endpoint takes {', '.join(allowed)}")
    return body
