"""What the database refuses to store in a JSON column (pure core): PostgreSQL holds no NUL
character and no half of a surrogate pair in JSON text, SQLite's JSON check refuses very
deep nesting, and neither holds an infinite number (which Python reads from `1e400`)."""

import math
from enum import StrEnum

# Far deeper than any policy needs, and far inside what either database accepts.
MAX_JSON_DEPTH = 64


class Unstorable(StrEnum):
    TEXT = "text"  # a NUL character or a lone surrogate
    NUMBER = "number"  # infinite or not a number
    DEPTH = "depth"  # nested deeper than MAX_JSON_DEPTH


def unstorable(value: object) -> Unstorable | None:
    """Why `value` cannot be stored as JSON, or None. Iterative: deep nesting cannot
    exhaust the stack."""
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return Unstorable.DEPTH
        if isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and ("\x00" in item or not _encodable(item)):
            return Unstorable.TEXT
        elif isinstance(item, float) and not math.isfinite(item):
            return Unstorable.NUMBER
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
