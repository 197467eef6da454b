"""The Anbox Cloud Appliance as a Deployment, so `check --profile appliance` runs the same engine.

The appliance is one snap on one machine, not a Juju model: there are no units, endpoints or expose
rules to read. This module builds the equivalent model from the appliance table so the engine's rules
give the verdict the table means:

- every appliance service is an application of its own (named by its catalog key, `coturn`, `ams`) with
  one unit `<key>/0`, all on one host, so two services claiming one port is a conflict like any other;
- rows exposed externally are claimed on the endpoint `public`, the others on `internal`, and only
  applications that have a public row are exposed, on `public` alone. A wildcard expose (`""`) would be
  wrong: by Juju's rule (docs/juju-facts.md#expose) it exposes every opened port, so AMS's 8444 would "leak";
- ports the operator's own services hold on that machine (`--claim 8444/tcp=my-service`, or a claims
  file) become units of their own (`my-service/0`), unexposed, so the engine reports what they collide
  with.

"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ..catalog import Catalog, CatalogRow
from ..errors import InputError, PortRangeError
from ..model import Application, Claim, Deployment, ExposeTarget, Host, Unit
from ..ports import PORT_ZERO, PortRange, merge
from ..text import quote

APPLIANCE_HOST = Host("appliance")
PUBLIC_ENDPOINT = "public"
INTERNAL_ENDPOINT = "internal"

# A name that reads as an application and makes a valid unit name `<name>/0`: no `/`, `=`, spaces or
# quotes, bounded, so it can be printed in a finding without escaping. Looser than Juju's own rule on
# purpose: operators name their services `node_exporter` or `Nginx`, and nothing here goes to Juju.
_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def parse_claim_arg(text: str) -> tuple[PortRange, str]:
    """`--claim PORT=NAME` (`8444/tcp=my-service`, `9000-9100/udp=exporter`) as (port, service name).

    The port side is Juju's syntax (tcp by default); raises PortRangeError for a bad port and InputError
    for anything else, both quoting the argument.
    """
    if not isinstance(text, str) or text.count("=") != 1:
        raise InputError("--claim", f"{quote(text)} is not PORT=NAME (e.g. 8444/tcp=my-service)")
    port_text, name = (part.strip() for part in text.split("="))
    return _claim(port_text, name, "--claim", None)


def claims_from_file(text: str | bytes, input: str) -> list[tuple[PortRange, str]]:
    """A claims file (`--claims FILE`): one YAML or JSON document, read as any input is."""
    from .yamlload import load

    parsed = load(text, input)
    if len(parsed.documents) != 1:
        raise InputError(input, "a claims file is one YAML document with a claims: key")
    return claims_from_data(parsed.documents[0], input)


def claims_from_data(data: object, input: str) -> list[tuple[PortRange, str]]:
    """The claims file, already parsed from YAML or JSON, as (port, service name) pairs.

    Two shapes are accepted, both under a top-level `claims` key:

        claims:                         claims:
          my-service: 8444/tcp            - 8444/tcp=my-service
          exporter: [9100, 9000-9100/udp] - 9100=exporter

    The mapping is what people write by hand; the list is the `--claim` syntax, so a command line can
    be moved into a file unchanged. Raises InputError naming `input` and the place for every problem.
    """
    if not isinstance(data, Mapping) or set(data) != {"claims"}:
        raise InputError(input, "expected a mapping with one key, claims")
    claims = data["claims"]
    out: list[tuple[PortRange, str]] = []
    if isinstance(claims, Mapping):
        for name, ports in claims.items():
            if not isinstance(name, str):
                raise InputError(input, f"service name {quote(name)} is not a string", where="claims")
            where = f"claims.{quote(name)[1:-1]}"
            items = ports if isinstance(ports, list) else [ports]
            if not items:
                raise InputError(input, "lists no ports", where=where)
            for index, port in enumerate(items):
                place = f"{where}[{index}]" if isinstance(ports, list) else where
                out.append(_claim(_port_text(port, input, place), name, input, place))
        return out
    if isinstance(claims, list):
        for index, item in enumerate(claims):
            place = f"claims[{index}]"
            if not isinstance(item, str) or item.count("=") != 1:
                raise InputError(
                    input, f"{quote(item)} is not PORT=NAME (e.g. 8444/tcp=my-service)", where=place
                )
            port_text, name = (part.strip() for part in item.split("="))
            out.append(_claim(port_text, name, input, place))
        return out
    raise InputError(
        input, "claims must map service names to ports, or list PORT=NAME strings", where="claims"
    )


def _port_text(value: object, input: str, where: str) -> str:
    # YAML hands `8444` over as an int; bools are ints to Python and are refused.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    raise InputError(input, f"{quote(value)} is not a port (e.g. 8444/tcp or 60000-60100/udp)", where=where)


def _claim(port_text: str, name: str, input: str, where: str | None) -> tuple[PortRange, str]:
    if not _SERVICE_NAME.fullmatch(name):
        raise InputError(
            input,
            f"service name {quote(name)} must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
            where=where,
        )
    if not port_text.isprintable():
        raise InputError(input, f"{quote(port_text)} is not a port (e.g. 8444/tcp)", where=where)
    try:
        # What an operator would pass to `open-port` (docs/juju-facts.md#port-syntax), for a socket.
        port = PortRange.parse_open_port(port_text)
    except PortRangeError as err:
        if where is None:
            raise
        raise InputError(input, str(err), where=where) from None
    if port.has_port_zero:
        raise InputError(input, f"{quote(port_text)}: {PORT_ZERO}", where=where)
    if port.protocol == "icmp":
        # A claim stands for a socket a service binds; icmp has none, so it could never conflict.
        raise InputError(input, f"{quote(port_text)}: a claim needs a tcp or udp port, not icmp", where=where)
    return port, name


def appliance_deployment(
    catalog: Catalog | None = None,
    extra: Sequence[tuple[PortRange, str]] = (),
    input: str = "appliance",
    *,
    host: Host = APPLIANCE_HOST,
) -> Deployment:
    """The appliance's port map on one host, plus the operator's own services' claims.

    Raises InputError when an extra service takes the name of an appliance service: the report would
    otherwise blame the appliance for the operator's port.
    """
    catalog = Catalog.builtin() if catalog is None else catalog
    rows = catalog.profile("appliance")

    # One application per service key, in table order; a row names its service by its first charm.
    by_key: dict[str, list[CatalogRow]] = {}
    for row in rows:
        by_key.setdefault(row.charms[0], []).append(row)

    applications: dict[str, Application] = {}
    units: list[Unit] = []
    claims: list[Claim] = []
    for key, key_rows in by_key.items():
        unit = f"{key}/0"
        public = any(row.exposed for row in key_rows)
        exposed = {PUBLIC_ENDPOINT: ExposeTarget()} if public else {}
        applications[key] = Application(key, key, MappingProxyType(exposed))
        units.append(Unit(unit, key, key, host))
        for row in key_rows:
            endpoint = PUBLIC_ENDPOINT if row.exposed else INTERNAL_ENDPOINT
            claims.extend(Claim(unit, port, endpoint, "catalog", row=row) for port in row.claims)

    held: dict[str, list[PortRange]] = {}
    for port, name in extra:
        if name in by_key:
            raise InputError(
                input,
                f'claim {port}={name}: "{name}" is an appliance service; name the service that holds {port}',
            )
        held.setdefault(name, []).append(port)
    for name, ports in held.items():
        unit = f"{name}/0"
        applications[name] = Application(name, name)
        units.append(Unit(unit, name, name, host))
        # What one service holds is a set of ports: 9100 listed beside 9000-9200 is the same socket
        # space, not a second open-port Juju would refuse, so overlapping claims are merged first.
        claims.extend(Claim(unit, port, "", "declared") for port in merge(ports))

    return Deployment(
        input=input,
        applications=MappingProxyType(applications),
        units=tuple(units),
        claims=tuple(claims),
        profile="appliance",
        juju_managed=False,
    )
