"""From the evaluated Juju resources of a root module to the `JujuPlan` both Terraform doors share.

The provider's facts this relies on (docs/juju-facts.md#terraform-provider): `machines` is a set of
machine ids, one unit per machine, and excludes `units`; without either, the provider plans one unit;
`expose` holds comma-separated strings; a resource names its model by `model_uuid` (provider 1.x and
later) or `model` (0.x, a name).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ...model import Location
from .declarations import ResourceDecl
from .evaluator import ResourceObject
from .instances import ModuleInstance, walk_instances
from .plan import (
    JujuPlan,
    PlannedApplication,
    PlannedExpose,
    PlannedIntegration,
    PlannedMachine,
    PlannedModel,
    Unresolved,
    split_comma_list,
)
from .syntax import Loc
from .values import TfSet, Unknown, first_unknown, is_number


def location(loc: Loc) -> Location:
    return Location(loc.file, loc.line)


Instance = tuple[ModuleInstance, ResourceDecl, ResourceObject]


class _Reader:
    def __init__(self, root: ModuleInstance, input: str) -> None:
        self.plan = JujuPlan(input)
        self.modules = list(walk_instances(root, self._unexpanded))

    def _unexpanded(self, address: str, reason: str, loc: Loc) -> None:
        self.plan.unresolved.append(
            Unresolved(address, f"cannot tell its instances: {reason}", location(loc))
        )

    def unknown(self, obj: ResourceObject, decl: ResourceDecl, field: str, value: Unknown) -> None:
        """Record that `field` of a resource instance is not known here, quoting its expression."""
        attr = decl.body.attributes.get(field)
        if attr is not None:
            reason = f"`{attr.expr.text}`: {value.reason}"
            where = location(attr.loc)
        else:
            reason = value.reason
            where = location(decl.loc)
        self.plan.unresolved.append(Unresolved(f"{obj.address} {field}", reason, where))

    def instances(self, rtype: str) -> Iterator[Instance]:
        for module in self.modules:
            for decl in module.config.resources.values():
                if decl.type != rtype:
                    continue
                if rtype == "juju_machine":
                    self.plan.machine_blocks.add(f"{module.prefix()}{decl.type}.{decl.name}")
                expansion = module.resource_expansion(decl)
                if expansion.unknown is not None:
                    address = f"{module.prefix()}{decl.type}.{decl.name}"
                    self._unexpanded(address, expansion.unknown.reason, decl.loc)
                    continue
                for key in expansion.keys:
                    yield module, decl, module.resource_instance(decl, key)

    def read(self) -> JujuPlan:
        for _, decl, obj in self.instances("juju_model"):
            self.model(decl, obj)
        for _, decl, obj in self.instances("juju_machine"):
            model = self.model_of(obj, decl)
            if model is not None:
                self.plan.machines.append(
                    PlannedMachine(
                        obj.address,
                        model,
                        location(decl.loc),
                        _model_field(decl),
                        decl.body.attributes[_model_field(decl)].expr.text,
                    )
                )
        for _, decl, obj in self.instances("juju_application"):
            app = self.application(decl, obj)
            if app is not None:
                self.plan.applications.append(app)
        for _, decl, obj in self.instances("juju_integration"):
            self.integration(decl, obj)
        return self.plan

    # -- models -----------------------------------------------------------------------------------

    def model(self, decl: ResourceDecl, obj: ResourceObject) -> None:
        name = obj.get("name")
        if isinstance(name, Unknown):
            self.unknown(obj, decl, "name", name)
        shown = name if isinstance(name, str) else obj.address
        self.plan.models[obj.address] = PlannedModel(obj.address, shown, location(decl.loc))

    def model_of(self, obj: ResourceObject, decl: ResourceDecl) -> str | None:
        """The key of the model a resource belongs to; None (and an Unresolved entry) if it cannot tell."""
        for field in ("model_uuid", "model"):
            if field not in decl.body.attributes:
                continue
            value = obj.get(field)
            if isinstance(value, str):
                return self._named_model(field, value)
            if isinstance(value, Unknown) and value.origin is not None:
                key = self._model_by_origin(value.origin.address, value.origin.attribute)
                if key is not None:
                    return key
            self.unknown(obj, decl, field, value if isinstance(value, Unknown) else Unknown("not a string"))
            return None
        self.plan.unresolved.append(Unresolved(f"{obj.address} model_uuid", "not set", location(decl.loc)))
        return None

    def _named_model(self, field: str, value: str) -> str:
        """A model the plan does not create, named by its uuid (1.x) or its name (0.x `model`)."""
        key = f"uuid:{value}" if field == "model_uuid" else f"name:{value}"
        for model in self.plan.models.values():
            if field == "model" and model.name == value:
                return model.key
        self.plan.models.setdefault(key, PlannedModel(key, value[:8] if field == "model_uuid" else value))
        return key

    def _model_by_origin(self, address: str, attribute: str) -> str | None:
        """`juju_model.x.uuid` is that model; `data.juju_model.x.uuid` is the model the data source names."""
        if address in self.plan.models and attribute in ("uuid", "name"):
            return address
        tail = address.rsplit("data.", 1)[-1] if "data." in address else ""
        if not tail.startswith("juju_model."):
            return None
        for module in self.modules:
            found = module.evaluated(address)
            if found is not None:
                name = found.get("name")
                if isinstance(name, str):
                    key = f"name:{name}"
                    for model in self.plan.models.values():
                        if model.name == name:
                            return model.key
                    self.plan.models.setdefault(key, PlannedModel(key, name))
                    return key
        return None

    # -- applications ------------------------------------------------------------------------------

    def application(self, decl: ResourceDecl, obj: ResourceObject) -> PlannedApplication | None:
        model = self.model_of(obj, decl)
        charm = self._charm(obj, decl)
        if model is None or charm is None:
            return None
        name = obj.get("name") if "name" in decl.body.attributes else charm
        if not isinstance(name, str):
            self.unknown(obj, decl, "name", name if isinstance(name, Unknown) else Unknown("not a string"))
            return None
        placed = self.machines(obj, decl)
        if placed is False:
            return None
        units = self.units(obj, decl, placed)
        if units is None:
            return None
        config, unknown_options = self.config(obj, decl)
        expose, exposure_known = self.expose(obj, decl)
        config_attr = decl.body.attributes.get("config")
        model_field = _model_field(decl)
        machines_field = "machines" if "machines" in decl.body.attributes else "placement"
        machines_attr = decl.body.attributes.get(machines_field)
        static = decl.body.blocks_of("expose")
        dynamic = [b for b in decl.body.blocks_of("dynamic") if b.labels == ("expose",)]
        expose_block = (static or dynamic or [None])[0]
        return PlannedApplication(
            address=obj.address,
            model=model,
            name=name,
            charm=charm,
            machines=placed,
            units=units,
            config=config,
            unknown_options=unknown_options,
            expose=expose,
            exposure_known=exposure_known,
            location=location(decl.loc),
            config_location=location(config_attr.loc) if config_attr is not None else None,
            model_field=model_field,
            model_expression=decl.body.attributes[model_field].expr.text,
            machines_field=machines_field,
            machines_location=location(machines_attr.loc) if machines_attr is not None else None,
            expose_location=location(expose_block.loc) if expose_block is not None else None,
            expose_dynamic=bool(dynamic) and not static,
        )

    def _charm(self, obj: ResourceObject, decl: ResourceDecl) -> str | None:
        blocks = obj.get("charm")
        first = blocks[0] if isinstance(blocks, list) and blocks else None
        name = first.get("name") if isinstance(first, dict) else None
        if isinstance(name, str):
            return name
        reason = name if isinstance(name, Unknown) else Unknown("no charm block with a name")
        self.unknown(obj, decl, "charm", reason)
        return None

    def machines(self, obj: ResourceObject, decl: ResourceDecl) -> tuple[str, ...] | Literal[False] | None:
        """The machine addresses (or `id:<n>` literals) of `machines`; None if unset; False if unknown.

        `juju_machine.x[*].machine_id` evaluates to unknowns whose origin is each machine: that is
        the placement, by address. Legacy 0.x `placement` is read the same way when known.
        """
        field = "machines" if "machines" in decl.body.attributes else "placement"
        if field not in decl.body.attributes:
            return None
        value = obj.get(field)
        if field == "placement" and isinstance(value, str):
            value = list(split_comma_list(value))
        if not isinstance(value, list | TfSet):
            self.unknown(obj, decl, field, value if isinstance(value, Unknown) else Unknown("not a list"))
            return False
        placed: list[str] = []
        for item in value:
            if (
                isinstance(item, Unknown)
                and item.origin is not None
                and item.origin.attribute == "machine_id"
            ):
                placed.append(item.origin.address)
            elif isinstance(item, str):
                placed.append(f"id:{item}")
            else:
                self.unknown(
                    obj, decl, field, item if isinstance(item, Unknown) else Unknown("not a machine id")
                )
                return False
        return tuple(dict.fromkeys(placed))

    def units(self, obj: ResourceObject, decl: ResourceDecl, placed: tuple[str, ...] | None) -> int | None:
        if placed is not None:
            return len(placed)
        if "units" not in decl.body.attributes:
            return 1  # the provider's plan: one unit (a subordinate's are its principals')
        value = obj.get("units")
        if is_number(value) and isinstance(value, int) and value >= 0:
            return value
        self.unknown(
            obj,
            decl,
            "units",
            value if isinstance(value, Unknown) else Unknown(f"not a unit count: {value!r}"),
        )
        return None

    def config(self, obj: ResourceObject, decl: ResourceDecl) -> tuple[dict[str, str], tuple[str, ...]]:
        value = obj.get("config") if "config" in decl.body.attributes else None
        if value is None:
            return {}, ()
        if not isinstance(value, dict):
            self.unknown(obj, decl, "config", value if isinstance(value, Unknown) else Unknown("not a map"))
            return {}, ("*",)
        known = {k: v for k, v in value.items() if isinstance(v, str)}
        unknown = tuple(sorted(k for k, v in value.items() if v is not None and not isinstance(v, str)))
        return known, unknown

    def expose(self, obj: ResourceObject, decl: ResourceDecl) -> tuple[PlannedExpose | None, bool]:
        value = obj.get("expose")
        if value is None or value == []:
            return None, True
        block = value[0] if isinstance(value, list) else value
        if not isinstance(block, dict) or first_unknown(block) is not None:
            found = first_unknown(value) or Unknown("not an expose block")
            self.unknown(obj, decl, "expose", found)
            return None, False
        parts: list[tuple[str, ...]] = []
        for field in ("endpoints", "cidrs", "spaces"):
            text = block.get(field)
            parts.append(split_comma_list(text if isinstance(text, str) else None))
        return PlannedExpose(*parts), True

    # -- integrations ------------------------------------------------------------------------------

    def integration(self, decl: ResourceDecl, obj: ResourceObject) -> None:
        model = self.model_of(obj, decl)
        blocks = obj.get("application")
        if model is None or not isinstance(blocks, list | TfSet):
            return
        names: list[str] = []
        for block in blocks:
            name = block.get("name") if isinstance(block, dict) else None
            if isinstance(name, str):
                names.append(name)
        if len(names) == 2:
            self.plan.integrations.append(PlannedIntegration(model, (names[0], names[1])))


def _model_field(decl: ResourceDecl) -> str:
    """The attribute that names the resource's model (`model_of` has found it set)."""
    return "model_uuid" if "model_uuid" in decl.body.attributes else "model"


def read_resources(root: ModuleInstance, input: str) -> JujuPlan:
    """Every Juju model, machine, application and integration the root module would create."""
    return _Reader(root, input).read()
