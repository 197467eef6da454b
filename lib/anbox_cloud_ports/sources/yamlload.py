"""Read YAML or JSON documents that may be hostile, keeping the line of every key.

Findings and refusals name `file:line`, so the loader keeps each mapping key's and each list item's
1-based line on the container that holds it (`YamlMap.key_lines`, `YamlList.item_lines`). Inputs come
from anywhere (a CI job checks a pull request's bundle), so everything is bounded: the text's size,
the number of nodes (counted while libyaml composes them, so a 4 MB flow list of two million scalars
is refused after MAX_NODES of them, not after building all of them), the nesting depth, the number of
alias uses and what aliases expand to (a "billion laughs" document is refused before anything walks
it). Every failure is an InputError naming the file and the reason.

Juju reads bundles with its fork of Go's yaml.v2, which does not read scalars as PyYAML does (`to:
[010]` is the text "010" to Juju, 8 to PyYAML; `y` is a boolean to Juju). So the loader also keeps the
source text of the plain scalars whose reading could differ (`scalar_text`), for the readers that
must decode as Juju does (sources/goyaml.py); strings that read alike cost nothing. Mapping keys are
text, as Go reads them into `map[string]...`: `0x1:` is the key "0x1" (not 1, which `1.0:` would
collide with), `~:` is "". A
`<<` merge key applies where it stands, as in yaml.v2 (docs/juju-facts.md#bundle-yaml): a key before
it is overwritten, a key after it wins; a mapping holding one keeps every assignment in order
(`assignments`), because Juju merges map-valued struct fields key by key.

JSON is YAML, but `juju status --format=json` of a big model is megabytes on one line: text that
starts with `{` goes through the json module first (no line numbers, but fast), and falls back to
the YAML reader, whose errors carry lines, only when it is not JSON. A key repeated in one JSON object
is refused, as a repeated YAML key is.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

from ..errors import InputError
from ..gcpause import gc_paused
from ..text import quote

MAX_BYTES = 32 * 1024 * 1024
MAX_NODES = 500_000
"""Nodes (keys, values, collections) one input may hold: a `juju status` of 20,000 units has about
as many; the largest real inputs in tests/unit/data/corpus hold 3,300. Composing this many takes a
second or two and about 200 MiB; the budget stops a document long before its size limit would."""
MAX_DEPTH = 200
MAX_ALIAS_USES = 1_000
MAX_EXPANDED_NODES = 2 * MAX_NODES
# Aliases may expand a document to at most this many nodes per character of its text (and 10,000 at
# least): a document without aliases has fewer nodes than characters, so legitimate anchors fit, and
# reading stays linear in the input's size (a status whose apps all alias one unit map would not).
EXPANSION_PER_CHAR = 2
MIN_EXPANSION_BUDGET = 10_000


class YamlMap(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each of its keys.

    `texts` holds the source text of plain scalar values whose reading could differ between PyYAML
    and Go (None until one does); `assignments`, when a `<<` merge key is in the mapping, every
    (key, value) in the order yaml.v2 assigns them.
    """

    __slots__ = ("assignments", "key_lines", "line", "texts")

    def __init__(self, line: int | None = None):
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.texts: dict[Any, str] | None = None
        self.assignments: list[tuple[Any, Any]] | None = None


class YamlList(list[Any]):
    """A list that remembers its own line, the line of each of its items, and plain items' texts."""

    __slots__ = ("item_lines", "line", "texts")

    def __init__(self, line: int | None = None):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []
        self.texts: dict[int, str] | None = None


class JsonFloat(float):
    """A JSON number with a fraction or an exponent, kept with its text.

    Go's YAML reader decides from the text (`1e3` is not a number to Juju's fork), so the text is what
    a reader decodes.
    """

    __slots__ = ("text",)

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


def scalar_text(container: object, key: object) -> str | None:
    """The source text of the plain scalar at `key` of a mapping (or index `key` of a list), when kept."""
    if isinstance(container, YamlMap | YamlList):
        texts = cast("dict[Any, str] | None", container.texts)
        return None if texts is None else texts.get(key)
    # JSON: only a number with a fraction or an exponent carries a text of its own.
    value: object = None
    if isinstance(container, dict):
        value = cast(dict[Any, object], container).get(key)
    elif isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
        value = cast(list[object], container)[key]
    return value.text if isinstance(value, JsonFloat) else None


def assignments(container: object, key: object) -> list[object]:
    """Every value assigned to `key`, in order: one, unless a `<<` merge key assigned it too."""
    if not isinstance(container, dict):
        return []
    mapping = cast(dict[Any, object], container)
    if isinstance(container, YamlMap) and container.assignments is not None:
        return [value for k, value in container.assignments if k == key]
    return [mapping[key]] if key in mapping else []


def line_of(container: object, key: object = None) -> int | None:
    """The line of `key` in a mapping (or of item `key` in a list); the container's own line for None."""
    if isinstance(container, YamlMap):
        return container.line if key is None else container.key_lines.get(key, container.line)
    if isinstance(container, YamlList):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None


class Parsed(NamedTuple):
    """The documents of one input, with what the sources need to place findings in it."""

    input: str
    documents: tuple[object, ...]
    text: str
    is_json: bool = False

    def __repr__(self) -> str:  # not the text: megabytes, for a large model
        return f"Parsed(input={self.input!r}, documents={self.documents!r}, is_json={self.is_json!r})"

    def json_key_lines(self, pattern: re.Pattern[str]) -> dict[str, int]:
        """Lines of JSON object keys matching `pattern` (group 1 = the key), first occurrence each.

        The json module keeps no positions; one regex pass over the text finds them when a source
        needs them (unit names in a status dump), at C speed.
        """
        newlines = [m.start() for m in re.finditer("\n", self.text)]
        found: dict[str, int] = {}
        for match in pattern.finditer(self.text):
            found.setdefault(match.group(1), bisect_right(newlines, match.start()) + 1)
        return found


_PLAIN_KEY = r"[A-Za-z0-9_-][A-Za-z0-9_.:/-]{0,80}"  # compiled when first used: a path is spelt on error


def path(*parts: object) -> str:
    """A YAML path for messages: `applications.ams.to[1]`; odd keys are quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
            continue
        text = str(part)
        shown = text if re.fullmatch(_PLAIN_KEY, text) else quote(text, 40)
        out += f".{shown}" if out else shown
    return out


def describe(value: object) -> str:
    """What a value is, in YAML's words, for 'expected X, found Y' messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"the string {quote(value, 30)}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def load(text: str | bytes, name: str) -> Parsed:
    """All documents of `text`; InputError for anything that is not bounded, well-formed YAML or JSON."""
    decoded = _decode(text, name)
    if len(decoded) > MAX_BYTES:
        raise InputError(name, f"input is larger than {MAX_BYTES // (1024 * 1024)} MiB: refusing to read it")
    with gc_paused():
        if _OBJECT_FIRST.match(decoded):
            documents = _load_json(decoded, name)
            if documents is not None:
                return Parsed(name, documents, decoded, is_json=True)
        from .yamlcompose import load_yaml  # the YAML parser, only for text that is not JSON

        return Parsed(name, load_yaml(decoded, name), decoded)


def _decode(text: str | bytes, name: str) -> str:
    if isinstance(text, str):
        return text
    if len(text) > 4 * MAX_BYTES:
        raise InputError(name, f"input is larger than {MAX_BYTES // (1024 * 1024)} MiB: refusing to read it")
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):  # fmt: skip
        if text.startswith(bom):
            try:
                return text.decode(encoding)
            except UnicodeDecodeError as err:
                raise InputError(
                    name, f"not {encoding.upper()} text: {err.reason} at byte {err.start}"
                ) from None
    # What "utf-8-sig" does, without importing its codec module at every start: the BOM is dropped
    # and the rest decoded. An error names the byte at its offset in the input as given, BOM included.
    bom = 3 if text.startswith(b"\xef\xbb\xbf") else 0
    try:
        return text[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = bom + err.start
        raise InputError(
            name, f"not UTF-8 text: byte 0x{text[at]:02x} at offset {at} ({err.reason})"
        ) from None


# What `str.lstrip()` strips, then `{`: a JSON object, found without copying megabytes of text.
_OBJECT_FIRST = re.compile(r"\s*\{")


class _DuplicateKeyError(ValueError):
    pass


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object, refused when a key repeats (json.loads would keep the last one silently)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _blank_before_colon(text: str) -> bool:
    """Whether a JSON blank (space, tab, LF, CR) stands right before a colon anywhere in `text`.

    JSON allows only these four between tokens, so a key written with blanks before its colon
    (`"a" : 1`, as a pretty-printer may write it) has one of them right before the colon; a blank
    before a colon inside a string answers yes too, which only costs the slower pass. Each test is
    a C-level search, and one for a character the text does not hold stops at once: `juju status
    --format=json` is one line, so only spaces need the two-character search.
    """
    return any(blank in text and blank + ":" in text for blank in " \t\n\r")


def _without_repeated_keys(text: str, key_colons: int | None = None) -> tuple[object] | None:
    """The JSON document of `text` when counting proves that no object repeats a key; else None.

    json.loads builds each object in C, and the hook only adds up how many keys the objects kept; a
    repeated key leaves its object one short of the keys the text holds. When no key's closing quote
    is followed by blanks, every key ends in `":`, so the text holds at most `text.count('":')` keys
    (a `":` may also open a string, or sit inside one after an escaped quote: more, never fewer).
    Kept == counted therefore proves that no key repeats. Anything else (blanks before a colon, more
    `":` than keys kept, input json.loads refuses) returns None, and `_object` reads the text again:
    it names the repeated key, and refuses what it refused before, as before. Twice as fast as
    `_object` on a `juju status` (Juju writes it with `":` and no blanks), which builds a list of
    pairs per object; tests/unit/sources/test_yamlload.py holds the two to the same result.
    `key_colons` is `_key_colons(text)` when the caller counted it already.
    """
    if key_colons is None:
        key_colons = _key_colons(text)
    if key_colons is None:
        return None
    kept = 0

    def counted(obj: dict[str, object]) -> dict[str, object]:
        nonlocal kept
        kept += len(obj)
        return obj

    try:
        document: object = json.loads(text, object_hook=counted, parse_float=JsonFloat)
    except (ValueError, RecursionError):
        return None  # `_object`'s pass says what is wrong, as it did before
    return (document,) if kept == key_colons else None


def _key_colons(text: str) -> int | None:
    """How many `":` the text holds, when that bounds its keys (no blank before a colon); else None."""
    return None if _blank_before_colon(text) else text.count('":')


def _load_json(text: str, name: str) -> tuple[object, ...] | None:
    """The JSON document of `text`, None if it is not JSON; InputError for JSON that cannot be read.

    The budget is first checked with the `":` count (`json_values`), which bounds what json.loads
    builds of any text, JSON or not: inside the JSON it reads, each key's colon follows its quote.
    Only for JSON is that count a bound of the whole text's values, so unless the document is read
    at once, the plain count is checked again before anything else is said: a text refused as
    too large is refused as before, whether or not it is JSON.
    """
    key_colons = _key_colons(text)
    _check_budget(text, name, key_colons)
    documents = _without_repeated_keys(text, key_colons)
    if documents is not None:
        return documents
    if key_colons is not None:
        _check_budget(text, name)
    try:
        return (json.loads(text, object_pairs_hook=_object, parse_float=JsonFloat),)
    except _DuplicateKeyError as err:
        # json.loads keeps no positions; the key names the object well enough to find it.
        raise InputError(
            name, f"invalid JSON: key {quote(str(err.args[0]))} is defined twice in one object"
        ) from None
    except json.JSONDecodeError:
        return None  # not JSON after all: the YAML reader decides, and its errors carry lines
    except RecursionError:
        raise InputError(name, "JSON nested too deeply to read") from None
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        raise InputError(name, f"invalid JSON: {one_line(str(err))}") from None


def _check_budget(text: str, name: str, key_colons: int | None = None) -> None:
    values = json_values(text, key_colons)
    if values > MAX_NODES:
        raise InputError(name, too_many(values, "JSON values"))


def too_many(count: int | None, what: str) -> str:
    if count is None:
        return f"the input holds more than {MAX_NODES} {what}; no bundle or juju status needs that many: refusing it"
    return (
        f"the input holds {count} {what}; no bundle or juju status needs more than {MAX_NODES}: refusing it"
    )


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_values(text: str, key_colons: int | None = None) -> int:
    """How many values (keys included) a JSON text holds, counted without building any of them.

    Outside strings every value but the first follows a `,` or a `:`, and every array and object
    opens with its bracket: their count is exact for arrays and objects that hold something, and
    one more per empty one. Strings are cut out first only when the raw count is too high to pass.
    `key_colons` (`_key_colons`: no blank stands before a colon, so every key's colon follows its
    closing quote) stands for the colons when given: no fewer than the colons outside strings, it
    keeps the raw count an upper bound of a JSON text's values (`_load_json` says why that is
    enough), and spares a pass over the text that `_without_repeated_keys` makes anyway. A raw count
    it makes too high is recounted exactly, as the plain one is, so a refusal names the same count.
    """
    colons = text.count(":") if key_colons is None else key_colons
    rough = text.count(",") + colons + text.count("[") + text.count("{") + 1
    if rough <= MAX_NODES:
        return rough
    bare = _JSON_STRING.sub("", text)
    return bare.count(",") + bare.count(":") + bare.count("[") + bare.count("{") + 1


def one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def as_sequence(value: object) -> Sequence[object] | None:
    """`value` as a list if it is one (YAML or JSON), else None."""
    return cast(list[object], value) if isinstance(value, list) else None


def as_mapping(value: object) -> Mapping[Any, object] | None:
    """`value` as a mapping if it is one (YAML or JSON), else None."""
    return cast(dict[Any, object], value) if isinstance(value, dict) else None
