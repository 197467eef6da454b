"""ServicePorts: make this unit's opened ports exactly its catalog rows, ranges and endpoints included.

    self.ports = ServicePorts(self, "coturn", options={"turn-port-range": "50000-51000/udp"})

Built in the charm's `__init__`, it reconciles at once: the unit's ports are diffed per (range,
endpoint) against what `opened-ports` reports, so a range is one `open-port 50000-51000/udp` call, a
config change moves exactly the claim it names, and a port it opened that nobody wants is closed.
Steady state costs one hook tool call. Rows the catalog marks exposed externally go on the public
endpoint, the others on the internal one: never on the wildcard, because a wildcard port is exposed
by any endpoint's expose rule (docs/juju-facts.md#expose).

Why at construction, not at the end of the hook: ops' `load_config(..., errors="blocked")` ends the
hook with `sys.exit(0)` from inside a handler, so nothing after it runs, collect-status included
(docs/juju-facts.md#ops-load-config). Reconciling first means an operator's bad option never leaves
the ports stale.

A port already open on all endpoints that the library does not claim was opened by something else
(`Unit.open_port`, `juju exec -- open-port`): ServicePorts never opens on all endpoints, so it
leaves such a port alone, publishes it as `extra`, and warns once with the fix.

A conflict Juju reports does not fail the hook: it becomes a BlockedStatus naming the other unit,
the port and the option that moves ours. An invalid port option blocks the same way and changes
nothing. Programming mistakes (unknown service, a missing endpoint, an option charmcraft.yaml does
not declare, overlapping extra ports) raise DeclarationError at construction.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import ops

from ..catalog import PROFILES, Catalog, CatalogRow, Profile
from ..databag import PublishedClaim
from ..model import Claim
from ..ports import PortRange
from ..text import plain, plural
from .config import PortConfigError, PortOptions, config_model_for
from .declare import (
    DeclarationError,
    ExtraPort,
    MissingEndpointError,
    OptionBindings,
    bind_options,
    check_service,
    declared_endpoints,
    endpoint,
    extra_claims,
    require_endpoints,
)
from .hooktools import HookTools, OpenedPorts, PortConflictError, SubprocessHookTools
from .interface import PortsProvider

__all__ = [
    "DeclarationError",
    "ExtraPort",
    "HookToolsFactory",
    "MissingEndpointError",
    "PortChange",
    "PortClaim",
    "PortPlan",
    "ServicePorts",
    "declared_endpoints",
    "default_hook_tools",
    "desired_claims",
    "plan_changes",
    "profile_of",
    "use_hook_tools",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PortClaim:
    """One range this unit wants open, on one named endpoint, and why.

    `row` is the catalog row it realises (None for an `extra` port), `option` the config option that
    moved it off the catalog's port (`catalog_port`), `exposed` whether the seed says it is reachable
    from outside (for an extra port: whether it is on the public endpoint).
    """

    port: PortRange
    endpoint: str
    row: CatalogRow | None = None
    option: str | None = None
    exposed: bool = False
    catalog_port: PortRange | None = None

    @property
    def origin(self) -> str:
        """`default`, `option:<name>` or `extra`: the anbox_ports relation's claim source."""
        if self.row is None:
            return "extra"
        return f"option:{self.option}" if self.option else "default"

    def describe(self) -> str:
        if self.row is None:
            return f"{self.port} (extra port)"
        what = f"{self.row.service} {self.row.description}"
        return f"{self.port} ({what}, option {self.option})" if self.option else f"{self.port} ({what})"

    def to_claim(self, unit: str) -> Claim:
        """The same claim in the core model, for the engine's checks."""
        origin = "config" if self.option else ("catalog" if self.row is not None else "declared")
        return Claim(unit, self.port, self.endpoint, origin, self.option, self.row)

    def published(self, held: bool | None) -> PublishedClaim:
        """As the anbox_ports relation carries it."""
        moved_from = self.catalog_port if self.option else None
        return PublishedClaim(self.port, self.endpoint, self.exposed, self.origin, held, moved_from)


# -- what the unit should hold -------------------------------------------------------------------


def desired_claims(
    service: str,
    profile: Profile = "charmed",
    *,
    config: Mapping[str, object] | None = None,
    public_endpoint: str = "public",
    internal_endpoint: str = "internal",
    extra: Iterable[ExtraPort] = (),
    catalog: Catalog | None = None,
) -> tuple[PortClaim, ...]:
    """The claims of a catalog service, moved by `config` where the catalog names an option.

    Raises DeclarationError for an unknown service or profile, a bad endpoint name or extra port,
    and extra ports overlapping each other or a catalog port (programming errors); PortConfigError
    when a config value is invalid or moves a port onto another one (an operator error, which
    blocks instead).
    """
    catalog = catalog or Catalog.builtin()
    profile, rows = check_service(catalog, service, profile)
    public = endpoint(public_endpoint, "public_endpoint")
    internal = endpoint(internal_endpoint, "internal_endpoint")

    claims: list[PortClaim] = []
    for row in rows:
        moved = row.claims_for(service, config)  # OptionError (one line) for an invalid value
        where = public if row.exposed else internal
        claims.extend(
            PortClaim(port, where, row, name, row.exposed, catalog_port)
            for (port, name), catalog_port in zip(moved, row.claims, strict=True)
        )
    for port, name in extra_claims(extra, internal):
        claims.append(PortClaim(port, name, None, None, name == public))
    return _without_duplicates(claims)


def _without_duplicates(claims: list[PortClaim]) -> tuple[PortClaim, ...]:
    """Drop exact repeats; refuse two claims Juju or the host could not both honour.

    Overlapping different ranges: Juju refuses the second open-port on the same unit (worker/uniter/
    runner/context/ports.go `checkForConflict`). The same range from two catalog rows: Juju would accept
    it, but two services cannot bind one port. The same range on another endpoint from an extra port is
    one socket offered on more endpoints, which Juju allows.
    """
    kept: list[PortClaim] = []
    for claim in claims:
        clash: PortClaim | None = None
        duplicate = False
        for other in kept:
            if not claim.port.overlaps(other.port):
                continue
            if claim.port == other.port and (
                claim.row is None or other.row is None or claim.row is other.row
            ):
                duplicate = duplicate or claim.endpoint == other.endpoint
                continue
            clash = other
            break
        if clash is not None:
            raise _overlap_error(claim, clash)
        if not duplicate:
            kept.append(claim)
    return tuple(kept)


def _overlap_error(claim: PortClaim, other: PortClaim) -> Exception:
    """Blame the option that moved a port onto another (the operator's); else it is the charm's."""
    for moved, fixed in ((claim, other), (other, claim)):
        if moved.option is not None:
            return PortConfigError(moved.option, _option_text(moved), f"overlaps {fixed.describe()}")
    return DeclarationError(
        f"port {claim.describe()} overlaps {other.describe()}: Juju refuses overlapping ranges on one "
        "unit; give extra= ports that no catalog row of this service claims, and that overlap no other"
    )


def _option_text(claim: PortClaim) -> int | str:
    """The option's value as the operator wrote it: a port option is a number, a range option text."""
    options = claim.row.options if claim.row is not None else ()
    for option in options:
        if option.name == claim.option:
            return option.value_for(claim.port)
    return str(claim.port)


# -- what to change --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortChange:
    """One hook tool call: `endpoints == ()` targets all endpoints (no `--endpoints`)."""

    verb: Literal["open-port", "close-port"]
    port: PortRange
    endpoints: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PortPlan:
    """Closes first, then opens; `deferred` are opens Juju would refuse until a later hook.

    Each deferred entry is (range, endpoints, own range in the way).
    """

    changes: tuple[PortChange, ...]
    deferred: tuple[tuple[PortRange, tuple[str, ...], PortRange], ...] = ()


def plan_changes(
    current: OpenedPorts, claims: Iterable[PortClaim], known_endpoints: Iterable[str]
) -> PortPlan:
    """The fewest hook tool calls that turn `current` into exactly `claims`, under Juju 3.x's rules.

    The rules (juju state/machine_ports_ops.go and worker/uniter/runner/context/ports.go):
    - a range nobody wants is closed with one `close-port <range>`: without `--endpoints` it is removed
      from every endpoint (`removePortRange` with the wildcard endpoint), whatever names it was opened
      under, including ones the charm no longer declares.
    - a range open on the wildcard endpoint is narrowed by closing it on the endpoints that should not
      have it: Juju replaces the wildcard entry with one per bound endpoint except the closed ones
      (`removePortRange`). Closing the wildcard and re-opening on named endpoints in one hook would lose
      the port: opens merge before closes, and an open is a no-op while the wildcard entry exists
      (`mergePendingOpenPortRanges`). A wildcard range every endpoint wants is left as it is.
    - a named close must name a bound endpoint, or the hook fails when Juju commits it
      (`validatePendingChanges`): a still-wanted range keeps any endpoint the charm does not declare.
    - an open is checked against the ports the unit held when the hook started, pending closes ignored
      (`OpenPortRange` uses `machinePortRanges`), so a range overlapping one being closed in the same
      hook is refused: it is deferred to the next reconcile instead of failing.
    """
    wanted: dict[PortRange, set[str]] = {}
    for claim in claims:
        wanted.setdefault(claim.port, set()).add(claim.endpoint)
    have: dict[PortRange, tuple[str, ...]] = dict(current)
    known = frozenset(known_endpoints)

    closes: list[PortChange] = []
    for port, endpoints in sorted(have.items()):
        need = wanted.get(port, set())
        if not need:
            closes.append(PortChange("close-port", port, ()))
        elif not endpoints:  # open on all endpoints
            if extra := sorted(known - need):
                closes.append(PortChange("close-port", port, tuple(extra)))
        elif drop := sorted((set(endpoints) - need) & known):
            closes.append(PortChange("close-port", port, tuple(drop)))

    opens: list[PortChange] = []
    deferred: list[tuple[PortRange, tuple[str, ...], PortRange]] = []
    for port, need in sorted(wanted.items()):
        endpoints = have.get(port)
        if endpoints == ():
            continue  # the wildcard entry already serves it; narrowed above if needed
        add = tuple(sorted(need - set(endpoints or ())))
        if not add:
            continue
        blocker = next((held for held in sorted(have) if held != port and held.overlaps(port)), None)
        if blocker is not None:
            deferred.append((port, add, blocker))
            continue
        opens.append(PortChange("open-port", port, add))
    return PortPlan(tuple(closes + opens), tuple(deferred))


# -- which tools ---------------------------------------------------------------------------------

HookToolsFactory = Callable[[ops.CharmBase], HookTools]


def default_hook_tools(charm: ops.CharmBase) -> HookTools:
    """The real hook tools; `anbox_cloud_ports.charm.testing.fake_hook_tools()` swaps this for a fake."""
    del charm
    return SubprocessHookTools()


_factories: list[HookToolsFactory] = [default_hook_tools]


@contextlib.contextmanager
def use_hook_tools(factory: HookToolsFactory) -> Generator[None]:
    """Within the block, every ServicePorts built without `tools=` gets `factory(charm)`.

    ops.testing runs the charm in-process and does not intercept hook tools (docs/juju-facts.md#ops-ports-limits), so this
    module-level seam is how a test hands the charm a fake without touching the charm's code.
    """
    _factories.append(factory)
    try:
        yield
    finally:
        _factories.remove(factory)


# -- the charm-side object -----------------------------------------------------------------------


class ServicePorts(ops.Object):
    """Owns this unit's opened ports: one per charm (add other ports with `extra=`).

    Construction checks everything a charm author controls (service, profile, endpoints, the
    charm's own `options`, `extra` ports) and raises DeclarationError at once, so a mistake shows in
    the first unit test; then it reads config and reconciles (see the module docstring for why
    now). An invalid option value only blocks: the operator fixes it with `juju config`.

    `auto_status=False` leaves the unit's status to the charm: call `status()` in the charm's own
    collect-unit-status handler and add it beside the charm's own statuses.
    """

    _stored = ops.StoredState()

    def __init__(
        self,
        charm: ops.CharmBase,
        service: str,
        *,
        profile: Profile = "charmed",
        options: OptionBindings | None = None,
        public_endpoint: str = "public",
        internal_endpoint: str = "internal",
        config_overrides: bool = True,
        extra: Iterable[ExtraPort] = (),
        relation_name: str | None = None,
        auto_status: bool = True,
        tools: HookTools | None = None,
    ):
        try:
            super().__init__(charm, "anbox-service-ports")
        except RuntimeError as err:
            raise DeclarationError(
                "only one ServicePorts per charm: it owns all the unit's opened ports and would close "
                "another's; give the second service's ports as extra= instead"
            ) from err
        self._stored.set_default(warned=[])
        self.service = service
        self.profile: Profile
        self.profile, _ = check_service(Catalog.builtin(), service, profile)
        self.catalog = bind_options(charm.meta, service, self.profile, options or {}, Catalog.builtin())
        extras = list(extra)
        self._known_endpoints = declared_endpoints(charm)
        self._claims, self._config_error = self._read_claims(
            charm, public_endpoint, internal_endpoint, extras, config_overrides
        )
        self._provider = self._provider_for(charm, relation_name)
        self._tools: HookTools = tools if tools is not None else _factories[-1](charm)
        self._reconciled = False
        self._conflicts: list[PortConflictError] = []
        self._deferred: tuple[tuple[PortRange, tuple[str, ...], PortRange], ...] = ()
        self._foreign: tuple[PortRange, ...] = ()
        if auto_status:
            self.framework.observe(charm.on.collect_unit_status, self._on_collect_unit_status)
        if not _restricted_context():
            self.reconcile()

    def _read_claims(
        self,
        charm: ops.CharmBase,
        public: str,
        internal: str,
        extras: list[ExtraPort],
        config_overrides: bool,
    ) -> tuple[tuple[PortClaim, ...], PortConfigError | None]:
        """The claims config asks for, after checking the declaration at the charm's own defaults."""
        defaults = {
            name: meta.default for name, meta in charm.meta.config.items() if meta.default is not None
        }
        kwargs = {
            "public_endpoint": public,
            "internal_endpoint": internal,
            "extra": extras,
            "catalog": self.catalog,
        }
        try:
            desired_claims(self.service, self.profile, config=defaults, **kwargs)  # pyright: ignore[reportArgumentType]
        except PortConfigError as err:
            raise DeclarationError(f"at the defaults charmcraft.yaml declares: {err}") from None
        require_endpoints(
            charm,
            self._known_endpoints,
            [public, internal, *(item[1] for item in extras if isinstance(item, tuple))],
        )
        try:
            claims = desired_claims(
                self.service,
                self.profile,
                config=charm.config if config_overrides else None,
                **kwargs,  # pyright: ignore[reportArgumentType]
            )
        except PortConfigError as err:
            return (), err
        return claims, None

    def _provider_for(self, charm: ops.CharmBase, relation_name: str | None) -> PortsProvider | None:
        if relation_name is None:
            return None
        if relation_name not in charm.meta.relations:
            raise MissingEndpointError(
                f"relation_name {relation_name!r} is not an endpoint of this charm; add to charmcraft.yaml:\n"
                f"provides:\n  {relation_name}:\n    interface: anbox_ports"
            )
        return PortsProvider(charm, relation_name)

    # -- what a charm reads --------------------------------------------------------------------

    @property
    def claims(self) -> tuple[PortClaim, ...]:
        """The ports this unit should hold; raises PortConfigError while the config is invalid."""
        if self._config_error is not None:
            raise self._config_error
        return self._claims

    @property
    def config_error(self) -> PortConfigError | None:
        return self._config_error

    @property
    def conflicts(self) -> tuple[PortConflictError, ...]:
        """Conflicts Juju reported during this hook's reconcile."""
        return tuple(self._conflicts)

    @property
    def foreign(self) -> tuple[PortRange, ...]:
        """Ports open on all endpoints that ServicePorts did not open (and leaves alone)."""
        return self._foreign

    @property
    def moved(self) -> tuple[PortClaim, ...]:
        """The claims a config option moved off the catalog's port."""
        return tuple(claim for claim in self._claims if claim.option)

    @property
    def tools(self) -> HookTools:
        return self._tools

    @property
    def config_model(self) -> type[PortOptions]:
        """The pydantic model of this service's port options (its own bound ones included)."""
        return config_model_for(self.service, self.profile, self.catalog)

    def port_for(self, option: str) -> PortRange:
        """The range a port option (built-in or the charm's own) puts the service on, as configured.

        What the charm writes into its workload's configuration, so the workload listens where the
        unit opened. Raises PortConfigError while the config is invalid, DeclarationError for an
        option this service does not have.
        """
        for claim in self.claims:
            if (
                claim.row is not None
                and (bound := claim.row.option_for(self.service))
                and bound.name == option
            ):
                return claim.port
        names = ", ".join(o.name for o in self.catalog.options_for(self.service, self.profile)) or "none"
        raise DeclarationError(f"{self.service} has no port option {option!r}; its options: {names}")

    def status(self) -> ops.StatusBase:
        """The library's word on this unit's ports, to add beside the charm's own statuses.

        Blocked (bad config, a port Juju refused), Maintenance (a move finishing next hook), else
        Active naming the options that moved ports off the catalog (empty message when none did).
        """
        if self._config_error is not None:
            return ops.BlockedStatus(f"Invalid config: {self._config_error}")
        if self._conflicts:
            message = self._conflict_message(self._conflicts[0])
            if len(self._conflicts) > 1:
                message += f" (and {plural(len(self._conflicts) - 1, 'more conflict')}, see juju debug-log)"
            return ops.BlockedStatus(message)
        if self._deferred:
            port, _, blocker = self._deferred[0]
            return ops.MaintenanceStatus(
                f"{port} opens on the next hook: Juju cannot open it in the hook closing {blocker}"
            )
        return ops.ActiveStatus(self._moved_summary())

    def _conflict_message(self, err: PortConflictError) -> str:
        """What Juju refused, who holds what, and the option (or move) that frees it: one line."""
        port = err.port or "?"
        if err.other_unit == self.model.unit.name:
            return (
                f"cannot {err.action} {port}: {err.other_port or '?'} is open on this unit outside "
                "ServicePorts (Unit.open_port?); close it, or open it only through extra="
            )
        holder = plain(err.other_unit, 80) or "another unit"
        message = f"cannot {err.action} {port}: {holder} holds {err.other_port or '?'} on this machine"
        claim = next((c for c in self._claims if c.port == err.port), None)
        bound = claim.row.option_for(self.service) if claim is not None and claim.row is not None else None
        if bound is not None:
            return f"{message}; set {bound.name} to a free {bound.kind} or move a unit"
        if claim is not None and claim.row is None:
            return f"{message}; give extra= another port or move a unit"
        return f"{message}; move one of the units to another machine"

    def _moved_summary(self) -> str:
        """`turn-port-range=40000-41000 (catalog 50000-51000)`, once per option."""
        parts: dict[str, str] = {}
        for claim in self.moved:
            if claim.row is None or claim.option is None or claim.option in parts:
                continue
            bound = claim.row.option_for(self.service)
            value = bound.value_for(claim.port) if bound is not None else claim.port
            parts[claim.option] = f"{claim.option}={value} (catalog {claim.row.ports})"
        return f"ports moved by config: {', '.join(parts.values())}" if parts else ""

    # -- what a charm does ---------------------------------------------------------------------

    def reconcile(self) -> None:
        """Close what it opened and no one wants, open what is missing; only the read when settled.

        Runs once per hook (at construction; a second call is free): the claims cannot change within
        a hook. Raises ops.ModelError for a hook tool failure other than a port conflict.
        """
        if self._reconciled:
            return
        self._reconciled = True
        if self._config_error is not None:
            logger.warning("not changing opened ports: invalid config: %s", self._config_error)
            return
        current = self._tools.opened_ports()
        wanted = {claim.port for claim in self._claims}
        # ServicePorts never opens on all endpoints: a wildcard range it does not want is someone else's.
        self._foreign = tuple(port for port, endpoints in current if not endpoints and port not in wanted)
        self._warn_once(self._foreign)
        mine = [(port, endpoints) for port, endpoints in current if port not in self._foreign]
        plan = plan_changes(mine, self._claims, self._known_endpoints)
        for change in plan.changes:
            self._apply(change)
        self._deferred = plan.deferred
        for port, _, blocker in plan.deferred:
            logger.info(
                "open-port %s deferred to the next hook: overlaps %s, closed in this one", port, blocker
            )
        self.publish()

    def _apply(self, change: PortChange) -> None:
        call = self._tools.open_port if change.verb == "open-port" else self._tools.close_port
        try:
            call(change.port, change.endpoints)
        except PortConflictError as err:
            logger.error("%s %s: %s", change.verb, change.port, err.message)
            self._conflicts.append(err)
        else:
            logger.info(
                "%s %s on %s", change.verb, change.port, ", ".join(change.endpoints) or "all endpoints"
            )

    def _warn_once(self, foreign: tuple[PortRange, ...]) -> None:
        warned: list[str] = self._stored.warned  # pyright: ignore[reportAttributeAccessIssue]
        for port in foreign:
            if str(port) in warned:
                continue
            logger.warning(
                "%s is open on all endpoints, but ServicePorts did not open it (Unit.open_port, set_ports "
                "or juju exec?): leaving it alone. To have ServicePorts own it, on a named endpoint, pass "
                "extra=[PortRange.parse(%r)] and stop opening it elsewhere.",
                port,
                str(port),
            )
            warned.append(str(port))

    def publish(self) -> None:
        """Publish the ports this unit needs on the anbox_ports relation (no-op without relation_name).

        What the unit *needs*, each marked held or not: a port refused because another unit holds it
        is exactly what the validator must see to name the conflict. Ports open outside ServicePorts
        are published as `extra` (held). Unchanged data writes nothing, so this is free every hook.
        """
        if self._provider is None or self._config_error is not None:
            return
        refused = {err.port for err in self._conflicts} | {port for port, _, _ in self._deferred}
        claims = [claim.published(claim.port not in refused) for claim in self._claims]
        claims += [PublishedClaim(port, "", False, "extra", True) for port in self._foreign]
        self._provider.publish(self.service, self.profile, claims)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        # Automatic status adds only what needs attention (blocked) or is under way (maintenance):
        # an active status here would override one the charm set directly
        # (docs/juju-facts.md#ops-collect-status).
        self.reconcile()
        status = self.status()
        if not isinstance(status, ops.ActiveStatus):
            event.add_status(status)


def _restricted_context() -> bool:
    """collect-metrics runs without the port hook tools (ops/_main.py `is_restricted_context`)."""
    return os.environ.get("JUJU_DISPATCH_PATH", "") == "hooks/collect-metrics"


def profile_of(value: object) -> Profile:
    """A profile from untyped input (config), or ValueError naming the choices."""
    if value not in PROFILES:
        raise ValueError(f"unknown profile {value!r}: expected one of {', '.join(PROFILES)}")
    return value
