"""What a Terraform plan deploys into Juju, as both Terraform doors read it: the one shape `build` places.

The HCL evaluator (`resources`) and the `terraform show -json` reader (`plan_json`) both end here, so
placing units, claiming ports and judging exposure is written once. Everything is named by resource
address: at plan time no machine has an id, so `machines` lists `juju_machine` instances
(`module.subcluster["a"].juju_machine.lxd_node[0]`), never a guessed id. What a reader could not
evaluate is an `Unresolved` entry, which `build` reports instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model import Location


@dataclass(frozen=True, slots=True)
class PlannedModel:
    """A model the plan creates (a `juju_model`) or names (a model it does not create)."""

    key: str  # the juju_model's address, or `name:<name>` / `uuid:<uuid>` for a model the plan only names
    name: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class PlannedMachine:
    """A `juju_machine` instance: one host of its model (a container placement is a host of its own)."""

    address: str
    model: str  # PlannedModel.key
    location: Location | None = None
    model_field: str = "model_uuid"  # how it names its model: `model_uuid` (provider 1.x on) or `model` (0.x)
    model_expression: str | None = None  # the source text of that reference, for a fix to repeat


@dataclass(frozen=True, slots=True)
class PlannedExpose:
    """An `expose` block after the provider's comma split: no endpoints means all of them (`""`)."""

    endpoints: tuple[str, ...] = ()
    cidrs: tuple[str, ...] = ()
    spaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedApplication:
    """A `juju_application` instance.

    `machines` are `juju_machine` addresses or, written as `id:<n>`, machine ids the configuration
    names literally; None when the application is not placed on machines (then `units` new machines).
    `config` holds the option values known before apply; `unknown_options` names the others.
    `exposure_known` is false when an expose block's content is not known before apply.

    What a fix needs to write a change where the user makes it: `model_field` and `machines_field`
    (`machines`, or 0.x's `placement`), `model_expression` (the source text of the model reference,
    when it is one a new resource can repeat), and where `machines` and the `expose` block are
    (`expose_dynamic`: it comes from a `dynamic "expose"` block).
    """

    address: str
    model: str  # PlannedModel.key
    name: str
    charm: str
    machines: tuple[str, ...] | None
    units: int
    config: dict[str, str] = field(default_factory=dict[str, str])
    unknown_options: tuple[str, ...] = ()
    expose: PlannedExpose | None = None
    exposure_known: bool = True
    location: Location | None = None
    config_location: Location | None = None
    model_field: str = "model_uuid"
    model_expression: str | None = None
    machines_field: str = "machines"
    machines_location: Location | None = None
    expose_location: Location | None = None
    expose_dynamic: bool = False


@dataclass(frozen=True, slots=True)
class PlannedIntegration:
    """A `juju_integration` between two applications of one model (cross-model ones place nothing)."""

    model: str  # PlannedModel.key
    applications: tuple[str, ...]  # application names in that model


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value a verdict depends on that the input cannot give: what, where, and why, in one line each."""

    subject: str  # `juju_application.x machines`, `module.subcluster for_each`
    reason: str
    location: Location | None = None


@dataclass
class JujuPlan:
    """Everything a Terraform input says about Juju: models, machines, applications, integrations."""

    input: str
    models: dict[str, PlannedModel] = field(default_factory=dict[str, PlannedModel])
    machines: list[PlannedMachine] = field(default_factory=list[PlannedMachine])
    applications: list[PlannedApplication] = field(default_factory=list[PlannedApplication])
    integrations: list[PlannedIntegration] = field(default_factory=list[PlannedIntegration])
    unresolved: list[Unresolved] = field(default_factory=list[Unresolved])
    machine_blocks: set[str] = field(default_factory=set[str])
    """Every `juju_machine` block per module instance (`module.x["a"].juju_machine.n`), instances or not:
    the names a new machine resource must not take."""


def split_comma_list(text: str | None) -> tuple[str, ...]:
    """The provider's split of `endpoints`, `cidrs` and `spaces`: on `,`, trimmed, empty items dropped.

    docs/juju-facts.md#terraform-provider (`splitCommaDelimitedList`).
    """
    if not text:
        return ()
    return tuple(item.strip() for item in text.split(",") if item.strip())
