"""A fix for a running model (a `juju status` dump): the `juju` commands, proved on the model.

Juju cannot move a unit: a unit is moved by adding one where it should be and removing the old one
(`juju add-unit APP --to lxd:M`, then `juju remove-unit APP/N`), in that order so the application
never has fewer units. An option is `juju config`; exposure is `juju unexpose` then `juju expose
--endpoints` for each endpoint kept (each `juju expose` replaces the rule for its endpoints and
keeps the others, docs/juju-facts.md#expose, so the wildcard rule must go first).

Every command names its model with `-m` when the input holds several (the model's label is how
`juju -m` names it: its name, or `controller:model` where two controllers have a model of that name)
or when the model was given (`fix --model`); with one model read from a dump, the header says which.

Every name printed in a command has passed Juju's own grammar (`names.py`) and is shell-quoted.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence

from ..catalog import Catalog
from ..checks import check
from ..findings import JujuVersion, Report
from ..model import Deployment
from ..names import is_application, is_endpoint, is_machine, is_unit
from ..text import one_line, plural
from .apply import apply_plan
from .changes import Change, Destination, MoveUnit, Plan, SetExposure, SetOption, Unresolved
from .planner import plan as plan_changes
from .result import MAX_ROUNDS, FixResult, finding_line, remaining


def fix_commands(
    deployment: Deployment,
    *,
    catalog: Catalog | None = None,
    juju: JujuVersion = "3",
    into: Destination = "container",
    model: str | None = None,
) -> FixResult:
    """The `juju` commands that remove every error finding of a running model, and their proof.

    `model` is the `[controller:]model` the deployment was read from (`fix --model`): every command
    then names it, since the current model may be another.
    """
    catalog = catalog or Catalog.builtin()
    before = report = check(deployment, catalog=catalog, juju=juju)
    made: list[Change] = []
    reasons: list[Unresolved] = []
    current = deployment
    for _ in range(MAX_ROUNDS):
        if not report.summary.errors:
            break
        step = plan_changes(report, catalog=catalog, into=into)
        reasons += step.unresolved
        runnable = [c for c in step.changes if _nameable(current, c)]
        reasons += [
            Unresolved(f, "a name Juju would refuse: no command is written for it")
            for c in step.changes
            if c not in runnable
            for f in c.resolves
        ]
        if not runnable:
            break
        made += runnable
        current = apply_plan(current, Plan(tuple(runnable)), catalog)
        report = check(current, catalog=catalog, juju=juju)
    left = remaining(report, reasons)
    text = "\n".join(_lines(deployment, made, before, report, left, model=model)) + "\n"
    return FixResult(text=text, before=before, after=report, unresolved=left, kind="juju commands")


def _nameable(deployment: Deployment, change: Change) -> bool:
    app = deployment.applications.get(change.application)
    if app is None or not is_application(app.name):
        return False
    if isinstance(change, MoveUnit):
        unit = deployment.unit_map().get(change.unit)
        return unit is not None and is_unit(unit.name) and is_machine(change.host.machine)
    if isinstance(change, SetExposure):
        return all(is_endpoint(e) for e in change.exposed if e)
    return True


def _lines(
    deployment: Deployment,
    made: Sequence[Change],
    before: Report,
    after: Report,
    left: Sequence[Unresolved],
    *,
    model: str | None,
) -> Iterator[str]:
    if model is not None or _several_models(deployment):
        yield f"# Written by `anbox-ports fix` for {one_line(deployment.input, 200)}: run these in this order;"
        yield "# each names its model with -m."
    else:
        yield f"# Written by `anbox-ports fix` for {one_line(deployment.input, 200)}: run these against that model,"
        yield "# in this order (juju switch to it first, or add -m MODEL to each command)."
    yield (
        f"# Proof: with these changes made to the model it shows, it has {plural(after.summary.errors, 'error')} "
        f"(it had {before.summary.errors}) and {plural(after.summary.warnings, 'warning')}."
    )
    for item in left:
        yield f"# REMAINING {finding_line(item.finding)}"
        yield f"#   cure: {one_line(item.reason, 600)}"
    if not made and not left:
        yield "# Nothing to change."
    for change in made:
        yield ""
        for finding in change.resolves:
            yield f"# resolves {finding_line(finding)}"
        yield from _commands(deployment, change, model)


def _several_models(deployment: Deployment) -> bool:
    return any(app.model for app in deployment.applications.values())


def _commands(deployment: Deployment, change: Change, model: str | None) -> Iterator[str]:
    app = deployment.applications[change.application]
    where = model if model is not None else app.model
    # `juju add-unit -m MODEL APP`: each command names the model its application is in.
    in_model = f"-m {shlex.quote(where)} " if where else ""
    name = in_model + shlex.quote(app.name)
    if isinstance(change, MoveUnit):
        unit = deployment.unit_map()[change.unit]
        if change.into == "container":
            machine = change.host.machine.split("/", 1)[0]
            yield f"# {unit.name} moves to a new LXD container on machine {machine}, a network namespace of its own"
            yield f"juju add-unit {name} --to {shlex.quote('lxd:' + machine)}"
        else:
            yield f"# {unit.name} moves to a new machine"
            yield f"juju add-unit {name}"
        yield f"juju remove-unit {in_model}{shlex.quote(unit.name)}"
    elif isinstance(change, SetOption):
        hosts_text = ", ".join(str(h) for h in change.hosts)
        yield f"# {change.port} checked free for {' and '.join(change.protocols)} on {hosts_text}"
        yield f"juju config {name} {shlex.quote(f'{change.option}={change.value}')}"
    else:
        yield from _exposure(name, change)


def _exposure(name: str, change: SetExposure) -> Iterator[str]:
    if change.lost_note:
        yield f"# NOT DONE BY THESE COMMANDS: {one_line(change.lost_note, 600)}"
    yield f"juju unexpose {name}"
    for endpoint, target in sorted(change.exposed.items()):
        command = f"juju expose {name}"
        if endpoint:
            command += f" --endpoints {shlex.quote(endpoint)}"
        if target.cidrs:
            command += f" --to-cidrs {shlex.quote(','.join(target.cidrs))}"
        if target.spaces:
            command += f" --to-spaces {shlex.quote(','.join(target.spaces))}"
        yield command
