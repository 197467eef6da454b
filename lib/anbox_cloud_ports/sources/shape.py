"""The shape of a parsed Juju dump, checked with errors that name the input, the place and its line.

The small dumps that complete a `juju status` (show-application, `juju exec` output, `juju spaces`)
are each a few nested mappings of known keys; this is the one place that says "expected a mapping,
found a list" for them, so each reader is only about what its fields mean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..model import Location
from .yamlload import Parsed, as_mapping, as_sequence, describe, line_of, path

# A top-level-looking key of a JSON object (`"lxd/0": {`): the json module keeps no positions.
_JSON_KEY = r'"([^"\\\n]{1,200})"\s*:\s*\{'  # compiled when first used: only on error


class Shape:
    """Shape checks on one parsed input: each raises InputError at the offending key's line."""

    def __init__(self, parsed: Parsed):
        self.parsed = parsed
        self._json_lines: dict[str, int] | None = None

    @property
    def input(self) -> str:
        return self.parsed.input

    def line(self, container: object, key: object) -> int | None:
        """The key's line: YAML keeps it; for JSON, the first object key of that text."""
        found = line_of(container, key)
        if found is None and self.parsed.is_json and isinstance(key, str):
            if self._json_lines is None:
                self._json_lines = self.parsed.json_key_lines(re.compile(_JSON_KEY))
            found = self._json_lines.get(key)
        return found

    def error(self, where: str, problem: str, container: object = None, key: object = None) -> InputError:
        return InputError(self.input, problem, where=where, line=self.line(container, key))

    def location(self, container: object, key: object) -> Location:
        return Location(self.input, self.line(container, key))

    def one_document(self, what: str) -> object:
        documents = self.parsed.documents
        if len(documents) != 1:
            raise InputError(
                self.input, f"{what} prints one document; this input has {len(documents) or 'none'}"
            )
        return documents[0]

    def mapping(
        self, value: object, where: str, container: object = None, key: object = None, *, what: str
    ) -> Mapping[Any, object]:
        """`value` as a mapping (null reads as empty), else an error saying what was expected."""
        if value is None:
            return {}
        found = as_mapping(value)
        if found is None:
            raise self.error(where, f"expected {what}, found {describe(value)}", container, key)
        return found

    def strings(self, value: object, where: str, container: object, key: object) -> tuple[str, ...]:
        """A list of strings (null reads as empty)."""
        if value is None:
            return ()
        items = as_sequence(value)
        if items is None or not all(isinstance(item, str) for item in items):
            raise self.error(
                path(where, str(key)), f"expected a list of strings, found {describe(value)}", container, key
            )
        return tuple(str(item) for item in items)

    def boolean(self, value: object, where: str, container: object, key: object) -> bool:
        if not isinstance(value, bool):
            raise self.error(
                path(where, str(key)), f"expected true or false, found {describe(value)}", container, key
            )
        return value
