"""`juju show-application APP... --format=json|yaml`: each application's expose rules, exactly.

`juju status` prints `exposed: true` and never to whom (docs/juju-facts.md#status-formats);
show-application prints the rules (docs/juju-facts.md#show-application, juju
cmd/juju/application/show.go `ApplicationInfo`): a mapping of application name to {charm, base,
channel, constraints, principal, exposed, exposed-endpoints?: {endpoint ("" = all): {expose-to-spaces?,
expose-to-cidrs?}}, remote, life, endpoint-bindings}. Given after a status dump, it sets the rules of
the applications it names (sources.combine).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..model import ExposeTarget, Location
from ..names import is_application, is_endpoint, is_space
from ..text import quote
from .shape import Shape
from .yamlload import Parsed, as_mapping, path

if TYPE_CHECKING:
    from .combine import Merger

# Written for every application whatever its state (no omitempty in show.go's ApplicationInfo).
_ALWAYS = frozenset({"principal", "exposed", "remote"})


def looks_like_show_application(document: object) -> bool:
    top = as_mapping(document)
    if not top:
        return False
    return all(set(as_mapping(value) or ()) >= _ALWAYS for value in top.values())


def read_expose_rules(
    shape: Shape, value: object, where: str, container: object, key: object
) -> Mapping[str, ExposeTarget]:
    """`exposed-endpoints`: endpoint (`""` = every endpoint) -> the spaces and CIDRs it is exposed to.

    Endpoint and space names must be Juju's (docs/juju-facts.md#names); `""` stays the wildcard.
    """
    from .bundle import expose_target  # the bundle reader's own rule for one; imported only here

    rules = shape.mapping(value, path(where, str(key)), container, key, what="a mapping of endpoints")
    result: dict[str, ExposeTarget] = {}
    for raw, body in rules.items():
        endpoint = "" if raw is None else raw
        place = path(where, str(key), str(endpoint))
        if not isinstance(endpoint, str) or (endpoint and not is_endpoint(endpoint)):
            raise shape.error(place, f"not a Juju endpoint name: {quote(endpoint)}", rules, raw)
        entry = shape.mapping(body, place, rules, raw, what="expose-to-spaces and expose-to-cidrs")
        spaces = shape.strings(entry.get("expose-to-spaces"), place, entry, "expose-to-spaces")
        for space in spaces:
            if not is_space(space):
                raise shape.error(place, f"not a Juju space name: {quote(space)}", entry, "expose-to-spaces")
        cidrs = shape.strings(entry.get("expose-to-cidrs"), place, entry, "expose-to-cidrs")
        result[endpoint] = expose_target(cidrs, spaces)
    return MappingProxyType(result)


class ApplicationExposure(NamedTuple):
    """What show-application says of one application's exposure.

    `rules` is None when it says `exposed: true` without `exposed-endpoints`: the firewaller would
    then have no entry to open anything for, a state Juju's own commands do not leave, so the rules
    stay unknown rather than guessed.
    """

    name: str
    exposed: bool
    rules: Mapping[str, ExposeTarget] | None
    remote: bool
    location: Location


class ShowApplication(NamedTuple):
    """A parsed show-application dump: what it completes in a status is in `apply`."""

    input: str
    applications: tuple[ApplicationExposure, ...]

    def apply(self, merger: Merger) -> None:
        """Set the expose rules of every application it names; the status must have each."""
        for info in self.applications:
            if info.remote:
                continue  # a SAAS entry: its exposure is the offering model's
            merger.set_exposure(info, self.input)


def read(parsed: Parsed) -> ShowApplication:
    shape = Shape(parsed)
    top = shape.mapping(shape.one_document("juju show-application"), "", what="a mapping of applications")
    found: list[ApplicationExposure] = []
    for name, value in top.items():
        if not is_application(name):
            raise shape.error(path(str(name)), f"not a Juju application name: {quote(name)}", top, name)
        entry: Mapping[Any, object] = shape.mapping(value, name, top, name, what="application details")
        exposed = shape.boolean(entry.get("exposed"), name, entry, "exposed")
        remote = shape.boolean(entry.get("remote"), name, entry, "remote")
        rules: Mapping[str, ExposeTarget] | None = MappingProxyType({})
        if exposed:
            given = read_expose_rules(shape, entry.get("exposed-endpoints"), name, entry, "exposed-endpoints")
            rules = given or None
        found.append(ApplicationExposure(name, exposed, rules, remote, shape.location(top, name)))
    return ShowApplication(parsed.input, tuple(found))
