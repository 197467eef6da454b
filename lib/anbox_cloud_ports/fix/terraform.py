"""A fix for a Terraform input: attribute changes per resource, proved on the resources it plans.

Terraform owns what it deploys (a `juju` command would be undone by the next apply), so the fix is
the change to make in the configuration, per resource instance, shown as `terraform plan` shows a
change (`~` changed, `+` added, `-` removed) but with the expressions to write:

* an option: one key of the application's `config` map, a `map(string)`, so the value is a string;
* exposure: the `expose` block removed, or replaced by one whose comma-separated `endpoints`, `cidrs`
  and `spaces` say the narrower rules (docs/juju-facts.md#terraform-provider: one block gives every
  endpoint it names the same CIDRs and spaces; `expose {}` is the wildcard to 0.0.0.0/0 and ::/0);
* a unit moved: a new `juju_machine` in the module of the machine it leaves (a container,
  `placement = "lxd:<machine_id>"`, or a machine like the old one), which replaces the old machine
  in the application's `machines`: the provider places one unit per machine and removes the unit of
  a machine taken out of the set, adding the new unit first (docs/juju-facts.md#terraform-provider).

The proof: the changes are made to the `JujuPlan` the input was read into, and `build` places and
claims it exactly as for `check` (the provider's semantics live there: one unit per machine, config
strings read as the charm reads its options, an expose block split into rules); the engine checks
the result. A change the configuration cannot say (rules with different CIDRs per endpoint, a
machine declared in another module than the application) is not written: the pair is tried the other
way, or an option instead, or it is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from ..catalog import Catalog, Profile
from ..checks import check
from ..findings import Finding, JujuVersion, Report
from ..model import Deployment, Location, Unit, qualified
from ..names import is_machine, validate_names
from ..sources import complete
from ..sources.terraform.build import build, model_labels
from ..sources.terraform.plan import JujuPlan, PlannedApplication, PlannedExpose, PlannedMachine
from ..text import hcl_string, one_line, plural
from .changes import Destination, MoveUnit, Plan, SetExposure, SetOption, Unresolved
from .planner import OptionValues
from .planner import plan as plan_changes
from .result import MAX_ROUNDS, FixResult, finding_line, remaining

TerraformSource = Literal["directory", "plan JSON"]

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY = r'\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\]'
_MODULE_STEP = re.compile(rf"module\.({_NAME})({_KEY})?\.")
_RESOURCE = re.compile(rf"({_NAME})\.({_NAME})({_KEY})?")
_IDENTIFIER = re.compile(_NAME)
# A model reference a new machine may repeat: a traversal (`juju_model.m.uuid`, `var.model_uuid`).
_TRAVERSAL = re.compile(rf"{_NAME}(?:\.{_NAME}|\[[0-9]+\])*")
_UUID_LITERAL = re.compile(r'"[0-9a-fA-F-]{1,64}"')


@dataclass(frozen=True, slots=True)
class Address:
    """A resource instance address, parsed: `module.subcluster["a"].juju_machine.ams_node[0]`."""

    modules: tuple[tuple[str, int | str | None], ...]
    type: str
    name: str
    key: int | str | None

    @property
    def module(self) -> str:
        """The module instance's own address with a trailing dot (`""` for the root module)."""
        return "".join(f"module.{name}{_key_text(key)}." for name, key in self.modules)

    @property
    def block(self) -> str:
        """The block that makes it, instance keys left out: `module.subcluster.juju_machine.ams_node`."""
        return "".join(f"module.{name}." for name, _ in self.modules) + f"{self.type}.{self.name}"

    def local(self) -> str:
        """How the module it is in refers to it, as HCL: keys written as HCL strings."""
        return f"{self.type}.{self.name}{_hcl_key(self.key)}"


def parse_address(text: str) -> Address | None:
    """The parts of an address Terraform writes; None for anything else (it is then not written)."""
    modules: list[tuple[str, int | str | None]] = []
    position = 0
    while (step := _MODULE_STEP.match(text, position)) is not None:
        key = _key(step.group(2))
        if key is False:
            return None
        modules.append((step.group(1), key))
        position = step.end()
    resource = _RESOURCE.fullmatch(text, position)
    if resource is None:
        return None
    key = _key(resource.group(3))
    if key is False:
        return None
    return Address(tuple(modules), resource.group(1), resource.group(2), key)


def _key(text: str | None) -> int | str | Literal[False] | None:
    if not text:
        return None
    inner = text[1:-1]
    if inner.isdigit():
        return int(inner)
    try:
        value = json.loads(inner)
    except ValueError:
        return False
    return value if isinstance(value, str) else False


def _key_text(key: int | str | None) -> str:
    return "" if key is None else f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"


def _hcl_key(key: int | str | None) -> str:
    return "" if key is None else f"[{key}]" if isinstance(key, int) else f"[{hcl_string(key)}]"


@dataclass
class _AppEdit:
    """What the fix changes in one `juju_application` instance, with the comment lines that say why."""

    original: PlannedApplication
    config: dict[str, str] = field(default_factory=dict[str, str])
    config_notes: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    machines_notes: list[str] = field(default_factory=list[str])
    exposure_changed: bool = False
    exposure_notes: list[str] = field(default_factory=list[str])


@dataclass(frozen=True, slots=True)
class _NewMachine:
    """A `juju_machine` the fix adds: where it goes, what it is made like, and for which unit."""

    address: Address
    model_field: str
    model_expression: str
    near: Address | None  # the machine it leaves (None: a literal machine id)
    literal: str | None
    into: Destination
    unit: str
    application: str  # the address of the application whose unit it takes


class _Terraform:
    """The input's plan, the changes made to it so far, and a reading of the two together."""

    def __init__(
        self,
        plan: JujuPlan,
        *,
        hint: str,
        catalog: Catalog,
        profile: Profile,
        juju: JujuVersion,
        spaces: Sequence[str],
    ) -> None:
        self.original = plan
        self.hint = hint
        self.catalog = catalog
        self.profile: Profile = profile
        self.juju: JujuVersion = juju
        self.spaces = spaces
        labels = model_labels(plan)
        self.by_key: dict[str, str] = {}
        for app in plan.applications:
            self.by_key.setdefault(qualified(labels[app.model], app.name), app.address)
        self.apps = {app.address: app for app in plan.applications}
        self.machines = {machine.address: machine for machine in plan.machines}
        self.new_machines: dict[str, _NewMachine] = {}
        self.edits: dict[str, _AppEdit] = {}
        self.unmovable: set[frozenset[str]] = set()
        self.reasons: list[Unresolved] = []

    def plan(self) -> JujuPlan:
        return replace(
            self.original,
            applications=[self.apps[app.address] for app in self.original.applications],
            machines=list(self.machines.values()),
        )

    def deployment(self) -> Deployment:
        deployment = build(self.plan(), self.catalog, self.profile, self.hint)
        return complete(deployment, (), self.catalog, self.spaces)

    def report(self, deployment: Deployment) -> Report:
        return check(deployment, catalog=self.catalog, juju=self.juju)

    def app(self, key: str) -> PlannedApplication | None:
        address = self.by_key.get(key)
        return None if address is None else self.apps[address]

    def edit(self, app: PlannedApplication) -> _AppEdit:
        return self.edits.setdefault(app.address, _AppEdit(self.original_app(app.address)))

    def original_app(self, address: str) -> PlannedApplication:
        return next(a for a in self.original.applications if a.address == address)

    def option_values(self) -> OptionValues:
        def values(key: str) -> Mapping[str, object]:
            app = self.app(key)
            return {} if app is None else dict(app.config)

        return values

    def unresolved(self, findings: Sequence[Finding], reason: str) -> None:
        self.reasons += [Unresolved(f, reason) for f in findings]


def fix_terraform(
    plan: JujuPlan,
    *,
    source: TerraformSource,
    hint: str,
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    juju: JujuVersion = "3",
    into: Destination = "container",
    spaces: Sequence[str] = (),
) -> FixResult:
    """The attribute changes that remove every error finding of a Terraform input, and their proof."""
    state = _Terraform(
        plan, hint=hint, catalog=catalog or Catalog.builtin(), profile=profile, juju=juju, spaces=spaces
    )
    deployment = state.deployment()
    validate_names(deployment)  # as `check` refuses them: nothing is printed about a name Juju refuses
    before = report = state.report(deployment)
    for _ in range(MAX_ROUNDS):
        if not report.summary.errors:
            break
        step = plan_changes(
            report,
            catalog=state.catalog,
            into=into,
            option_values=state.option_values(),
            no_move=frozenset(state.unmovable),
        )
        state.reasons += step.unresolved
        if not _record(state, step, deployment):
            break
        deployment = state.deployment()
        report = state.report(deployment)
    left = remaining(report, state.reasons)
    text = "\n".join(_render(state, source, before, report, left)) + "\n"
    return FixResult(text=text, before=before, after=report, unresolved=left, kind="Terraform changes")


def _record(state: _Terraform, plan: Plan, deployment: Deployment) -> bool:
    """Make a plan's changes to the state; False when nothing new was made (or learnt)."""
    progress = False
    units = deployment.unit_map()
    for change in plan.changes:
        if isinstance(change, MoveUnit):
            unmovable = len(state.unmovable)
            progress |= _move(state, change, units) or len(state.unmovable) > unmovable
        elif isinstance(change, SetOption):
            progress |= _set_option(state, change)
        else:
            progress |= _set_exposure(state, change)
    return progress


# -- options and exposure ---------------------------------------------------------------------------


def _set_option(state: _Terraform, change: SetOption) -> bool:
    app = state.app(change.application)
    if app is None:
        state.unresolved(change.resolves, "its application is not a resource of this input")
        return False
    value = str(change.value)
    config = {**app.config, change.option: value}
    unknown = tuple(o for o in app.unknown_options if o != change.option)
    state.apps[app.address] = replace(app, config=config, unknown_options=unknown)
    edit = state.edit(app)
    edit.config[change.option] = value
    hosts = ", ".join(str(h) for h in change.hosts)
    span = str(change.port.start) if change.port.size == 1 else f"{change.port.start}-{change.port.end}"
    edit.config_notes.setdefault(change.option, [])
    edit.config_notes[change.option] += [
        *_resolves(change.resolves),
        f"{change.option} = {value}: {span} checked free for {' and '.join(change.protocols)} on {hosts}",
    ]
    return True


def _set_exposure(state: _Terraform, change: SetExposure) -> bool:
    app = state.app(change.application)
    if app is None:
        state.unresolved(change.resolves, "its application is not a resource of this input")
        return False
    expose: PlannedExpose | None = None
    if change.exposed:
        targets = set(change.exposed.values())
        if len(targets) != 1 or ("" in change.exposed and len(change.exposed) > 1):
            state.unresolved(
                change.resolves,
                "the narrower rules give endpoints different CIDRs or spaces, and one expose block gives "
                "every endpoint it names the same (docs/juju-facts.md#terraform-provider): split the "
                "application's ports over endpoints the charm opens, or expose it outside Terraform",
            )
            return False
        target = targets.pop()
        expose = PlannedExpose(tuple(sorted(e for e in change.exposed if e)), target.cidrs, target.spaces)
    state.apps[app.address] = replace(app, expose=expose, exposure_known=True)
    edit = state.edit(app)
    edit.exposure_changed = True
    edit.exposure_notes += _resolves(change.resolves)
    if not change.exposed:
        edit.exposure_notes.append(
            "not exposed: every port it opens is internal to the deployment"
            if not change.lost
            else "not exposed: a plan cannot say on which endpoint the charm opens its ports, so no "
            "narrower expose block keeps the internal ones in"
        )
    else:
        edit.exposure_notes.append(
            f"exposed only on {', '.join(sorted(change.exposed))}, the endpoints of its external ports"
        )
    if change.lost_note:
        edit.exposure_notes.append("NOT DONE BY THESE CHANGES: " + change.lost_note)
    return True


# -- moving a unit ----------------------------------------------------------------------------------


def _move(state: _Terraform, change: MoveUnit, units: Mapping[str, Unit]) -> bool:
    """Move one unit of the pair to a new machine resource of its own; False if neither can be written."""
    for name, other in ((change.unit, change.apart_from), (change.alternative, change.unit)):
        unit = units.get(name) if name is not None else None
        app = state.app(unit.application_key) if unit is not None else None
        if unit is None or app is None or unit.subordinate or app.machines is None:
            continue
        index = int(unit.name.rpartition("/")[2])
        where = parse_address(app.address)
        if where is None or index >= len(app.machines):
            continue
        if not all(_written_in(state, m, where.module) for m in app.machines):
            continue
        new = _new_machine(state, app, unit, app.machines[index], module=where.module, into=change.into)
        if new is None:
            continue
        address = new.address.module + new.address.local()
        model = app.model
        if new.near is not None:
            model = state.machines[new.near.module + new.near.local()].model
        state.machines[address] = PlannedMachine(address, model, None, new.model_field)
        state.new_machines[address] = new
        # docs/juju-facts.md#terraform-provider: the provider adds a unit on the machine put in the set,
        # then removes the unit of the machine taken out; the other units stay.
        placed = list(app.machines)
        placed[index] = address
        state.apps[app.address] = replace(app, machines=tuple(placed))
        edit = state.edit(app)
        leaves = new.near.local() if new.near is not None else f"machine {new.literal}"
        what = "a new LXD container on it" if change.into == "container" else "a new machine"
        edit.machines_notes += [
            *_resolves(change.resolves),
            f"{unit.key} moves from {leaves} to {new.address.local()}, {what}: a network namespace of its "
            f"own, apart from {other}; every other unit stays where it was",
        ]
        return True
    state.unmovable.add(frozenset((change.unit, change.apart_from)))
    return False


def _written_in(state: _Terraform, machine: str, module: str) -> bool:
    """Whether the application's module can refer to this machine (a literal id, or one of its own)."""
    if machine.startswith("id:"):
        return is_machine(machine[3:])
    address = parse_address(machine)
    return address is not None and address.module == module and machine in state.machines


def _reusable(expression: str) -> bool:
    """A model reference a new resource of the same module may repeat and mean the same model by.

    A traversal of a resource, variable, local or module output, or a uuid literal: not `each.`,
    `count.` or `self.`, which mean something else (or nothing) in a resource without them.
    """
    if _UUID_LITERAL.fullmatch(expression):
        return True
    return _TRAVERSAL.fullmatch(expression) is not None and expression.split(".", 1)[0] not in (
        "each",
        "count",
        "self",
    )


def _new_machine(
    state: _Terraform, app: PlannedApplication, unit: Unit, source: str, *, module: str, into: Destination
) -> _NewMachine | None:
    near: Address | None = None
    literal: str | None = None
    if source.startswith("id:"):
        literal = source[3:]
        expression = app.model_expression or ""
        if not _reusable(expression):
            return None  # the model cannot be named without repeating an expression this fix cannot vouch for
        model_field = app.model_field
    else:
        near = parse_address(source)
        if near is None:
            return None
        machine = state.machines[source]
        model_field = machine.model_field
        # The expression the machine it leaves names its model with, as an author would write it;
        # else that machine's own attribute (a reference Terraform resolves to the same model).
        expression = machine.model_expression or ""
        if not _reusable(expression):
            expression = f"{near.local()}.{model_field}"
    base = re.sub(r"[^a-z0-9_]", "_", unit.application.replace("-", "_").lower())
    stem = f"{base}_{'lxd_' if into == 'container' else ''}{unit.name.rpartition('/')[2]}"
    name, n = stem, 1
    while f"{module}juju_machine.{name}" in state.original.machine_blocks or any(
        m.module == module and m.name == name for m in (x.address for x in state.new_machines.values())
    ):
        n += 1
        name = f"{stem}_{n}"
    target = parse_address(f"{module}juju_machine.{name}")
    if target is None:
        return None
    return _NewMachine(target, model_field, expression, near, literal, into, unit.key, app.address)


# -- writing ----------------------------------------------------------------------------------------


def _resolves(findings: Sequence[Finding]) -> list[str]:
    return [f"resolves {finding_line(f)}" for f in findings]


def _render(
    state: _Terraform,
    source: TerraformSource,
    before: Report,
    after: Report,
    left: Sequence[Unresolved],
) -> Iterator[str]:
    where = (
        "in the block named with its file:line"
        if source == "directory"
        else "in the configuration this plan was made from"
    )
    yield f"# Written by `anbox-ports fix` for {one_line(state.original.input, 200)}."
    yield "# Changes to the Terraform configuration per resource, shown as `terraform plan` shows a change"
    yield "# (~ changed, + added, - removed) but with the expressions to write."
    yield f"# Make each {where}, then plan and apply."
    yield (
        f"# Proof: with these changes made to the resources it plans, the input has "
        f"{plural(after.summary.errors, 'error')} (it had {before.summary.errors}) and "
        f"{plural(after.summary.warnings, 'warning')}."
    )
    for item in left:
        yield f"# REMAINING {finding_line(item.finding)}"
        yield f"#   cure: {one_line(item.reason, 600)}"
    if not state.edits:
        yield "# Nothing to change."
        return
    siblings = _instances(state.original)
    for address in sorted(state.edits):
        for new in sorted(
            (m for m in state.new_machines.values() if m.application == address),
            key=lambda m: m.address.local(),
        ):
            yield ""
            yield from _machine_section(state, new, siblings, source)
        yield ""
        yield from _app_section(state, state.edits[address], siblings, source)


def _instances(plan: JujuPlan) -> dict[str, int]:
    """How many instances each block (and each module block) makes in this plan."""
    counts: dict[str, set[str]] = {}
    for address in [a.address for a in plan.applications] + [m.address for m in plan.machines]:
        parsed = parse_address(address)
        if parsed is None:
            continue
        counts.setdefault(parsed.block, set()).add(address)
        for depth in range(1, len(parsed.modules) + 1):
            module_block = ".".join(f"module.{n}" for n, _ in parsed.modules[:depth])
            instance = "".join(f"module.{n}{_key_text(k)}." for n, k in parsed.modules[:depth])
            counts.setdefault(module_block, set()).add(instance)
    return {block: len(found) for block, found in counts.items()}


def _at(location: Location, source: TerraformSource) -> str:
    """Where a resource is: its block in a `.tf` file, or its entry in the plan JSON."""
    return f"block at {location}" if source == "directory" else f"in {location}"


def _machine_section(
    state: _Terraform, new: _NewMachine, siblings: Mapping[str, int], source: TerraformSource
) -> Iterator[str]:
    address = new.address
    full = address.module + address.local()
    if new.near is not None:
        near = state.machines[new.near.module + new.near.local()]
        at = "" if near.location is None else f" ({_at(near.location, source)})"
        beside = f"beside {new.near.type}.{new.near.name}{at}"
    else:
        app = state.original_app(new.application)
        named = parse_address(app.address)
        at = "" if app.location is None else f" ({_at(app.location, source)})"
        beside = f"beside {named.type}.{named.name}{at}" if named is not None else "beside its application"
    yield f"# {one_line(full, 300)}: create, {one_line(beside, 300)}"
    module_block = ".".join(f"module.{n}" for n, _ in address.modules)
    if module_block and siblings.get(module_block, 1) > 1:
        yield (
            f"#   its module makes {siblings[module_block]} instances, and a resource added to it is "
            "added to each: give it a count (or for_each) if only this one needs it"
        )
    yield f'+ resource "juju_machine" "{address.name}" {{'
    if new.near is not None:
        what = "a new LXD container on" if new.into == "container" else "a new machine like"
        yield f"    # {what} {new.near.local()}, for {one_line(new.unit, 200)} (below)"
    else:
        what = f"a new LXD container on machine {new.literal}" if new.into == "container" else "a new machine"
        yield f"    # {what}, for {one_line(new.unit, 200)} (below)"
    rows = [(new.model_field, new.model_expression)]
    if new.near is not None:
        rows.append(("base", f"{new.near.local()}.base"))
        if new.into == "machine":
            rows.append(("constraints", f"{new.near.local()}.constraints"))
    if new.into == "container":
        # docs/juju-facts.md#terraform-provider: `lxd:<machine_id>` makes a new container on that machine.
        parent = "${" + new.near.local() + ".machine_id}" if new.near is not None else (new.literal or "")
        rows.append(
            ("placement", '"lxd:' + parent + '"' if new.near is not None else hcl_string(f"lxd:{parent}"))
        )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        yield f"    + {name.ljust(width)} = {value}"
    yield "  }"


def _app_section(
    state: _Terraform, edit: _AppEdit, siblings: Mapping[str, int], source: TerraformSource
) -> Iterator[str]:
    original = edit.original
    current = state.apps[original.address]
    address = parse_address(original.address)
    assert address is not None  # noqa: S101 - only applications whose address parses are edited
    block = "its block" if original.location is None else _at(original.location, source)
    yield f"# {one_line(original.address, 300)}: change in place ({one_line(block, 300)})"
    count = siblings.get(address.block, 1)
    if count > 1:
        yield (
            f"#   its block makes {count} instances: this change is for this one (each other one that needs "
            "a change is listed on its own); give it through a variable or a map keyed by instance"
        )
    yield f'~ resource "{address.type}" "{address.name}" {{'
    if current.machines != original.machines and current.machines is not None:
        yield from _machines_lines(state, original, current.machines, edit.machines_notes)
    if edit.config:
        yield from _config_lines(original, edit)
    if edit.exposure_changed:
        yield from _expose_lines(original, current.expose, edit.exposure_notes)
    yield "  }"


def _machines_lines(
    state: _Terraform, original: PlannedApplication, placed: Sequence[str], notes: Sequence[str]
) -> Iterator[str]:
    yield from _comments(notes, 4)
    if original.machines_location is not None:
        yield f"    # `{original.machines_field}` is at {one_line(str(original.machines_location), 300)}"
    old = list(original.machines or ())
    opening = 'join(",", [' if original.machines_field == "placement" else "["
    closing = "])" if original.machines_field == "placement" else "]"
    yield f"    ~ {original.machines_field} = {opening}"
    for was, now in zip(old, placed, strict=True):
        if was == now:
            yield f"          {_machine_reference(was)},"
        else:
            yield f"        - {_machine_reference(was)},"
            yield f"        + {_machine_reference(now)},"
    yield f"      {closing}"


def _machine_reference(machine: str) -> str:
    if machine.startswith("id:"):
        return hcl_string(machine[3:])
    address = parse_address(machine)
    assert address is not None  # noqa: S101 - only machines whose address parses are written
    return f"{address.local()}.machine_id"


def _config_lines(original: PlannedApplication, edit: _AppEdit) -> Iterator[str]:
    had_config = (
        original.config_location is not None or bool(original.config) or bool(original.unknown_options)
    )
    sign = "~" if had_config else "+"
    if original.config_location is not None:
        yield f"    # `config` is at {one_line(str(original.config_location), 300)}"
    yield f"    {sign} config = {{"
    for option, value in sorted(edit.config.items()):
        yield from _comments(edit.config_notes.get(option, []), 8)
        key = option if _IDENTIFIER.fullmatch(option) else hcl_string(option)
        was = original.config.get(option)
        if was is not None:
            yield f"        ~ {key} = {hcl_string(was)} -> {hcl_string(value)}"
        elif option in original.unknown_options or "*" in original.unknown_options:
            yield f"        ~ {key} = (known after apply) -> {hcl_string(value)}"
        else:
            yield f"        + {key} = {hcl_string(value)}"
    kept = len(set(original.config) - set(edit.config))
    if kept:
        yield f"        # ({plural(kept, 'unchanged element')} hidden)"
    yield "      }"


def _expose_lines(
    original: PlannedApplication, expose: PlannedExpose | None, notes: Sequence[str]
) -> Iterator[str]:
    yield from _comments(notes, 4)
    if original.expose_dynamic:
        at = f" at {original.expose_location}" if original.expose_location is not None else ""
        todo = "make its for_each give none" if expose is None else "make it give the block below"
        yield f'    # it comes from a `dynamic "expose"` block{one_line(at, 300)}: {todo}'
    elif original.expose_location is not None:
        yield f"    # the `expose` block is at {one_line(str(original.expose_location), 300)}"
    if original.expose is not None:
        yield from _expose_block("-", original.expose)
    if expose is not None:
        yield from _expose_block("+", expose)


def _expose_block(sign: str, expose: PlannedExpose) -> Iterator[str]:
    """The block as HCL writes it: `expose {}`, or one argument per line (HCL allows no more on one)."""
    fields = [
        (name, hcl_string(",".join(values)))
        for name, values in (
            ("endpoints", expose.endpoints),
            ("cidrs", expose.cidrs),
            ("spaces", expose.spaces),
        )
        if values
    ]
    if not fields:
        yield f"    {sign} expose {{}}"
        return
    yield f"    {sign} expose {{"
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        yield f"        {sign} {name.ljust(width)} = {value}"
    yield "      }"


def _comments(notes: Sequence[str], indent: int) -> Iterator[str]:
    for note in notes:
        yield " " * indent + "# " + one_line(note, 600)
