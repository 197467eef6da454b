"""A fix for a bundle: one overlay, proved by reading the bundle back through the bundle source with it.

The overlay is merged as `juju deploy BUNDLE --overlay ... --overlay fix.yaml` merges it
(docs/juju-facts.md#bundles, Overlay merging), so it is written to mean exactly one thing there:

* `to:` is replaced wholesale by an overlay, so a moved unit's application gets its whole list, one
  entry per unit. Entries a shorter list left implicit are spelled out as Juju reads them (the last
  one repeated only if it is `new`, `<ctype>:new` or a bare application; otherwise `new`), and a bare
  application target becomes `app/N`, the unit Juju would pick, so that no other unit's place changes.
* `options` merge key by key: only the moved option is written.
* `exposed-endpoints` is overlay-only and refused beside `expose: true`, so a narrowed rule is
  `expose: false` plus the endpoints kept; an endpoint dropped is written as `{}` (deleted by the
  merge), and a wildcard rule for everyone spells out 0.0.0.0/0 and ::/0 (an empty rule is deleted).

No YAML library writes it: every key and string is a JSON string (a YAML double-quoted scalar), every
comment is one escaped line, and the result is read back by `sources.yamlload` like any input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..catalog import Catalog, Profile
from ..checks import check
from ..errors import InputError
from ..findings import Finding, JujuVersion, Report
from ..model import Deployment, ExposeTarget
from ..names import validate_names
from ..sources import complete, yamlload
from ..sources.bundle import parse_placement, parts_of
from ..sources.bundle.build import build as build_bundle
from ..sources.bundle.build import merged_bundle, place_units
from ..sources.bundle.placement import Placed
from ..sources.bundle.reader import AppSpec, Part
from ..text import one_line, plural
from .changes import Destination, MoveUnit, Plan, SetExposure, SetOption, Unresolved
from .planner import OptionValues
from .planner import plan as plan_changes
from .result import MAX_ROUNDS, FixResult, finding_line, remaining

FIX_INPUT = "fix.yaml"
"""The name the overlay goes by while it is proved, and in the findings of that proof."""

_EVERYONE = ("0.0.0.0/0", "::/0")


@dataclass
class _AppEdit:
    """What the overlay says about one application, with the comment lines that say why."""

    to: list[str] | None = None
    to_notes: list[str] = field(default_factory=list[str])
    options: dict[str, object] = field(default_factory=dict[str, object])
    option_notes: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    exposure: SetExposure | None = None
    old_endpoints: frozenset[str] = frozenset()
    exposure_notes: list[str] = field(default_factory=list[str])


class _Bundle:
    """The input's parts, the overlay being built, and a reading of the two together."""

    def __init__(
        self,
        parts: list[Part],
        input: str,
        catalog: Catalog,
        profile: Profile,
        juju: JujuVersion,
        *,
        spaces: Sequence[str] = (),
    ):
        self.parts = parts
        self.spaces = spaces
        self.input = input
        self.catalog = catalog
        self.profile: Profile = profile
        self.juju: JujuVersion = juju
        self.edits: dict[str, _AppEdit] = {}
        # Pairs of units neither of which can move without moving others: the planner tries options.
        self.unmovable: set[frozenset[str]] = set()

    def read(self, text: str | None) -> tuple[Part, Deployment]:
        parts = list(self.parts)
        if text is not None:
            parts += parts_of(yamlload.load(text, FIX_INPUT))
        merged = merged_bundle(parts)
        deployment = build_bundle(parts, input=self.input, catalog=self.catalog, profile=self.profile)
        # `--space NAME=CIDR,...` says what the bundle cannot: the subnets of the spaces it exposes to.
        return merged, complete(deployment, (), self.catalog, self.spaces)

    def report(self, deployment: Deployment) -> Report:
        return check(deployment, catalog=self.catalog, juju=self.juju)

    def edit(self, app: str) -> _AppEdit:
        return self.edits.setdefault(app, _AppEdit())


def fix_bundle(
    text: str | bytes,
    *,
    input: str,
    overlays: Sequence[tuple[str | bytes, str]] = (),
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    juju: JujuVersion = "3",
    into: Destination = "container",
    spaces: Sequence[str] = (),
) -> FixResult:
    """The overlay that removes every error finding of a bundle (with its overlays), and its proof."""
    catalog = catalog or Catalog.builtin()
    parts = parts_of(yamlload.load(text, input))
    if not parts or parts[0].null:
        raise InputError(input, "the bundle is empty: no YAML document in it")
    for overlay_text, name in overlays:
        parts += parts_of(yamlload.load(overlay_text, name))
    bundle = _Bundle(parts, input, catalog, profile, juju, spaces=spaces)
    merged, deployment = bundle.read(None)
    validate_names(deployment)  # as `check` refuses them: nothing is printed about a name Juju refuses
    before = report = bundle.report(deployment)
    reasons: list[Unresolved] = []
    for _ in range(MAX_ROUNDS):
        if not report.summary.errors:
            break
        last = plan_changes(
            report,
            catalog=catalog,
            into=into,
            option_values=_option_values(merged),
            no_move=frozenset(bundle.unmovable),
        )
        reasons += last.unresolved
        if not _record(bundle, last, merged):
            break
        merged, deployment = bundle.read(_render(bundle, before, None))
        report = bundle.report(deployment)
    left = remaining(report, reasons)
    text_out = _render(bundle, before, report, left)
    return FixResult(text=text_out, before=before, after=report, unresolved=left, kind="bundle overlay")


def _option_values(merged: Part) -> OptionValues:
    def values(app: str) -> Mapping[str, object]:
        spec = merged.applications.get(app)
        return {} if spec is None else {key: value for key, (value, _) in (spec.options or {}).items()}

    return values


def _record(bundle: _Bundle, plan: Plan, merged: Part) -> bool:
    """Turn a plan's changes into overlay edits; False when nothing new was recorded."""
    recorded = False
    for change in plan.changes:
        if isinstance(change, MoveUnit):
            # Each move is planned on the bundle as the moves before it left it.
            merged = _record_move(bundle, change, merged)
            recorded = True
        elif isinstance(change, SetOption):
            edit = bundle.edit(change.application)
            edit.options[change.option] = change.value
            edit.option_notes[change.option] = [*_resolves(change.resolves), _option_note(change)]
            recorded = True
        else:
            edit = bundle.edit(change.application)
            spec = merged.applications.get(change.application)
            if spec is not None:
                edit.old_endpoints |= frozenset(spec.exposed_endpoints or {})
            edit.exposure = change
            edit.exposure_notes = [*_resolves(change.resolves), *_exposure_notes(change)]
            recorded = True
    return recorded


# -- moving a unit --------------------------------------------------------------------------------


def explicit_directives(app: AppSpec, placed: Mapping[str, list[Placed]]) -> list[str]:
    """The application's `to:` as one entry per unit, placing every unit where the original list does.

    juju internal/bundle/changes/handlers.go `placeUnitsForApplication` (docs/juju-facts.md#bundles):
    the i-th unit takes the i-th entry; past the end, the last entry repeats only if it is `new`,
    `<ctype>:new` or a bare application, else each unit gets a new machine. A bare application target
    picks that application's next unit not yet used by this one (or a new machine, without a
    container, when none is left): written as `app/N`, it stays put whatever entry changes before it.
    """
    texts = [text for text, _, _ in app.to]
    repeat: str | None = None
    if texts:
        last = parse_placement(texts[-1])
        if last is not None and (last.machine == "new" or (last.application and last.unit == -1)):
            repeat = texts[-1]
    consumed: dict[str, int] = {}
    out: list[str] = []
    for i in range(app.num_units):
        text = texts[i] if i < len(texts) else (repeat or "new")
        placement = parse_placement(text)
        if placement is not None and placement.application and placement.unit == -1:
            k = consumed.get(placement.application, 0)
            consumed[placement.application] = k + 1
            if k < len(placed.get(placement.application, ())):
                prefix = f"{placement.container}:" if placement.container else ""
                text = f"{prefix}{placement.application}/{k}"
            else:
                text = "new"
        out.append(text)
    return out


def moved_directive(current: str, into: Destination) -> str | None:
    """Where a unit placed by `current` goes to be on a host of its own; None if it already is."""
    placement = parse_placement(current)
    if placement is None or placement.machine == "new" or placement.container:
        # A new machine or a new container is a host of its own already: what shares it follows it.
        return None
    if into == "machine":
        return "new"
    target = placement.machine or f"{placement.application}/{placement.unit}"
    return f"lxd:{target}"


def _record_move(bundle: _Bundle, change: MoveUnit, merged: Part) -> Part:
    """Record the move of one unit of the pair (and the pins it needs); the bundle as it then reads."""
    before = place_units(merged, bundle.input, bundle.catalog, bundle.profile)
    for name in (change.unit, change.alternative):
        if name is None:
            continue
        app_name, _, number = name.rpartition("/")
        app = merged.applications.get(app_name)
        if app is None or not number.isdigit():
            continue
        directives = explicit_directives(app, before.units)
        index = int(number)
        if index >= len(directives):
            continue
        target = moved_directive(directives[index], change.into)
        if target is None:
            continue
        directives[index] = target
        lists = {app_name: directives, **_pinned_dependents(merged, before.units, app_name, index)}
        trial_apps = dict(merged.applications)
        for listed, texts in lists.items():
            spec = merged.applications[listed]
            assert spec is not None  # noqa: S101 - only placed applications are listed
            trial_apps[listed] = replace(
                spec, to=[(d, spec.location, f"{spec.where}.to[{i}]") for i, d in enumerate(texts)]
            )
        try:
            after = place_units(
                replace(merged, applications=trial_apps), bundle.input, bundle.catalog, bundle.profile
            )
        except InputError:  # a pin that would make a placement cycle: this unit cannot move alone
            continue
        other = change.apart_from if name == change.unit else change.unit
        if not _separated(before.units, after.units, name, other):
            continue
        _note_move(bundle, change, merged, name=name, other=other, target=target, lists=lists)
        return replace(merged, applications=trial_apps)
    # Neither unit can move alone: the planner tries an option in the next round, or says why not.
    bundle.unmovable.add(frozenset((change.unit, change.apart_from)))
    return merged


def _pinned_dependents(
    merged: Part, placed: Mapping[str, list[Placed]], app_name: str, index: int
) -> dict[str, list[str]]:
    """Other applications' `to:` lists, with every unit placed beside the mover pinned where it is.

    A unit placed by `app/N` (no container) shares app/N's host and would follow it
    (docs/juju-facts.md#bundles); it is pinned to that host instead: the bundle machine id when the
    host is a bundle machine, else a unit that stays there and is not itself being pinned (so no
    placement cycle appears). `lxd:app/N` makes a container on app/N's machine, which moving app/N
    into a container of that machine does not change.
    """
    spot = placed[app_name][index]
    lists: dict[str, list[str]] = {}
    pinned: set[str] = set()
    for other, spec in merged.applications.items():
        if spec is None or other == app_name:
            continue
        texts = explicit_directives(spec, placed)
        for i, text in enumerate(texts):
            placement = parse_placement(text)
            if (
                placement is not None
                and not placement.container
                and placement.application == app_name
                and placement.unit == index
            ):
                lists.setdefault(other, texts)
                pinned.add(f"{other}/{i}")
    if not lists:
        return lists
    if spot.host in (merged.machines or {}):
        anchor: str | None = spot.host
    else:
        # An anchor of an application that is pinned, or that places itself by one (directly or not),
        # would make a placement cycle.
        avoid = _placed_after(merged, {*lists, app_name})
        anchor = next(
            (
                f"{other}/{i}"
                for other, spots in sorted(placed.items())
                if other not in avoid
                for i, where in enumerate(spots)
                if where.host == spot.host
            ),
            None,
        )
    if anchor is None:
        return {}
    for other, texts in lists.items():
        for i in range(len(texts)):
            if f"{other}/{i}" in pinned:
                texts[i] = anchor
    return lists


def _placed_after(merged: Part, apps: set[str]) -> set[str]:
    """`apps` and every application whose `to:` refers to one of them, directly or through others."""
    refers: dict[str, set[str]] = {}
    for name, spec in merged.applications.items():
        if spec is None:
            continue
        for text, _, _ in spec.to:
            placement = parse_placement(text)
            if placement is not None and placement.application:
                refers.setdefault(name, set()).add(placement.application)
    found = set(apps)
    grew = True
    while grew:
        grew = False
        for name, targets in refers.items():
            if name not in found and targets & found:
                found.add(name)
                grew = True
    return found


def _note_move(
    bundle: _Bundle,
    change: MoveUnit,
    merged: Part,
    *,
    name: str,
    other: str,
    target: str,
    lists: Mapping[str, list[str]],
) -> None:
    moved = replace(change, unit=name, apart_from=other)
    where = "a new LXD container" if change.into == "container" else "a new machine"
    on = f" on machine {target.removeprefix('lxd:')}" if change.into == "container" else ""
    app_name = name.rpartition("/")[0]
    for listed, texts in lists.items():
        spec = merged.applications[listed]
        assert spec is not None  # noqa: S101 - only placed applications are listed
        previous = [t for t, _, _ in spec.to]
        edit = bundle.edit(listed)
        edit.to = texts
        if listed == app_name:
            edit.to_notes += [
                *_resolves(change.resolves),
                f"{moved.unit} moves to {where}{on} ({_show(previous)} -> {_show(texts)}), "
                "a network namespace of its own; every other unit stays where it was",
            ]
        else:
            edit.to_notes.append(
                f"pinned where it is ({_show(previous)} -> {_show(texts)}): it was placed beside "
                f"{moved.unit}, which moves"
            )


def _separated(
    before: Mapping[str, list[Placed]], after: Mapping[str, list[Placed]], mover: str, other: str
) -> bool:
    """The mover left `other`'s host, and every other principal unit kept its neighbours."""

    def hosts(placed: Mapping[str, list[Placed]]) -> dict[str, str]:
        return {f"{app}/{i}": spot.host for app, spots in placed.items() for i, spot in enumerate(spots)}

    old, new = hosts(before), hosts(after)
    if new.get(mover) == new.get(other):
        return False
    rest = [u for u in old if u != mover]

    def neighbours(where: dict[str, str]) -> dict[str, frozenset[str]]:
        by_host: dict[str, set[str]] = {}
        for unit in rest:
            by_host.setdefault(where[unit], set()).add(unit)
        return {unit: frozenset(by_host[where[unit]]) for unit in rest}

    return neighbours(old) == neighbours(new)


# -- writing --------------------------------------------------------------------------------------


def _resolves(findings: Sequence[Finding]) -> list[str]:
    return [f"resolves {finding_line(f)}" for f in findings]


def _option_note(change: SetOption) -> str:
    hosts = ", ".join(str(h) for h in change.hosts)
    was = (
        ""
        if change.was is None
        else f" (was {json.dumps(change.was) if isinstance(change.was, str) else change.was})"
    )
    span = str(change.port.start) if change.port.size == 1 else f"{change.port.start}-{change.port.end}"
    return (
        f"{change.option} = {change.value}{was}: {span} checked free for {' and '.join(change.protocols)} "
        f"on {hosts}"
    )


def _exposure_notes(change: SetExposure) -> list[str]:
    if not change.exposed and change.lost:
        notes = [
            "not exposed: a bundle cannot say on which endpoint the charm opens its ports, so no narrower "
            "expose rule keeps the internal ones in"
        ]
    elif not change.exposed:
        notes = ["not exposed: every port it opens is internal to the deployment"]
    else:
        notes = [f"exposed only on {', '.join(sorted(change.exposed))}, the endpoints of its external ports"]
    if change.lost_note:
        notes.append("NOT DONE BY THIS OVERLAY: " + change.lost_note)
    return notes


def _show(directives: Sequence[str]) -> str:
    return "[" + ", ".join(directives) + "]" if directives else "[]"


def _render(
    bundle: _Bundle, before: Report, after: Report | None, unresolved: Sequence[Unresolved] = ()
) -> str:
    lines = [f"# Written by `anbox-ports fix` for {one_line(bundle.input, 200)}."]
    if after is not None:
        lines += [
            f"# Deploy with it last: juju deploy {one_line(bundle.input, 200)} [--overlay ...] --overlay fix.yaml",
            f"# Proof: read back with this overlay, the bundle has {plural(after.summary.errors, 'error')} "
            f"(it had {before.summary.errors}) and {plural(after.summary.warnings, 'warning')}.",
        ]
    for item in unresolved:
        lines.append(f"# REMAINING {finding_line(item.finding)}")
        lines.append(f"#   cure: {one_line(item.reason, 600)}")
    if not bundle.edits:
        if after is not None:
            lines.append("# Nothing to change.")
        return "\n".join(lines) + "\n"
    lines.append("applications:")
    for name in sorted(bundle.edits):
        lines += list(_app_lines(name, bundle.edits[name]))
    return "\n".join(lines) + "\n"


def _app_lines(name: str, edit: _AppEdit) -> Iterator[str]:
    yield f"  {_q(name)}:"
    if edit.to is not None:
        yield from _comments(edit.to_notes, 4)
        yield f"    to: [{', '.join(_q(d) for d in edit.to)}]"
    if edit.options:
        yield "    options:"
        for option, value in sorted(edit.options.items()):
            yield from _comments(edit.option_notes.get(option, []), 6)
            yield f"      {_q(option)}: {_scalar(value)}"
    if edit.exposure is not None:
        yield from _comments(edit.exposure_notes, 4)
        yield "    expose: false"
        if edit.exposure.exposed or edit.old_endpoints:
            yield from _endpoint_lines(edit.exposure.exposed, edit.old_endpoints)


def _endpoint_lines(rules: Mapping[str, ExposeTarget], old: frozenset[str]) -> Iterator[str]:
    # The merge goes key by key: null clears every rule, `{}` deletes one, a rule replaces its key.
    if not rules:
        yield "    exposed-endpoints: null"
        return
    yield "    exposed-endpoints:"
    for endpoint in sorted(old - set(rules)):
        yield f"      {_q(endpoint)}: {{}}"
    for endpoint, target in sorted(rules.items()):
        cidrs = _EVERYONE if target.everyone else target.cidrs
        body = [f"expose-to-cidrs: [{', '.join(_q(c) for c in cidrs)}]"] if cidrs else []
        if target.spaces:
            body.append(f"expose-to-spaces: [{', '.join(_q(s) for s in target.spaces)}]")
        yield f"      {_q(endpoint)}: {{{', '.join(body)}}}"


def _comments(notes: Sequence[str], indent: int) -> Iterator[str]:
    for note in notes:
        yield " " * indent + "# " + one_line(note, 600)


def _q(text: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax is valid YAML, escapes and all."""
    return json.dumps(text)


def _scalar(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))
