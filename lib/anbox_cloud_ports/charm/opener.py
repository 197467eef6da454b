"""ServicePorts: make this unit's opened ports exactly its catalog rows, ranges and endpoints included.

    self.ports = ServicePorts(self, "coturn")        # in __init__
    self.ports.reconcile()                            # in any handler; steady state costs one hook tool call

The unit's ports are diffed per (range, endpoint) against what `opened-ports` reports, so a range is one
`open-port 50000-51000/udp` call, a config change moves exactly the claim it names, and a port nobody
wants is closed. Rows the catalog marks exposed externally go on the public endpoint, the others on the
internal one: never on the wildcard, because a wildcard port is exposed by any endpoint's expose rule
(docs/juju-facts.md#expose).

A conflict Juju reports does not fail the hook: it becomes a BlockedStatus naming the other unit and
port, added through collect-unit-status. An invalid port option blocks the same way and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import ops

from ..catalog import PROFILES, Catalog, CatalogRow, Profile
from ..databag import PublishedClaim
from ..errors import AnboxPortsError
from ..model import Claim
from ..ports import PortRange
from .config import PortConfigError
from .hooktools import HookTools, OpenedPorts, PortConflictError, SubprocessHookTools, validate_endpoint
from .interface import PortsProvider

__all__ = [
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

ExtraPort = PortRange | tuple[PortRange, str]


class MissingEndpointError(AnboxPortsError, ValueError):
    """The charm does not declare an endpoint ServicePorts must open ports on."""


@dataclass(frozen=True, slots=True)
class PortClaim:
    """One range this unit wants open, on one named endpoint, and why.

    `row` is the catalog row it realises (None for an `extra` port), `option` the config option that
    moved it from the catalog's default, `exposed` whether the seed says it is reachable from outside
    (for an extra port: whether it is on the public endpoint).
    """

    port: PortRange
    endpoint: str
    row: CatalogRow | None = None
    option: str | None = None
    exposed: bool = False

    @property
    def origin(self) -> str:
        """`default`, `option:<name>` or `extra`: the anbox_ports relation's claim origin."""
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

    Raises ValueError for an unknown service or profile, a bad endpoint name or extra port, and an
    extra port overlapping a catalog port (programming errors); PortConfigError when a config value
    is invalid or moves a port onto another one (an operator error, which blocks instead).
    """
    catalog = catalog or Catalog.builtin()
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    rows = catalog.for_charm(service, profile)
    if not rows:
        known = ", ".join(catalog.charms(profile))
        raise ValueError(f"unknown {profile} service {service!r}: the catalog knows {known}")
    public = validate_endpoint(public_endpoint)
    internal = validate_endpoint(internal_endpoint)

    claims: list[PortClaim] = []
    for row in rows:
        moved = row.claims_for(service, config)  # OptionError (one line) for an invalid value
        endpoint = public if row.exposed else internal
        claims.extend(PortClaim(port, endpoint, row, name, row.exposed) for port, name in moved)
    for item in extra:
        port, endpoint = (item, internal) if isinstance(item, PortRange) else item
        if not isinstance(port, PortRange):
            raise TypeError(f"extra ports must be PortRange or (PortRange, endpoint), not {item!r}")
        endpoint = validate_endpoint(endpoint)
        claims.append(PortClaim(port, endpoint, None, None, endpoint == public))
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
    for moved, fixed in ((claim, other), (other, claim)):
        if moved.option is not None:
            return PortConfigError(moved.option, _option_text(moved), f"overlaps {fixed.describe()}")
    return ValueError(f"port {claim.describe()} overlaps {other.describe()}")


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

    Call `reconcile()` from every handler that may follow a change (install, config-changed,
    upgrade-charm, and update-status to retry a conflict or finish a deferred move): in steady state it
    costs one hook tool call. While another unit holds a port, each reconcile retries it (two calls).

    Construction validates everything a charm author controls (service, profile, endpoints, extra
    ports) and raises at once, so a mistake shows in the first unit test. Config is read here too, but
    an invalid value only blocks: the operator fixes it with `juju config`.
    """

    def __init__(
        self,
        charm: ops.CharmBase,
        service: str,
        *,
        profile: Profile = "charmed",
        public_endpoint: str = "public",
        internal_endpoint: str = "internal",
        config_overrides: bool = True,
        extra: Iterable[ExtraPort] = (),
        tools: HookTools | None = None,
        relation_name: str | None = None,
    ):
        try:
            super().__init__(charm, "anbox-service-ports")
        except RuntimeError as err:
            raise RuntimeError(
                "only one ServicePorts per charm: it owns all the unit's opened ports and would close "
                "another's; give the second service's ports as extra= instead"
            ) from err
        self.service = service
        self.profile: Profile = profile
        extras = list(extra)
        # Programming errors first, against the catalog's defaults: they raise here, in __init__.
        desired_claims(
            service,
            profile,
            public_endpoint=public_endpoint,
            internal_endpoint=internal_endpoint,
            extra=extras,
        )
        self._known_endpoints = declared_endpoints(charm)
        _require_endpoints(
            charm, self._known_endpoints, [public_endpoint, internal_endpoint, *_extra_endpoints(extras)]
        )
        self._claims: tuple[PortClaim, ...] = ()
        self._config_error: PortConfigError | None = None
        try:
            self._claims = desired_claims(
                service,
                profile,
                config=charm.config if config_overrides else None,
                public_endpoint=public_endpoint,
                internal_endpoint=internal_endpoint,
                extra=extras,
            )
        except PortConfigError as err:
            self._config_error = err
        self._tools: HookTools = tools if tools is not None else _factories[-1](charm)
        self._reconciled = False
        self._conflicts: list[PortConflictError] = []
        self._deferred: tuple[tuple[PortRange, tuple[str, ...], PortRange], ...] = ()
        self.framework.observe(charm.on.collect_unit_status, self._on_collect_unit_status)
        self._provider: PortsProvider | None = None
        if relation_name is not None:
            if relation_name not in charm.meta.relations:
                raise MissingEndpointError(
                    f"relation_name {relation_name!r} is not an endpoint of this charm; add to charmcraft.yaml:\n"
                    f"provides:\n  {relation_name}:\n    interface: anbox_ports"
                )
            self._provider = PortsProvider(charm, relation_name)
            # A relation made after the ports settled gets the data on its first hook.
            self.framework.observe(charm.on[relation_name].relation_created, self._on_relation_created)

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
    def tools(self) -> HookTools:
        return self._tools

    def status(self) -> ops.StatusBase | None:
        """What this object adds at collect-unit-status, for charms that set status themselves."""
        if self._config_error is not None:
            return ops.BlockedStatus(f"Invalid config: {self._config_error}")
        if self._conflicts:
            first = self._conflicts[0]
            holder = first.other_unit or "another unit"
            message = f"cannot {first.action} {first.port or '?'}: {holder} holds {first.other_port or '?'} on this machine"
            if len(self._conflicts) > 1:
                message += f" (+{len(self._conflicts) - 1} more port conflicts, see juju debug-log)"
            return ops.BlockedStatus(message)
        if self._deferred:
            port, _, blocker = self._deferred[0]
            return ops.MaintenanceStatus(
                f"{port} opens on the next hook: Juju cannot open it in the hook closing {blocker}"
            )
        return None

    # -- what a charm does ---------------------------------------------------------------------

    def reconcile(self) -> None:
        """Close what is not wanted, open what is missing; only the read when nothing changed.

        Runs once per hook: the claims cannot change within a hook (config and extra ports are read at
        construction), so a second call is free. Raises ops.ModelError for a hook tool failure other
        than a port conflict.
        """
        if self._reconciled:
            return
        self._reconciled = True
        if self._config_error is not None:
            logger.warning("not changing opened ports: invalid config: %s", self._config_error)
            return
        plan = plan_changes(self._tools.opened_ports(), self._claims, self._known_endpoints)
        for change in plan.changes:
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
        self._deferred = plan.deferred
        for port, _, blocker in plan.deferred:
            logger.info(
                "open-port %s deferred to the next hook: overlaps %s, closed in this one", port, blocker
            )
        self.publish()

    def publish(self) -> None:
        """Publish the ports this unit needs on the anbox_ports relation (no-op without relation_name).

        What the unit *needs*, not only what Juju let it open: a port refused because another unit
        holds it is exactly what the validator must see to name the conflict. Unchanged data writes
        nothing, so calling it on every hook is free.
        """
        if self._provider is None or self._config_error is not None:
            return
        self._provider.publish(
            self.service,
            self.profile,
            [PublishedClaim(c.port, c.endpoint, c.exposed, c.origin) for c in self._claims],
        )

    def _on_relation_created(self, _: ops.RelationCreatedEvent) -> None:
        self.publish()

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        # Every hook ends here: reconciling now (if the charm did not already) keeps the ports and the
        # status they imply current in every hook, relation hooks included, for one read when settled.
        self.reconcile()
        status = self.status()
        if status is not None:
            event.add_status(status)


def declared_endpoints(charm: ops.CharmBase) -> frozenset[str]:
    """Every endpoint Juju binds for this charm: relations of any role and extra-bindings.

    juju state/endpoint_bindings.go `DefaultEndpointBindingsForCharm`: CombinedRelations + ExtraBindings.
    """
    extra: Mapping[str, object] = charm.meta.extra_bindings or {}
    return frozenset(charm.meta.relations) | frozenset(extra)


def _extra_endpoints(extra: Iterable[ExtraPort]) -> list[str]:
    return [item[1] for item in extra if isinstance(item, tuple)]


def _require_endpoints(charm: ops.CharmBase, declared: frozenset[str], needed: Iterable[str]) -> None:
    missing = list(dict.fromkeys(name for name in needed if name not in declared))
    if not missing:
        return
    lines = "\n".join(f"  {name}:" for name in missing)
    names = ", ".join(f'"{name}"' for name in missing)
    raise MissingEndpointError(
        f"ServicePorts: charm {charm.meta.name!r} declares no endpoint {names}; ports are opened on named "
        f"endpoints so `juju expose --endpoints` can target them. Add to charmcraft.yaml:\n"
        f"extra-bindings:\n{lines}"
    )


def profile_of(value: object) -> Profile:
    """A profile from untyped input (config), or ValueError naming the choices."""
    if value not in PROFILES:
        raise ValueError(f"unknown profile {value!r}: expected one of {', '.join(PROFILES)}")
    return value
