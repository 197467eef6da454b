"""`anbox-ports fix`: the changes that remove every error finding, written for the input and proved.

The planner (`planner.py`) decides what to change from the findings alone, for any input; each
target writes the changes in the input's own language and proves them by reading the input back with
them applied, through the same source and engine as `check`:

* a bundle (with overlays): a bundle overlay (`bundle.py`), merged by the bundle source as
  `juju deploy --overlay` merges it;
* what Juju already runs (`juju status` dumps, completed by the dumps that say what status does not,
  or a live model): `juju` commands (`commands.py`), applied to the model read from the input;
* a Terraform root module or a plan JSON: attribute changes per resource (`terraform.py`), made to
  the resources the input plans, which the Terraform source then places and claims.

A target for another input is one module with a `fix_<input>()` returning a `FixResult`: it gets the
same `Plan` and proves its output the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..findings import JujuVersion
from ..sources.terraform import VarSource
from .bundle import fix_bundle
from .changes import Change, Destination, MoveUnit, Plan, SetExposure, SetOption, Unresolved
from .commands import fix_commands
from .planner import plan
from .result import FixResult
from .terraform import fix_terraform

__all__ = [
    "Change",
    "Destination",
    "FixResult",
    "MoveUnit",
    "Plan",
    "SetExposure",
    "SetOption",
    "Unresolved",
    "fix_bundle",
    "fix_commands",
    "fix_directory",
    "fix_input",
    "fix_inputs",
    "fix_terraform",
    "plan",
]


def fix_input(
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
    """A bundle gets an overlay, a Terraform plan JSON attribute changes, anything Juju runs commands."""
    return fix_inputs(
        [(text, input)],
        overlays=overlays,
        catalog=catalog,
        profile=profile,
        juju=juju,
        into=into,
        spaces=spaces,
    )


def fix_inputs(
    inputs: Sequence[tuple[str | bytes, str]],
    *,
    overlays: Sequence[tuple[str | bytes, str]] = (),
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    juju: JujuVersion = "3",
    into: Destination = "container",
    spaces: Sequence[str] = (),
) -> FixResult:
    """One input as `fix_input` reads it, or several as `check` combines them.

    Several are `juju status` dumps (one per model) and the show-application, exec opened-ports and
    spaces dumps that complete them; `spaces` are `--space NAME=CIDR,...` options, as `check` takes them.
    """
    from .. import sources
    from ..sources import detect, yamlload
    from ..sources.terraform.plan_json import PLAN_HINT, plan_of

    catalog = catalog or Catalog.builtin()
    if len(inputs) == 1:
        text, name = inputs[0]
        parsed = yamlload.load(text, name)
        kind = detect.detect(parsed) if parsed.documents else None
        if kind is detect.BUNDLE:
            return fix_bundle(
                text,
                input=name,
                overlays=overlays,
                catalog=catalog,
                profile=profile,
                juju=juju,
                into=into,
                spaces=spaces,
            )
        if kind is detect.TERRAFORM_PLAN:
            if overlays:
                raise InputError(
                    overlays[0][1], f"overlays apply to bundles, but {name} is a {detect.TERRAFORM_PLAN.name}"
                )
            return fix_terraform(
                plan_of(parsed),
                source="plan JSON",
                hint=PLAN_HINT,
                catalog=catalog,
                profile=profile,
                juju=juju,
                into=into,
                spaces=spaces,
            )
    deployment = sources.load_inputs(
        inputs, overlays=overlays, catalog=catalog, profile=profile, spaces=spaces
    )
    return fix_commands(deployment, catalog=catalog, juju=juju, into=into)


def fix_directory(
    directory: str,
    var_sources: Sequence[VarSource] = (),
    *,
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    environ: Mapping[str, str] | None = None,
    juju: JujuVersion = "3",
    into: Destination = "container",
    spaces: Sequence[str] = (),
) -> FixResult:
    """A Terraform root module (variables as `load_directory` reads them): attribute changes, proved."""
    from ..sources.terraform import DIRECTORY_HINT, directory_plan

    return fix_terraform(
        directory_plan(directory, var_sources, environ=environ),
        source="directory",
        hint=DIRECTORY_HINT,
        catalog=catalog,
        profile=profile,
        juju=juju,
        into=into,
        spaces=spaces,
    )
