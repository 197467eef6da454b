"""Terraform inputs: a root module directory (evaluated here), or `terraform show -json` of a plan.

Anbox Cloud 1.30 is deployed with Terraform (canonical/anbox-cloud-terraform) through the Juju
provider: one `juju_model` per model, `juju_machine`s, `juju_application`s placed on them. Both doors
end in the same `JujuPlan` (`plan`), placed and claimed once (`build`):

- a directory (`load_directory`): its variables read as Terraform reads them (`variables`), every
  `.tf` file parsed with python-hcl2 (`hcl`, the optional `terraform` extra) into our own syntax tree
  (`syntax`, `declarations`), evaluated lazily with Terraform's plan-time semantics (`evaluator`,
  `typeconv`, `functions`, the provider's schemas in `provider`), its Juju resources read (`resources`);
- plan JSON (`plan_json`), detected by content among the other documents.

What is known only after apply (a machine's id, a model's uuid) is followed to the resource it comes
from, never guessed; what cannot be evaluated here is reported with its expression and place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ...catalog import Catalog, Profile
from ...gcpause import gc_paused
from ...model import Deployment
from ...names import validate_names
from .arguments import VarArg, VarFile, VarSource
from .errors import ConfigError, LimitError, ParseError, ParserUnavailableError, TerraformError, VariableError
from .plan_json import looks_like_plan, read_plan

if TYPE_CHECKING:
    from .evaluator import Limits
    from .plan import JujuPlan

__all__ = [
    "ConfigError",
    "LimitError",
    "ParseError",
    "ParserUnavailableError",
    "TerraformError",
    "VarArg",
    "VarFile",
    "VariableError",
    "directory_plan",
    "load_directory",
    "looks_like_plan",
    "read_plan",
]

# What to do about a value the directory's evaluation cannot know: Terraform evaluates everything but
# the apply-time values, and its plan JSON is the exact form.
DIRECTORY_HINT = (
    "if the value comes from something this checker does not evaluate, check the saved plan instead: "
    "`terraform plan -out=plan.bin && terraform show -json plan.bin > plan.json`, then "
    "`anbox-ports check plan.json`"
)


def load_directory(
    directory: str,
    var_sources: Sequence[VarSource] = (),
    *,
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    environ: Mapping[str, str] | None = None,
    limits: Limits | None = None,
) -> Deployment:
    """A Terraform root module, with `-var-file`/`-var` inputs in command-line order, as a Deployment.

    `environ` is where `TF_VAR_*` values come from (the CLI passes `os.environ`, as Terraform reads
    them); by default none are read, so a library call does not depend on the caller's shell.
    Raises a `TerraformError` (one line, naming file and line) for input Terraform would refuse too.
    """
    from .build import build

    with gc_paused():
        plan = directory_plan(directory, var_sources, environ=environ, limits=limits)
        deployment = build(plan, catalog or Catalog.builtin(), profile, DIRECTORY_HINT)
    # As every document source is checked in `sources.load`: a name Juju refuses is refused here.
    validate_names(deployment)
    return deployment


def directory_plan(
    directory: str,
    var_sources: Sequence[VarSource] = (),
    *,
    environ: Mapping[str, str] | None = None,
    limits: Limits | None = None,
) -> JujuPlan:
    """What a Terraform root module deploys into Juju, before it is placed (`load_directory` places it)."""
    # The evaluator is imported here, not with the package: plan JSON and every other input need none of it.
    from .evaluator import Evaluation, Limits
    from .instances import ModuleInstance
    from .resources import read_resources
    from .variables import collect, resolve

    if not os.path.isdir(directory):
        raise ConfigError(f"{directory}: not a directory")
    with gc_paused():
        evaluation = Evaluation(directory, limits or Limits(), shown_root=os.path.normpath(directory))
        config = evaluation.module_config(directory)
        definitions = collect(
            evaluation.root_dir, evaluation.shown_root, config, var_sources, environ=environ
        )
        values = resolve(config, definitions)
        root = ModuleInstance(evaluation, config, "", 0, root_values=values)
        for name in config.variables:
            where = definitions[name].where if name in definitions else str(config.variables[name].loc)
            root.validate(name, values[name], VariableError, where)
        return read_resources(root, os.path.normpath(directory))
