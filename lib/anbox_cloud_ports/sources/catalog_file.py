"""`--catalog FILE`: an operator's own services, checked by the same rules as the seed's.

An Anbox model runs more than Anbox (monitoring agents, NRPE, proxies); their ports collide with
Anbox's just the same. The file is YAML, validated like any input (one line naming the file, the
place and the problem):

    services:
      - service: NRPE
        charms: [nrpe]
        ports: ["5666/tcp"]      # what `open-port` takes: 80/tcp, 10000-11000/udp, icmp
        exposed: false           # exposed externally, as the seed's column
        required: true           # true/false, or yes/no/conditional
        description: Nagios remote plugin executor
        profile: charmed         # charmed (default) or appliance
        subordinate: true        # the charm is a subordinate (`subordinate: true` in its metadata)

`subordinate` is what a bundle cannot say: a subordinate application has no `num_units`, and its
units live beside each unit of the principals it relates to.

Every unit of a charm holds every port its rows name, so the rows one charm may have are bounded
(MAX_PORTS_PER_CHARM, across the built-in catalog and every file), and so are all the catalog's ports
together (MAX_CATALOG_PORTS): a file of 131,000 ranges for one charm would otherwise make each of its
units cost a second to check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import pydantic

from ..catalog import Catalog, CatalogRow, Profile, Required
from ..errors import InputError, PortRangeError
from ..ports import PORT_ZERO, PortRange
from ..text import quote
from . import yamlload

MAX_PORTS_PER_CHARM = 64
"""Ports and ranges one charm's rows may name in one profile (a `UDP & TCP` port counts twice); the
seed's busiest charm names 3."""
MAX_CATALOG_PORTS = 10_000
"""Ports and ranges the whole catalog may name, the built-in rows included (the seed names 26)."""

_Name = Annotated[str, pydantic.StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
_Text = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=200)]


class _Service(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    service: _Text
    charms: Annotated[list[_Name], pydantic.Field(min_length=1, max_length=50)]
    ports: Annotated[
        list[Annotated[str, pydantic.StringConstraints(max_length=32)]],
        pydantic.Field(min_length=1, max_length=200),
    ]
    exposed: bool = False
    required: bool | Required = False
    condition: Annotated[str, pydantic.StringConstraints(max_length=200)] = ""
    description: Annotated[str, pydantic.StringConstraints(max_length=200)] = ""
    profile: Profile = "charmed"
    subordinate: bool = False


class _File(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    services: Annotated[list[_Service], pydantic.Field(max_length=1000)]


def _required(value: bool | str) -> Required:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value  # type: ignore[return-value]  # the Literal above admits only Required's values


def load_catalog_rows(text: str | bytes, *, input: str, base: Catalog | None = None) -> list[CatalogRow]:
    """The rows a catalog file adds to `base` (the built-in catalog), in file order.

    InputError for anything that cannot be used, and for rows that would take a charm past
    MAX_PORTS_PER_CHARM or the catalog past MAX_CATALOG_PORTS.
    """
    parsed = yamlload.load(text, input)
    if len(parsed.documents) != 1:
        raise InputError(input, "a catalog file is one YAML document with a services: list")
    document = parsed.documents[0]
    try:
        model = _File.model_validate(document)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = yamlload.path(*first["loc"])
        line = _line(document, first["loc"])
        raise InputError(input, first["msg"], where=where, line=line) from None
    return list(_rows(model.services, document, input, base if base is not None else Catalog.builtin()))


def _rows(services: Iterable[_Service], document: object, input: str, base: Catalog) -> Iterable[CatalogRow]:
    counted = _PortCount(base, document, input)
    for i, service in enumerate(services):
        for j, text in enumerate(service.ports):
            loc = ("services", i, "ports", j)
            try:
                # A row is what the charm opens: the hook tool's syntax (docs/juju-facts.md#port-syntax).
                port = PortRange.parse_open_port(text)
            except PortRangeError as err:
                raise InputError(
                    input, str(err), where=yamlload.path(*loc), line=_line(document, loc)
                ) from None
            if port.has_port_zero:
                raise InputError(
                    input,
                    f"invalid port range {quote(text)}: {PORT_ZERO}",
                    where=yamlload.path(*loc),
                    line=_line(document, loc),
                )
            cell = (
                ""
                if port.protocol == "icmp"
                else (str(port.start) if port.size == 1 else f"{port.start}-{port.end}")
            )
            row = CatalogRow(
                service.profile,
                service.service,
                tuple(service.charms),
                cell,
                port.protocol.upper(),
                service.exposed,
                _required(service.required),
                service.description,
                condition=service.condition,
                subordinate=service.subordinate,
            )
            counted.add(row, loc)
            yield row


class _PortCount:
    """Ports per charm and in all, from the catalog a file extends, refused past their bounds."""

    def __init__(self, base: Catalog, document: object, input: str):
        self.document = document
        self.input = input
        self.total = sum(len(row.claims) for row in base)
        self.per_charm: dict[tuple[Profile, str], int] = {}
        for row in base:
            for charm in row.charms:
                key = (row.profile, charm)
                self.per_charm[key] = self.per_charm.get(key, 0) + len(row.claims)

    def add(self, row: CatalogRow, loc: tuple[object, ...]) -> None:
        self.total += len(row.claims)
        if self.total > MAX_CATALOG_PORTS:
            raise self._refuse(f"the catalog would name more than {MAX_CATALOG_PORTS} ports and ranges", loc)
        for charm in row.charms:
            key = (row.profile, charm)
            self.per_charm[key] = self.per_charm.get(key, 0) + len(row.claims)
            if self.per_charm[key] > MAX_PORTS_PER_CHARM:
                raise self._refuse(
                    f"charm {charm} would hold more than {MAX_PORTS_PER_CHARM} ports and ranges in the "
                    f"{row.profile} catalog; every unit of it holds them all",
                    loc,
                )

    def _refuse(self, problem: str, loc: tuple[object, ...]) -> InputError:
        return InputError(self.input, problem, where=yamlload.path(*loc), line=_line(self.document, loc))


def _line(document: object, loc: Iterable[object]) -> int | None:
    """The line of the deepest entry of `loc` the document has, for the error message."""
    node = document
    line = None
    for key in loc:
        container = yamlload.as_mapping(node)
        sequence = yamlload.as_sequence(node) if container is None else None
        if container is not None and key in container:
            line = yamlload.line_of(container, key) or line
            node = container[key]
        elif sequence is not None and isinstance(key, int) and 0 <= key < len(sequence):
            line = yamlload.line_of(sequence, key) or line
            node = sequence[key]
        else:
            break
    return line
