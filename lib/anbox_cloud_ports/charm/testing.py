"""Test helpers for charm authors: Juju's port hook tools in memory, and the anbox_ports relation.

ops.testing models opened ports as single ports without endpoints and does not intercept hook tools
(docs/juju-facts.md#ops-ports-limits), so a charm opening ranges on endpoints needs its own double::

    from ops import testing
    from anbox_cloud_ports.charm.testing import expected_claims, fake_hook_tools

    def test_opens_its_catalog_ports():
        ctx = testing.Context(MyCharm)
        with fake_hook_tools() as tools:
            ctx.run(ctx.on.install(), testing.State())
        assert tools.opened == expected_claims("coturn")

`FakeHookTools` applies Juju 3.x's rules, read from its source: a hook's opens and closes are pending
until the hook ends (a new hook, seen as a new charm instance, commits the previous one, and so does
leaving the `fake_hook_tools` block); `opened-ports` shows them, as Juju's does; conflicts are checked
against the machine's ports as the hook started, within the unit and against other units on the
same machine, with Juju's own error text; a wildcard range closed on one endpoint stays open on the
others once the hook commits. Every command line is recorded, as the argument list the real tools
would get. Inside the block, ops' own `Unit.open_port`, `close_port`, `opened_ports` and `set_ports`
go through the same fake (as they go through the same hook tools in Juju), so a test sees what a
charm mixing them with ServicePorts would meet.

The relation builders (`validator_relation`, `provider_relation`, `validator_report`) let a
provider charm be tested against the validator's own reader and checks, and the validator against
providers, without running either.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import ops

from ..catalog import Catalog, Profile
from ..checks import check
from ..databag import KEYS, DecodedUnit, PublishedClaim, RelatedUnit, decode_unit, encode_provider
from ..findings import JujuVersion, Report
from ..ports import PortRange
from ..sources.relation import deployment_from_units
from .declare import declared_endpoints
from .hooktools import OpenedPorts, PortConflictError, opened_ports_argv, port_argv
from .opener import desired_claims, use_hook_tools

if TYPE_CHECKING:
    from ops import testing

__all__ = [
    "TEST_MODEL_UUID",
    "FakeHookTools",
    "FakeMachine",
    "expected_claims",
    "fake_hook_tools",
    "juju_unit_keys",
    "provider_relation",
    "published",
    "validator_relation",
    "validator_report",
]

Grouped = dict[str, list[PortRange]]
"""Endpoint name -> ranges, as Juju's `network.GroupedPortRanges` (`""` is the wildcard endpoint)."""

Seed = PortRange | str | tuple[PortRange | str, str | Sequence[str]]
"""A port held before the test: `"80/tcp"` (all endpoints) or `("80/tcp", "public")`."""


class _AlreadyOpenError(Exception):
    """Juju's errors.AlreadyExists in checkForConflict: the same range on the same endpoint, a no-op."""


def _app(unit: str) -> str:
    return unit.partition("/")[0]


def _seed(seed: Seed) -> tuple[PortRange, tuple[str, ...]]:
    port, endpoints = (seed, ()) if isinstance(seed, PortRange | str) else seed
    port = port if isinstance(port, PortRange) else PortRange.parse(port)
    names = (endpoints,) if isinstance(endpoints, str) else tuple(endpoints)
    return port, names


class FakeMachine:
    """One Juju machine's opened ports: every unit's committed ranges, and each application's endpoints.

    Units sharing a FakeMachine conflict as co-located units do (each LXD container is a machine of its
    own: give it its own FakeMachine). `endpoints` maps an application to its bound endpoints, which
    Juju needs to narrow a wildcard range; FakeHookTools fills it from the charm's metadata when bound.
    """

    def __init__(self, endpoints: Mapping[str, Iterable[str]] | None = None):
        self.units: dict[str, Grouped] = {}
        self.endpoints: dict[str, frozenset[str]] = {
            app: frozenset(eps) for app, eps in (endpoints or {}).items()
        }

    def hold(self, unit: str, port: PortRange | str, endpoints: str | Sequence[str] = ()) -> None:
        """Seed: `unit` opened `port` in an earlier hook. Juju's rules apply, so a conflicting seed raises."""
        tools = FakeHookTools(unit, machine=self)
        tools.open_port(*_seed((port, endpoints)))
        tools.commit()

    def opened(self, unit: str) -> frozenset[tuple[PortRange, str]]:
        """(range, endpoint) pairs a unit holds; endpoint `""` means all endpoints."""
        return frozenset((port, ep) for ep, ports in self.units.get(unit, {}).items() for port in ports)


class FakeHookTools:
    """An in-memory HookTools for one unit, applying Juju 3.x's port rules.

    `calls` lists every command as its argument list (`["open-port", "--endpoints", "public",
    "5349/tcp"]`). `opened` is what the unit will hold once the current hook commits.
    """

    def __init__(
        self,
        unit: str | None = None,
        *,
        machine: FakeMachine | None = None,
        opened: Iterable[Seed] = (),
        endpoints: Iterable[str] | None = None,
    ):
        self.machine = machine if machine is not None else FakeMachine()
        self._unit = unit
        self.calls: list[list[str]] = []
        self._pending_open: Grouped = {}
        self._pending_close: Grouped = {}
        self._seeds = [_seed(seed) for seed in opened]
        self._endpoints = None if endpoints is None else frozenset(endpoints)
        self._framework: object | None = None
        if unit is not None:
            self._settle()

    # -- identity and hooks --------------------------------------------------------------------

    @property
    def unit(self) -> str:
        """The unit's name: given, or the charm's once bound (`app/0` if never told)."""
        return self._unit or "app/0"

    def bind(self, charm: ops.CharmBase) -> FakeHookTools:
        """The factory `fake_hook_tools()` installs: adopt the charm's unit and start a hook.

        ops.testing builds a new charm (and framework) for every event, so a new framework means the
        previous hook ended: its pending changes commit now, as Juju commits them when a hook exits.
        """
        name = charm.unit.name
        if self._unit is not None and self._unit != name:
            raise RuntimeError(f"this FakeHookTools belongs to {self._unit}, not {name}: use one per unit")
        self._unit = name
        if self._endpoints is None:
            self._endpoints = declared_endpoints(charm)
        self._settle()
        if charm.framework is not self._framework:
            if self._framework is not None:
                self.commit()
            self._framework = charm.framework
            self._route_ops_ports(charm)
        return self

    def _route_ops_ports(self, charm: ops.CharmBase) -> None:
        """Send ops' own port calls (Unit.open_port, close_port, opened_ports, set_ports) through this fake.

        In Juju both go through the same hook tools; ops.testing keeps ops' in State.opened_ports
        instead, where ServicePorts cannot see them. ops' backend reads ranges as their first port
        (ops/model.py `_ModelBackend.opened_ports`, docs/juju-facts.md#ops-ports-limits), and so
        does this.
        """
        backend = charm.framework.model._backend

        def open_port(protocol: str, port: int | None = None) -> None:
            self.open_port(_ops_port(protocol, port), ())

        def close_port(protocol: str, port: int | None = None) -> None:
            self.close_port(_ops_port(protocol, port), ())

        def opened_ports() -> set[ops.Port]:
            return {
                ops.Port(p.protocol, None if p.protocol == "icmp" else p.start)
                for p, _ in self.opened_ports()
            }

        for name, method in (
            ("open_port", open_port),
            ("close_port", close_port),
            ("opened_ports", opened_ports),
        ):
            setattr(backend, name, method)

    def _settle(self) -> None:
        if self._endpoints is not None:
            self.machine.endpoints.setdefault(_app(self.unit), self._endpoints)
        seeds, self._seeds = self._seeds, []
        for port, endpoints in seeds:
            self.machine.hold(self.unit, port, endpoints)

    # -- HookTools -----------------------------------------------------------------------------

    def opened_ports(self) -> OpenedPorts:
        """The unit's ranges with this hook's pending opens and closes, as Juju's opened-ports shows them.

        Juju's hook context (`OpenedUnitPortRanges`) takes the committed ranges, adds the pending
        opens, then removes the pending closes that match an (endpoint, range) exactly
        (docs/juju-facts.md#open-port-conflicts, #opened-ports-output): a range closed on one endpoint
        of a wildcard entry still shows `(*)` until the hook commits.
        """
        self._settle()
        self.calls.append(opened_ports_argv())
        view: Grouped = copy.deepcopy(self.machine.units.get(self.unit, {}))
        for endpoint, ports in self._pending_open.items():
            for port in ports:
                if port not in view.setdefault(endpoint, []):
                    view[endpoint].append(port)
        for endpoint, ports in self._pending_close.items():
            for port in ports:
                _remove_first(view.get(endpoint, []), port)
        by_port: dict[PortRange, set[str]] = {}
        for endpoint, ports in view.items():
            for port in ports:
                by_port.setdefault(port, set()).add(endpoint)
        return [(port, () if "" in eps else tuple(sorted(eps))) for port, eps in sorted(by_port.items())]

    def open_port(self, port: PortRange, endpoints: Sequence[str]) -> None:
        self._settle()
        argv = port_argv("open-port", port, endpoints)
        self.calls.append(argv)
        # jujuc ports.go makePortRangeCommand: one request per endpoint, "" when --endpoints is absent.
        for endpoint in _argv_endpoints(argv):
            self._open(endpoint, port)

    def close_port(self, port: PortRange, endpoints: Sequence[str]) -> None:
        self._settle()
        argv = port_argv("close-port", port, endpoints)
        self.calls.append(argv)
        for endpoint in _argv_endpoints(argv):
            self._close(endpoint, port)

    # -- what a test reads ---------------------------------------------------------------------

    @property
    def opened(self) -> frozenset[tuple[PortRange, str]]:
        """(range, endpoint) pairs the unit holds once this hook commits; `""` means all endpoints."""
        units = self._committed()
        return frozenset((port, ep) for ep, ports in units.get(self.unit, {}).items() for port in ports)

    def calls_to(self, tool: str) -> list[list[str]]:
        return [argv for argv in self.calls if argv[0] == tool]

    def reset_calls(self) -> None:
        self.calls.clear()

    def commit(self) -> None:
        """End the hook: apply pending changes as the controller does; raises ops.ModelError like a failed hook."""
        try:
            self.machine.units = self._committed()
        finally:
            self._pending_open, self._pending_close = {}, {}

    def discard(self) -> None:
        """End the hook as a failed one: Juju drops a failed hook's port changes.

        The fake cannot tell a hook ops.testing ran to an error from one that succeeded, so a test
        that goes on after an expected failure calls this before the next run.
        """
        self._pending_open, self._pending_close = {}, {}

    # -- Juju's hook-side recorder (worker/uniter/runner/context/ports.go) ---------------------

    def _open(self, endpoint: str, port: PortRange) -> None:
        _remove_first(self._pending_close.get(endpoint, []), port)
        try:
            self._check(endpoint, port, self.unit, self._pending_open, pending=True)
            for other, ranges in list(self.machine.units.items()):
                self._check(endpoint, port, other, ranges, pending=False)
        except _AlreadyOpenError:
            return
        except _ConflictError as err:
            raise self._conflict("open", port, err) from None
        self._pending_open.setdefault(endpoint, []).append(port)

    def _close(self, endpoint: str, port: PortRange) -> None:
        _remove_first(self._pending_open.get(endpoint, []), port)
        try:
            self._check(endpoint, port, self.unit, self._pending_close, pending=True)
        except _AlreadyOpenError:
            return
        except _ConflictError as err:
            raise self._conflict("close", port, err) from None
        for other, ranges in list(self.machine.units.items()):
            try:
                self._check(endpoint, port, other, ranges, pending=False)
            except _AlreadyOpenError:
                continue  # closing a range this unit holds: accepted
            except _ConflictError as err:
                raise self._conflict("close", port, err) from None
        if not self.machine.units:
            return  # "If it has no open ports then this is a no-op."
        self._pending_close.setdefault(endpoint, []).append(port)

    def _check(self, endpoint: str, port: PortRange, other: str, ranges: Grouped, *, pending: bool) -> None:
        """`checkForConflict`: overlapping ranges of two units, or two different overlapping ranges of one unit.

        One unit may hold an identical range on several endpoints; the same range on the same
        endpoint is a no-op (AlreadyExists).
        """
        for existing_endpoint, existing in ranges.items():
            for held in existing:
                if not port.overlaps(held):
                    continue
                if other == self.unit and port == held:
                    if endpoint != existing_endpoint:
                        continue
                    raise _AlreadyOpenError
                raise _ConflictError(held, other, pending)

    def _conflict(self, action: str, port: PortRange, err: _ConflictError) -> Exception:
        message = (
            f'cannot {action} {port} (unit "{self.unit}"): port range conflicts with {err.held} '
            f'(unit "{err.other}")' + (" requested earlier" if err.pending else "")
        )
        return PortConflictError(
            message, port, err.other, err.held, unit=self.unit, action="open" if action == "open" else "close"
        )

    # -- Juju's controller-side commit (state/machine_ports_ops.go) ----------------------------

    def _committed(self) -> dict[str, Grouped]:
        units = copy.deepcopy(self.machine.units)
        unit = self.unit
        owner: dict[PortRange, str] = {
            p: u for u, grp in units.items() for ports in grp.values() for p in ports
        }
        bound = self.machine.endpoints.get(_app(unit))
        for verb, pending in (("open", self._pending_open), ("close", self._pending_close)):
            for endpoint in pending:
                if endpoint and bound is not None and endpoint not in bound:
                    raise ops.ModelError(
                        f'cannot open/close ports: {verb} port range: endpoint "{endpoint}" for unit "{unit}" not found'
                    )
        mine = units.setdefault(unit, {})
        # mergePendingOpenPortRanges: already held on the wildcard or this endpoint is a no-op.
        for endpoint, ports in self._pending_open.items():
            for port in ports:
                if owner.get(port) == unit:
                    if port in mine.get("", []) or port in mine.get(endpoint, []):
                        continue
                else:
                    _check_state_conflict("open", port, unit, owner)
                mine.setdefault(endpoint, []).append(port)
                owner[port] = unit
        # pruneOpenPorts: a named entry the wildcard already covers is dropped.
        for endpoint in list(mine):
            if endpoint:
                mine[endpoint] = [p for p in mine[endpoint] if p not in mine.get("", [])]
        # mergePendingClosePortRanges / removePortRange.
        for endpoint, ports in self._pending_close.items():
            for port in ports:
                if owner.get(port) != unit:
                    _check_state_conflict("close", port, unit, owner)
                    continue
                _remove_port(mine, endpoint, port, bound or frozenset())
                if not any(port in held for held in mine.values()):
                    owner.pop(port, None)
        # pruneEmptySections.
        for name in list(units):
            grp = {ep: ports for ep, ports in units[name].items() if ports}
            if grp:
                units[name] = grp
            else:
                del units[name]
        return units


class _ConflictError(Exception):
    def __init__(self, held: PortRange, other: str, pending: bool):
        super().__init__()
        self.held, self.other, self.pending = held, other, pending


def _ops_port(protocol: str, port: int | None) -> PortRange:
    """ops' (protocol, port) as the range `open-port` would get (ops/hookcmds: `<port>/<protocol>`, `icmp`)."""
    if protocol == "icmp":
        return PortRange.parse("icmp")
    if port is None:
        raise ops.ModelError(f"ERROR no port or range specified for {protocol}")
    return PortRange.parse(f"{port}/{protocol}")


def _argv_endpoints(argv: list[str]) -> list[str]:
    if len(argv) > 2 and argv[1] == "--endpoints":
        return [name.strip() for name in argv[2].split(",")]
    return [""]


def _remove_first(ports: list[PortRange], port: PortRange) -> None:
    if port in ports:
        ports.remove(port)


def _check_state_conflict(verb: str, port: PortRange, unit: str, owner: Mapping[PortRange, str]) -> None:
    for held, holder in owner.items():
        if port.overlaps(held):
            raise ops.ModelError(
                f'cannot {verb} ports {port}: port ranges {held} ("{holder}") and {port} ("{unit}") conflict'
            )


def _remove_port(mine: Grouped, endpoint: str, port: PortRange, bound: frozenset[str]) -> None:
    if endpoint == "":
        for ports in mine.values():
            _remove_first(ports, port)
        return
    _remove_first(mine.get(endpoint, []), port)
    wildcard = mine.get("", [])
    if port in wildcard:
        # Open on all endpoints, closed on one: it stays open on every other bound endpoint.
        wildcard.remove(port)
        for other in sorted(bound):
            if other != endpoint:
                mine.setdefault(other, []).append(port)


@contextlib.contextmanager
def fake_hook_tools(
    unit: str | None = None,
    *,
    opened: Iterable[Seed] = (),
    machine: FakeMachine | None = None,
    endpoints: Iterable[str] | None = None,
) -> Generator[FakeHookTools]:
    """Within the block, every ServicePorts built without `tools=` uses this one FakeHookTools.

    `opened` seeds ports the unit held before the test; `machine` shares a FakeMachine with other
    units (co-located neighbours: seed them with `machine.hold(...)`, or give each unit its own
    `fake_hook_tools(machine=m)` block). Each hook's changes commit when the next hook starts and
    when the block exits normally, so the next block on the same machine sees them; a block left by
    an exception commits nothing, as Juju commits nothing of a failed hook.
    """
    tools = FakeHookTools(unit, machine=machine, opened=opened, endpoints=endpoints)
    with use_hook_tools(tools.bind):
        yield tools
    tools.commit()


def expected_claims(
    service: str,
    profile: Profile = "charmed",
    *,
    config: Mapping[str, object] | None = None,
    public_endpoint: str = "public",
    internal_endpoint: str = "internal",
) -> frozenset[tuple[PortRange, str]]:
    """What the seed says `service` opens: (range, endpoint) pairs, exposed rows on the public endpoint.

    Computed straight from the catalog rows (not through ServicePorts), so comparing the two tests
    something. `config` moves rows the way the charm's own options do.
    """
    catalog = Catalog.builtin()
    rows = catalog.for_charm(service, profile)
    if not rows:
        raise ValueError(
            f"unknown {profile} service {service!r}: the catalog knows {', '.join(catalog.charms(profile))}"
        )
    return frozenset(
        (port, public_endpoint if row.exposed else internal_endpoint)
        for row in rows
        for port, _ in row.claims_for(service, config)
    )


# -- the anbox_ports relation, for ops.testing ------------------------------------------------------

TEST_MODEL_UUID = "5d0c52b4-8f8b-4d3a-9a3e-1f6c7b2d9e01"
"""The model the relation builders put units in by default. Give the State the same
(`testing.State(model=testing.Model(uuid=TEST_MODEL_UUID))`) to make them the charm's own model."""

_VALIDATOR = "anbox-cloud-ports"


def juju_unit_keys(n: int) -> dict[str, str]:
    """The keys Juju itself writes into every unit databag (docs/juju-facts.md#relation-data)."""
    address = f"10.1.{n // 250}.{n % 250 + 1}"
    return {"ingress-address": address, "egress-subnets": f"{address}/32", "private-address": address}


def validator_relation(
    endpoint: str = "ports", *, remote_app_name: str = _VALIDATOR, **kwargs: object
) -> testing.Relation:
    """Provider side: the validator at the other end of an Anbox service charm's `anbox_ports` endpoint.

    The validator writes nothing but Juju's own keys (interfaces/anbox_ports/v1/README.md). Read
    back what the charm under test published with `published(state_out, relation)`.
    """
    from ops import testing

    return testing.Relation(
        endpoint,
        interface="anbox_ports",
        remote_app_name=remote_app_name,
        remote_units_data={0: juju_unit_keys(0)},
        **kwargs,  # pyright: ignore[reportArgumentType]
    )


def provider_relation(
    service: str,
    units: Mapping[int, str] | None = None,
    *,
    app: str | None = None,
    endpoint: str = "ports",
    profile: Profile = "charmed",
    config: Mapping[str, object] | None = None,
    claims: Iterable[PublishedClaim] | None = None,
    held: bool | None = True,
    model: str = TEST_MODEL_UUID,
    **kwargs: object,
) -> testing.Relation:
    """Requirer side: an application of Anbox service units, each publishing as ServicePorts would.

    `units` maps each unit number to its machine (`{0: "1", 1: "1/lxd/0"}`; default `{0: "0"}`).
    The claims are the service's catalog rows moved by `config`, on the `public`/`internal`
    endpoints, each `held` (None: unsaid, as a pre-0.2 provider); give `claims` to publish others.
    """
    from ops import testing

    if claims is None:
        wanted = desired_claims(service, profile, config=config)
        claims = [claim.published(held) for claim in wanted]
    published_claims = tuple(claims)
    machines = {0: "0"} if units is None else units
    data = {
        n: {**juju_unit_keys(n), **encode_provider(service, profile, model, machine, published_claims)}
        for n, machine in machines.items()
    }
    return testing.Relation(
        endpoint,
        interface="anbox_ports",
        remote_app_name=app or service,
        remote_units_data=data,
        **kwargs,  # pyright: ignore[reportArgumentType]
    )


def published(state: testing.State, relation: testing.Relation, *, unit: str = "unit/0") -> DecodedUnit:
    """What the charm under test published on `relation`, read by the validator's own decoder.

    Raises AssertionError with the validator's one-line complaint when it would refuse the data.
    """
    databag = state.get_relation(relation.id).local_unit_data
    result = decode_unit(unit, databag, app=unit.partition("/")[0])
    if not isinstance(result, DecodedUnit):
        raise AssertionError(f"the validator would refuse this unit's anbox_ports data: {result}")
    return result


def validator_report(
    state: testing.State,
    *relations: testing.Relation,
    unit: str = "unit/0",
    juju: JujuVersion = "3",
    profile: Profile = "charmed",
) -> Report:
    """What the validator would report about every unit these relations carry.

    From each relation: the charm under test's own publication in `state` (as `unit`), and every
    remote unit that published (`provider_relation` neighbours, in `state` or not). Units are placed
    by the machine and model they publish; the State's model is the validator's own.
    """
    units: list[RelatedUnit] = []
    in_state = {relation.id for relation in state.relations}
    for given in relations:
        relation = state.get_relation(given.id) if given.id in in_state else given
        if any(key in relation.local_unit_data for key in KEYS):
            units.append((unit, unit.partition("/")[0], dict(relation.local_unit_data)))
        app = getattr(relation, "remote_app_name", "")
        for n, data in sorted(getattr(relation, "remote_units_data", {}).items()):
            if any(key in data for key in KEYS):
                units.append((f"{app}/{n}", app, dict(data)))
    deployment = deployment_from_units(
        units, input="relation ports", profile=profile, local_model=state.model.uuid
    )
    return check(deployment, juju=juju)
