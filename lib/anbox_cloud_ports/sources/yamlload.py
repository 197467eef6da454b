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
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from ..errors import InputError
from ..gcpause import gc_paused
from ..text import quote

# libyaml composes nodes with the same marks (line numbers) as the pure-Python reader, five to ten
# times faster, and refuses nesting deeper than 1000 levels itself; the pure-Python reader is the
# fallback where PyYAML was built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_INT = "tag:yaml.org,2002:int"
_MAX_DIGITS = 100
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
# `=` resolves to the "value" tag, which PyYAML cannot construct; Go's yaml.v2 reads it as a string.
_PLAIN = frozenset({_STR, "tag:yaml.org,2002:value"})
_MAP_TAGS = frozenset({_MAP, "tag:yaml.org,2002:set", "tag:yaml.org,2002:omap"})
_SEQ_TAGS = frozenset({_SEQ, "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"})
_SCALARS: Mapping[str, Any] = SafeConstructor.yaml_constructors


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


@dataclass(frozen=True)
class Parsed:
    """The documents of one input, with what the sources need to place findings in it."""

    input: str
    documents: tuple[object, ...]
    text: str = field(repr=False)
    is_json: bool = False

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


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.:/-]{0,80}")


def path(*parts: object) -> str:
    """A YAML path for messages: `applications.ams.to[1]`; odd keys are quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
            continue
        text = str(part)
        shown = text if _PLAIN_KEY.fullmatch(text) else quote(text, 40)
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
        if decoded.lstrip()[:1] == "{":
            documents = _load_json(decoded, name)
            if documents is not None:
                return Parsed(name, documents, decoded, is_json=True)
        return Parsed(name, _load_yaml(decoded, name), decoded)


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
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            name, f"not UTF-8 text: byte 0x{text[err.start]:02x} at offset {err.start} ({err.reason})"
        ) from None


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


def _load_json(text: str, name: str) -> tuple[object, ...] | None:
    values = json_values(text)
    if values > MAX_NODES:
        raise InputError(name, _too_many(values, "JSON values"))
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
        raise InputError(name, f"invalid JSON: {_one_line(str(err))}") from None


def _too_many(count: int | None, what: str) -> str:
    if count is None:
        return f"the input holds more than {MAX_NODES} {what}; no bundle or juju status needs that many: refusing it"
    return (
        f"the input holds {count} {what}; no bundle or juju status needs more than {MAX_NODES}: refusing it"
    )


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_values(text: str) -> int:
    """How many values (keys included) a JSON text holds, counted without building any of them.

    Outside strings every value but the first follows a `,` or a `:`, and every array and object
    opens with its bracket: their count is exact for arrays and objects that hold something, and
    one more per empty one. Strings are cut out first only when the raw count is too high to pass.
    """
    rough = text.count(",") + text.count(":") + text.count("[") + text.count("{") + 1
    if rough <= MAX_NODES:
        return rough
    bare = _JSON_STRING.sub("", text)
    return bare.count(",") + bare.count(":") + bare.count("[") + bare.count("{") + 1


class _BudgetedLoader(_Loader):
    """libyaml's composer, stopped once it has composed MAX_NODES nodes.

    The composer (C or Python alike) calls `descend_resolver` once for every node it composes, before
    composing it; SafeLoader has no path resolvers, so that call does nothing but count here.
    """

    def __init__(self, stream: str, name: str):
        super().__init__(stream)
        self.name = name
        self.nodes = 0

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputError(self.name, _too_many(None, "YAML nodes"))


def _load_yaml(text: str, name: str) -> tuple[object, ...]:
    builder = _Builder(name, len(text))
    documents: list[object] = []
    try:
        loader = _BudgetedLoader(text, name)
    except UnicodeError as err:  # libyaml encodes the text first: lone surrogates fail here
        raise InputError(name, f"not valid text: {_one_line(str(err))}") from None
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append(builder.build(node))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or "malformed YAML"
        if err.context:
            problem += f" ({err.context})"
        line = mark.line + 1 if mark is not None else None
        raise InputError(name, f"invalid YAML: {_one_line(problem)}", line=line) from None
    except ReaderError as err:
        char: object = err.character
        code = ord(char) if isinstance(char, str) and len(char) == 1 else char
        where = f"character #x{code:04x}" if isinstance(code, int) else "a character"
        raise InputError(name, f"invalid YAML: {err.reason}: {where} at offset {err.position}") from None
    except yaml.YAMLError as err:
        raise InputError(name, f"invalid YAML: {_one_line(str(err))}") from None
    except UnicodeError as err:
        raise InputError(name, f"not valid text: {_one_line(str(err))}") from None
    except RecursionError:
        raise InputError(name, "YAML nested too deeply to read") from None
    finally:
        loader.dispose()
    return tuple(documents)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


class _Builder:
    """Turns composed nodes into YamlMap/YamlList/scalars, counting what aliases expand to.

    A node reached twice is an alias use: its value is built once and shared (as PyYAML does), and
    its expanded size is counted each time, so a document that would expand to billions of nodes is
    refused after a few hundred node visits.
    """

    def __init__(self, name: str, text_size: int = 0):
        self.name = name
        self.max_nodes = min(MAX_EXPANDED_NODES, max(MIN_EXPANSION_BUDGET, EXPANSION_PER_CHAR * text_size))
        self.constructor = SafeConstructor()
        self.memo: dict[int, tuple[object, int]] = {}
        self.in_progress: set[int] = set()
        self.alias_uses = 0

    def build(self, node: Node) -> object:
        self.memo.clear()  # anchors are per document; every node of this one stays alive meanwhile
        return self._node(node, 0)[0]

    def _fail(self, problem: str, node: Node) -> InputError:
        return InputError(self.name, problem, line=node.start_mark.line + 1)

    def _node(self, node: Node, depth: int) -> tuple[object, int]:
        if isinstance(node, ScalarNode):
            return self._scalar(node), 1
        key = id(node)
        seen = self.memo.get(key)
        if seen is not None:
            self.alias_uses += 1
            if self.alias_uses > MAX_ALIAS_USES:
                raise self._fail(
                    f"more than {MAX_ALIAS_USES} alias uses (a YAML bomb?): refusing the document", node
                )
            return seen
        if key in self.in_progress:
            raise self._fail("an alias refers to a node that contains it (a recursive alias)", node)
        if depth > MAX_DEPTH:
            raise self._fail(f"nested deeper than {MAX_DEPTH} levels", node)
        self.in_progress.add(key)
        if isinstance(node, MappingNode):
            result = self._mapping(node, depth)
        elif isinstance(node, SequenceNode):
            result = self._sequence(node, depth)
        else:  # pragma: no cover - the composer yields only these three
            raise self._fail("unknown YAML node", node)
        self.in_progress.discard(key)
        if result[1] > self.max_nodes:
            raise self._fail(
                f"aliases expand the document to more than {self.max_nodes} nodes (a YAML bomb?): refusing it",
                node,
            )
        self.memo[key] = result
        return result

    def _scalar(self, node: ScalarNode) -> object:
        if node.tag in _PLAIN:
            return node.value
        if node.tag == _INT and len(node.value) > _MAX_DIGITS:
            raise self._fail(
                f"an integer with {len(node.value)} digits is too large to be a number here", node
            )
        construct = _SCALARS.get(node.tag)
        if construct is None or node.tag in _MAP_TAGS or node.tag in _SEQ_TAGS:
            raise self._fail(f"unsupported YAML tag {quote(node.tag)} on a scalar", node)
        try:
            return construct(self.constructor, node)
        except (ValueError, OverflowError, yaml.YAMLError) as err:  # a bad date, bad base64
            raise self._fail(
                f"cannot read scalar {quote(node.value, 30)}: {_one_line(str(err))}", node
            ) from None
        except (AttributeError, IndexError, KeyError, TypeError):
            # PyYAML's constructors assume the resolver chose the tag: an explicit `!!timestamp x`,
            # `!!bool x` or empty `!!int` fails inside them with these.
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            raise self._fail(f"cannot read scalar {quote(node.value, 30)} as !!{tag}", node) from None

    def _mapping(self, node: MappingNode, depth: int) -> tuple[object, int]:
        """A mapping, `<<` applied where it stands (yaml.v2 `decoder.mapping`, docs/juju-facts.md#bundle-yaml).

        The merged keys are written when the `<<` key is reached: an explicit key before it is
        overwritten, one after it wins; from a list of maps, earlier maps win. Only explicit keys
        may not repeat.
        """
        if node.tag not in _MAP_TAGS:
            raise self._fail(f"unsupported YAML tag {quote(node.tag)} on a mapping", node)
        result = YamlMap(node.start_mark.line + 1)
        size = 1
        explicit: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources, merged_size = self._merge_sources(value_node, depth)
                size += merged_size  # what the merge copies in counts as expanded (merge bombs)
                if result.assignments is None:
                    result.assignments = list(result.items())
                # yaml.v2 `d.merge`: a list of maps is applied from its last map to its first.
                for source, source_node in reversed(sources):
                    fallback = source_node.start_mark.line + 1
                    for key, value in _assigned(source):
                        _assign(result, key, value, source.key_lines.get(key, fallback))
                        _copy_text(source, key, result)
                continue
            key, key_size = self._node(key_node, depth + 1)
            if isinstance(key, dict | list):
                raise self._fail("a mapping key is a mapping or a list; keys must be scalars", key_node)
            if not isinstance(key, str) and isinstance(key_node, ScalarNode) and not key_node.style:
                # A plain key is its text, as Go reads it into map[string]: null is "".
                key = "" if key is None else key_node.value
            value, value_size = self._node(value_node, depth + 1)
            size += key_size + value_size
            line = key_node.start_mark.line + 1
            if key in explicit:
                raise self._fail(
                    f"mapping key {quote(key)} already defined at line {explicit[key]}", key_node
                )
            explicit[key] = line
            _assign(result, key, value, line)
            text = _plain_text(value_node, value)
            if text is not None:
                if result.texts is None:
                    result.texts = {}
                result.texts[key] = text
            elif result.texts is not None:
                result.texts.pop(key, None)
        if size > self.max_nodes:
            raise self._fail(
                f"aliases expand the document to more than {self.max_nodes} nodes (a YAML bomb?): refusing it",
                node,
            )
        return result, size

    def _merge_sources(self, node: Node, depth: int) -> tuple[list[tuple[YamlMap, Node]], int]:
        value, size = self._node(node, depth + 1)
        if isinstance(value, YamlMap):
            return [(value, node)], size
        if isinstance(value, YamlList) and isinstance(node, SequenceNode):
            items = cast(list[object], value)
            if all(isinstance(item, YamlMap) for item in items):
                return [(cast(YamlMap, item), sub) for item, sub in zip(items, node.value, strict=True)], size
        # yaml.v2's own words (decode.go `d.merge`).
        raise self._fail("map merge requires map or sequence of maps as the value", node)

    def _sequence(self, node: SequenceNode, depth: int) -> tuple[object, int]:
        if node.tag not in _SEQ_TAGS:
            raise self._fail(f"unsupported YAML tag {quote(node.tag)} on a list", node)
        result = YamlList(node.start_mark.line + 1)
        size = 1
        for item_node in node.value:
            value, item_size = self._node(item_node, depth + 1)
            size += item_size
            text = _plain_text(item_node, value)
            if text is not None:
                if result.texts is None:
                    result.texts = {}
                result.texts[len(result)] = text
            result.append(value)
            result.item_lines.append(item_node.start_mark.line + 1)
        return result, size


# Plain scalars Go's yaml.v2 may read otherwise than PyYAML does, although PyYAML read a string: a
# sign, a digit or a dot first (`0o7`, `1e+3`, `-.5` are numbers to Go), or `y`/`n` (booleans to Go).
_GO_HINTS = frozenset("+-.0123456789")
_GO_BOOLS = frozenset({"y", "Y", "n", "N"})


def _plain_text(node: Node, value: object) -> str | None:
    """The source text of a plain scalar a Go reader could read otherwise than `value`; else None."""
    if not isinstance(node, ScalarNode) or node.style:  # plain: None (PyYAML) or "" (libyaml)
        return None
    text = node.value
    if not isinstance(value, str) or (text[:1] in _GO_HINTS or text in _GO_BOOLS):
        return text
    return None


def _assign(result: YamlMap, key: object, value: object, line: int) -> None:
    result[key] = value
    result.key_lines[key] = line
    if result.assignments is not None:
        result.assignments.append((key, value))


def _assigned(source: YamlMap) -> list[tuple[Any, Any]]:
    """What merging `source` assigns: its own assignments when it holds a merge itself."""
    return source.assignments if source.assignments is not None else list(source.items())


def _copy_text(source: YamlMap, key: object, target: YamlMap) -> None:
    text = source.texts.get(key) if source.texts is not None else None
    if text is not None:
        if target.texts is None:
            target.texts = {}
        target.texts[key] = text
    elif target.texts is not None:
        target.texts.pop(key, None)


def as_sequence(value: object) -> Sequence[object] | None:
    """`value` as a list if it is one (YAML or JSON), else None."""
    return cast(list[object], value) if isinstance(value, list) else None


def as_mapping(value: object) -> Mapping[Any, object] | None:
    """`value` as a mapping if it is one (YAML or JSON), else None."""
    return cast(dict[Any, object], value) if isinstance(value, dict) else None
