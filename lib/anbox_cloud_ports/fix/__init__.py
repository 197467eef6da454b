"""`anbox-ports fix`: the changes that remove every error finding, written for the input and proved.

The planner (`planner.py`) decides what to change from the findings alone, for any input; each
target writes the changes in the input's own language and proves them by reading the input back with
them applied, through the same source and engine as `check`:

* a bundle (with overlays): a bundle overlay (`bundle.py`), merged by the bundle source as
  `juju deploy --overlay` merges it;
* a `juju status` dump: `juju` commands (`commands.py`), applied to the model read from the dump.

A target for another input (a Terraform plan: attribute changes per resource) is one module with a
`fix_<input>()` returning a `FixResult`: it gets the same `Plan` and proves its output the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..catalog import Catalog, Profile
from ..findings import JujuVersion
from .bundle import fix_bundle
from .changes import Change, Destination, MoveUnit, Plan, SetExposure, SetOption, Unresolved
from .commands import fix_commands
from .planner import plan
from .result import FixResult

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
    "fix_input",
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
) -> FixResult:
    """A bundle gets an overlay, anything Juju already runs (a `juju status` dump) gets commands."""
    from .. import sources
    from ..sources import detect, yamlload

    catalog = catalog or Catalog.builtin()
    parsed = yamlload.load(text, input)
    if parsed.documents and detect.detect(parsed) is detect.BUNDLE:
        return fix_bundle(
            text, input=input, overlays=overlays, catalog=catalog, profile=profile, juju=juju, into=into
        )
    deployment = sources.load(text, input=input, overlays=overlays, catalog=catalog, profile=profile)
    return fix_commands(deployment, catalog=catalog, juju=juju, into=into)
