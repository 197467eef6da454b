"""The YAML half of `yamlload`: libyaml's composer, bounded, and the builder of YamlMap/YamlList.

Imported only for an input that is not JSON: a `juju status --format=json` dump and the built-in
reference never load the YAML parser. `yamlload.load` decides and calls `load_yaml` here; the bounds
(MAX_NODES, MAX_DEPTH, alias budgets) and the container types are yamlload's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from ..errors import InputError
from ..text import quote
from . import yamlload as limits  # its bounds are read when a document is read (tests lower them)
from .yamlload import YamlList, YamlMap, one_line, too_many

# libyaml composes nodes with the same marks (line numbers) as the pure-Python reader, five to ten
# times faster, and refuses nesting deeper than 1000 levels itself; the pure-Python reader is the
# fallback where PyYAML was built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
        if self.nodes > limits.MAX_NODES:
            raise InputError(self.name, too_many(None, "YAML nodes"))


def load_yaml(text: str, name: str) -> tuple[object, ...]:
    builder = _Builder(name, len(text))
    documents: list[object] = []
    try:
        loader = _BudgetedLoader(text, name)
    except UnicodeError as err:  # libyaml encodes the text first: lone surrogates fail here
        raise InputError(name, f"not valid text: {one_line(str(err))}") from None
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
        raise InputError(name, f"invalid YAML: {one_line(problem)}", line=line) from None
    except ReaderError as err:
        char: object = err.character
        code = ord(char) if isinstance(char, str) and len(char) == 1 else char
        where = f"character #x{code:04x}" if isinstance(code, int) else "a character"
        raise InputError(name, f"invalid YAML: {err.reason}: {where} at offset {err.position}") from None
    except yaml.YAMLError as err:
        raise InputError(name, f"invalid YAML: {one_line(str(err))}") from None
    except UnicodeError as err:
        raise InputError(name, f"not valid text: {one_line(str(err))}") from None
    except RecursionError:
        raise InputError(name, "YAML nested too deeply to read") from None
    finally:
        loader.dispose()
    return tuple(documents)


class _Builder:
    """Turns composed nodes into YamlMap/YamlList/scalars, counting what aliases expand to.

    A node reached twice is an alias use: its value is built once and shared (as PyYAML does), and
    its expanded size is counted each time, so a document that would expand to billions of nodes is
    refused after a few hundred node visits.
    """

    def __init__(self, name: str, text_size: int = 0):
        self.name = name
        self.max_nodes = min(
            limits.MAX_EXPANDED_NODES, max(limits.MIN_EXPANSION_BUDGET, limits.EXPANSION_PER_CHAR * text_size)
        )
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
            if self.alias_uses > limits.MAX_ALIAS_USES:
                raise self._fail(
                    f"more than {limits.MAX_ALIAS_USES} alias uses (a YAML bomb?): refusing the document",
                    node,
                )
            return seen
        if key in self.in_progress:
            raise self._fail("an alias refers to a node that contains it (a recursive alias)", node)
        if depth > limits.MAX_DEPTH:
            raise self._fail(f"nested deeper than {limits.MAX_DEPTH} levels", node)
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
                f"cannot read scalar {quote(node.value, 30)}: {one_line(str(err))}", node
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
