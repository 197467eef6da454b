"""`juju spaces --format=json|yaml` and `--space NAME=CIDR,...`: the subnets a space stands for.

An expose rule to a space opens to that space's subnets' CIDRs, resolved only in the firewaller
(docs/juju-facts.md#expose); a space is only as private as its subnets. `juju spaces` lists them
(docs/juju-facts.md#spaces, juju cmd/juju/space/list.go `formattedList`): {spaces: [{id, name,
subnets: {CIDR: {type, provider-id?, status?, zones}}}]}. `--short` lists names only, which says
nothing of subnets, so it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from ..errors import InputError
from ..names import is_cidr, is_space
from ..text import quote
from .shape import Shape
from .yamlload import Parsed, as_mapping, as_sequence, path

if TYPE_CHECKING:
    from .combine import Merger

SpaceSubnets = Mapping[str, tuple[str, ...]]


def looks_like_spaces(document: object) -> bool:
    top = as_mapping(document)
    return top is not None and set(top) == {"spaces"}


class SpaceList(NamedTuple):
    """Each space's subnets. `complete`: the whole list (`juju spaces`), not a few `--space` options."""

    input: str
    spaces: SpaceSubnets
    complete: bool = True

    def apply(self, merger: Merger) -> None:
        merger.set_spaces(self.spaces, self.input, complete=self.complete)


def read(parsed: Parsed) -> SpaceList:
    shape = Shape(parsed)
    top = shape.mapping(shape.one_document("juju spaces"), "", what="a mapping")
    listed = top.get("spaces")
    entries = as_sequence(listed) if listed is not None else []
    if entries is None:
        raise shape.error("spaces", "expected a list of spaces", top, "spaces")
    spaces: dict[str, tuple[str, ...]] = {}
    for i, entry in enumerate(entries):
        where = path("spaces", i)
        if isinstance(entry, str):
            raise shape.error(
                where,
                "this is `juju spaces --short`, which lists no subnets: run `juju spaces --format=json`",
                entries,
                i,
            )
        body = shape.mapping(entry, where, entries, i, what="a space")
        name = body.get("name")
        if not is_space(name):
            raise shape.error(where, f"not a Juju space name: {quote(name)}", body, "name")
        assert isinstance(name, str)  # noqa: S101 - is_space accepts strings only
        subnets = shape.mapping(body.get("subnets"), path(where, "subnets"), body, "subnets", what="subnets")
        cidrs: list[str] = []
        for cidr in subnets:
            if not is_cidr(cidr):
                raise shape.error(path(where, "subnets"), f"not a CIDR: {quote(cidr)}", subnets, cidr)
            cidrs.append(str(cidr))
        if name in spaces:
            raise shape.error(where, f"space {name} is listed twice", body, "name")
        spaces[name] = tuple(cidrs)
    return SpaceList(parsed.input, MappingProxyType(spaces))


def parse_space_option(text: str) -> tuple[str, tuple[str, ...]]:
    """`NAME=CIDR[,CIDR...]` as `--space` takes it; `NAME=` says the space has no subnets."""
    name, equals, rest = text.partition("=")
    if not equals or not is_space(name):
        raise InputError("--space", f"expected NAME=CIDR[,CIDR...] with a Juju space name, got {quote(text)}")
    cidrs = tuple(part.strip() for part in rest.split(",") if part.strip())
    for cidr in cidrs:
        if not is_cidr(cidr):
            raise InputError("--space", f"{name}: not a CIDR: {quote(cidr)}")
    return name, cidrs


def space_options(texts: Iterable[str]) -> SpaceList | None:
    """The `--space` options as one partial list (a name given twice adds up), None if there are none."""
    spaces: dict[str, tuple[str, ...]] = {}
    for text in texts:
        name, cidrs = parse_space_option(text)
        spaces[name] = spaces.get(name, ()) + cidrs
    return SpaceList("--space", MappingProxyType(spaces), complete=False) if spaces else None
