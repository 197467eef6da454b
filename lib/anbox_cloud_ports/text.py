"""Text from input, made safe to print, and the small wording helpers every message shares.

Everything a finding or an error says about its input (a file name, an application name, a value)
passes through here, so the rules for keeping a message one line long, bounded, and free of control
characters live in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

QUOTE_LIMIT = 60
"""How much of a quoted input value a message shows before cutting it with `...`."""


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Input quoted for a one-line message, as Go's `%q` quotes it: escaped, bounded, ASCII only.

    ASCII only, because U+2028 and its kin count as line breaks for `str.splitlines`, and because a
    quoted value must never carry a terminal control sequence.
    """
    import json  # a message that quotes input is rare: `anbox-ports check` of a clean input never does

    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return json.dumps(text)


def plain(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Input text for a message that words it without quotes: bounded, control characters escaped."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return for_terminal(text)


def one_line(text: str, limit: int = 400) -> str:
    """A whole message kept to one printable line (for errors whose parts came from elsewhere)."""
    return plain(text, limit)


# -- escaping at the point of output -----------------------------------------------------------------
#
# Findings and errors carry input text raw (a unit name, a catalog description, a file name), so the
# engine and the JSON output keep it exact; each renderer escapes at the point of output with the
# function for its format, so every output is safe by construction whatever a rule's message quotes.


def for_terminal(text: str) -> str:
    r"""Text as a terminal, a log or `juju status` may show it: one line, no control sequence.

    Every character Python does not call printable becomes a visible escape (`\x1b`, `\n`,
    `\u202e`): C0 and C1 controls (ESC starts CSI and OSC sequences: colours, `ESC[8m` that hides
    what follows, window titles, hyperlinks), DEL, line and paragraph separators (U+2028/9), bidi
    overrides and other format characters (U+202E reorders what follows), lone surrogates (which
    cannot even be encoded to a UTF-8 stream) and unassigned code points. Tabs and newlines are
    escaped too: the renderers lay out their own lines, and a value must never start one.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def for_sarif(text: str) -> str:
    r"""A SARIF plain-text message (result.message.text): controls escaped, no embedded link, no placeholder.

    SARIF reads `[text](target)` in a plain-text message as an embedded link and `{0}` as a
    placeholder (SARIF 2.1.0 section 3.11.5-3.11.6), so `\`, `[` and `]` are backslash-escaped,
    as GitHub's CodeQL writes and reads them (github/vscode-codeql sarif-utils.ts unescapeSarifText),
    and `{`, `}` are doubled as the placeholder syntax requires.
    """
    safe = for_terminal(text)
    if not any(ch in safe for ch in "\\[]{}"):
        return safe
    return safe.translate(_SARIF)


_SARIF = str.maketrans({"\\": "\\\\", "[": "\\[", "]": "\\]", "{": "{{", "}": "}}"})


def markdown_code(text: str, *, table: bool = True) -> str:
    r"""Input text fenced as a Markdown code span: shown literally by any CommonMark or GFM renderer.

    Inside a code span nothing is a link, an image, HTML, an entity, an autolink (CommonMark 6.1),
    a GFM extended autolink or a GitHub @mention, which backslash escapes cannot promise (GFM links
    `a@b.example` whatever is escaped). The fence is one backtick longer than the longest run inside,
    padded with a space where the text starts or ends with a backtick or with spaces (CommonMark
    strips one space each side). In a table cell `|` is written `\|` (GFM 4.10 splits cells before
    reading code spans, even after a backslash). Controls are escaped first, so no line ends early.
    """
    safe = for_terminal(text)
    if not safe:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(safe)), default=0)
    fence = "`" * (longest + 1)
    if safe[0] == "`" or safe[-1] == "`" or (safe[0] == " " and safe[-1] == " " and safe.strip(" ")):
        safe = f" {safe} "
    if table:
        safe = safe.replace("|", "\\|")
    return f"{fence}{safe}{fence}"


_BACKTICKS = re.compile("`+")


def hcl_string(text: str) -> str:
    r"""Text as an HCL quoted string that evaluates to exactly it, on one printable ASCII line.

    HCL's native syntax reads `${` and `%{` in a quoted string as a template (an interpolation could
    call `file()`), so they are written `$${` and `%%{`, its own escapes; `\`, `"` and everything but
    printable ASCII become `\\`, `\"`, `\n`, `\r`, `\t`, `\uNNNN` or `\UNNNNNNNN` (HCL native syntax
    specification, "Template Literals"; checked by Terraform itself in tests/integration). A lone
    surrogate, which no UTF-8 file holds, is written `\ud800`: Terraform refuses it, never misreads it.
    """
    out: list[str] = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


_HCL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


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
