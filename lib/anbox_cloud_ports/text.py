"""Text from input, made safe to print, and the small wording helpers every message shares.

Everything a finding or an error says about its input (a file name, an application name, a value)
passes through here, so the rules for keeping a message one line long, bounded, and free of control
characters live in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

QUOTE_LIMIT = 60
"""How much of a quoted input value a message shows before cutting it with `...`."""


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Input quoted for a one-line message, as Go's `%q` quotes it: escaped, bounded, ASCII only.

    ASCII only, because U+2028 and its kin count as line breaks for `str.splitlines`, and because a
    quoted value must never carry a terminal control sequence.
    """
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return json.dumps(text)


def plain(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Input text for a message that words it without quotes: bounded, control characters escaped."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def one_line(text: str, limit: int = 400) -> str:
    """A whole message kept to one printable line (for errors whose parts came from elsewhere)."""
    return plain(text, limit)


def _escape(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def join_and(parts: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def describe_units(names: Sequence[str], limit: int = 3) -> str:
    """A list of unit names, the first few of it when long."""
    if len(names) <= limit:
        return join_and(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more units"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sentence(text: str) -> str:
    """Capitalised, with a full stop: fixes are printed as sentences."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
