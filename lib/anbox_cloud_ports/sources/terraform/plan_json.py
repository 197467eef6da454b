"""`terraform show -json PLANFILE` as a `JujuPlan`: the exact form, for users who can run `terraform plan`.

Terraform has expanded every `count`, `for_each` and module and evaluated every expression; the
values known before apply are in `resource_changes[].change.after`, the unknown ones are marked in
`after_unknown` (format 1.2 of Terraform's JSON output, "Plan Representation"). A machine's id is
unknown, so `machines` holds one unknown per machine and only `configuration` says where they come
from: the expression's `references` (`juju_machine.controller_node[0].machine_id`,
`juju_machine.controller_node`, `var.machines`, `module.db.machine_ids`), which this reader follows
through module calls and outputs to the `juju_machine` instances of the plan. References it cannot
follow (locals, `each`, data sources: the JSON keeps no values for them) are reported, not guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ...catalog import Catalog, Profile
from ...errors import InputError
from ...model import Deployment, Location
from ...text import hcl_string
from ..yamlload import Parsed, as_mapping, as_sequence
from .build import build
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

PLAN_HINT = (
    "give the value in the configuration, or check the root module directory instead "
    "(`anbox-ports check DIR --var-file FILE`), which follows what a plan JSON only names"
)

# `"address": "module.x[\"a\"].juju_machine.n[0]"`: where each resource sits in the JSON text.
_ADDRESS_KEY = re.compile(r'"address"\s*:\s*"((?:[^"\\]|\\.){1,1000})"')
_MAX_REFERENCE_DEPTH = 16
# The actions under which a resource exists after apply (a plain "delete" is going away).
_KEPT = frozenset({"create", "update", "no-op", "read"})


def looks_like_plan(document: object) -> bool:
    """`terraform show -json` of a saved plan: a format version and planned values or resource changes."""
    top = as_mapping(document)
    return (
        top is not None and "format_version" in top and ("resource_changes" in top or "planned_values" in top)
    )


class _Module:
    """One module instance's configuration (the `module` of its call), addressed as Terraform does."""

    def __init__(self, address: str, config: Mapping[str, Any], parent: _Module | None, call: str) -> None:
        self.address = address
        self.config = config
        self.parent = parent
        self.call = call  # the name of the module call that made it ("" for the root)

    def prefix(self) -> str:
        return f"{self.address}." if self.address else ""

    def resource(self, rtype: str, name: str) -> Mapping[str, Any]:
        for resource in _list(self.config.get("resources")):
            item = as_mapping(resource)
            if item is not None and item.get("address") == f"{rtype}.{name}":
                return item
        return {}

    def call_config(self, name: str) -> Mapping[str, Any]:
        return as_mapping(as_mapping(self.config.get("module_calls") or {}) or {}).get(name) or {}  # type: ignore[return-value]


def _list(value: object) -> Sequence[Any]:
    return as_sequence(value) or ()


def _map(value: object) -> Mapping[str, Any]:
    return as_mapping(value) or {}


def split_module_address(address: str) -> list[tuple[str, str]]:
    """`module.a["x.y"].module.b[0]` as `[("a", '["x.y"]'), ("b", "[0]")]`; keys may hold dots."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(address):
        match = re.compile(r"module\.([A-Za-z0-9_-]+)").match(address, i)
        if match is None:
            raise ValueError(address)
        i = match.end()
        key = ""
        if address.startswith("[", i):
            end = _key_end(address, i)
            key = address[i : end + 1]
            i = end + 1
        parts.append((match.group(1), key))
        if i < len(address):
            if address[i] != ".":
                raise ValueError(address)
            i += 1
    return parts


def _key_end(text: str, start: int) -> int:
    """The index of the `]` closing the instance key that opens at `start` (a number or a JSON string)."""
    if text.startswith('["', start):
        i = start + 2
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == '"':
                if text.startswith('"]', i):
                    return i + 1
                break
            i += 1
        raise ValueError(text)
    end = text.find("]", start)
    if end < 0 or not text[start + 1 : end].isdigit():
        raise ValueError(text)
    return end


class _PlanReader:
    def __init__(self, parsed: Parsed) -> None:
        self.input = parsed.input
        self.plan = JujuPlan(parsed.input)
        # `terraform show -json` writes one line: a line number says something only in a reformatted file.
        multiline = parsed.is_json and "\n" in parsed.text.strip()
        self.lines = parsed.json_key_lines(_ADDRESS_KEY) if multiline else {}
        top = as_mapping(parsed.documents[0])
        assert top is not None  # noqa: S101 - detection chose this reader because it is a mapping
        self.top = top
        self.root = _Module("", _map(_map(top.get("configuration")).get("root_module")), None, "")
        self.modules: dict[str, _Module] = {"": self.root}
        # (module address, type, name) -> instance addresses, in the plan's order
        self.instances: dict[tuple[str, str, str], list[str]] = {}
        self.changes: list[Mapping[str, Any]] = []

    def error(self, problem: str) -> InputError:
        return InputError(self.input, problem)

    def location(self, address: str) -> Location:
        return Location(self.input, self._line(address))

    def _line(self, address: str) -> int | None:
        escaped = json.dumps(address)[1:-1]
        return self.lines.get(escaped)

    def module(self, address: str) -> _Module:
        """The configuration of a module instance, by its address (instance keys dropped)."""
        found = self.modules.get(address)
        if found is not None:
            return found
        try:
            parts = split_module_address(address)
        except ValueError:
            raise self.error(f"module address {address!r} is not one Terraform writes") from None
        current = self.root
        walked = ""
        for name, key in parts:
            walked = f"{walked}.module.{name}{key}" if walked else f"module.{name}{key}"
            child = self.modules.get(walked)
            if child is None:
                call = current.call_config(name)
                child = _Module(walked, _map(_map(call).get("module")), current, name)
                self.modules[walked] = child
            current = child
        return current

    # -- reading ----------------------------------------------------------------------------------

    def read(self) -> JujuPlan:
        changes = as_sequence(self.top.get("resource_changes"))
        if changes is None:
            raise self.error("resource_changes is not a list: not `terraform show -json` of a plan")
        for raw in changes:
            change = as_mapping(raw)
            if change is None or not self._kept(change):
                continue
            key = (str(change.get("module_address") or ""), str(change.get("type")), str(change.get("name")))
            self.instances.setdefault(key, []).append(str(change.get("address")))
            self.changes.append(change)
        self._machine_blocks()
        for rtype, read in (
            ("juju_model", self.model),
            ("juju_machine", self.machine),
            ("juju_application", self.application),
            ("juju_integration", self.integration),
        ):
            for change in self.changes:
                if change.get("type") == rtype and change.get("mode", "managed") == "managed":
                    read(change)
        return self.plan

    def _machine_blocks(self) -> None:
        """Every `juju_machine` block of each module instance the plan has, with instances or not."""
        for address in sorted({m for (m, _, _) in self.instances} | {""}):
            try:
                module = self.module(address)
            except InputError:
                continue  # reported where a resource of it is read
            for resource in _list(module.config.get("resources")):
                item = _map(resource)
                if item.get("type") == "juju_machine" and item.get("mode", "managed") == "managed":
                    self.plan.machine_blocks.add(f"{module.prefix()}juju_machine.{item.get('name')}")

    def _kept(self, change: Mapping[str, Any]) -> bool:
        body = as_mapping(change.get("change"))
        if body is None or change.get("deposed") or not isinstance(change.get("address"), str):
            return False
        actions = {str(a) for a in _list(body.get("actions"))}
        return bool(actions & _KEPT) and isinstance(body.get("after"), Mapping)

    @staticmethod
    def after(change: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        body = _map(change.get("change"))
        unknown = body.get("after_unknown")
        return _map(body.get("after")), _map(unknown) if not isinstance(unknown, bool) else {}

    def expressions(self, change: Mapping[str, Any]) -> Mapping[str, Any]:
        module = self.module(str(change.get("module_address") or ""))
        return _map(module.resource(str(change.get("type")), str(change.get("name"))).get("expressions"))

    def unresolved(self, change: Mapping[str, Any], field: str, reason: str) -> None:
        address = str(change.get("address"))
        self.plan.unresolved.append(Unresolved(f"{address} {field}", reason, self.location(address)))

    # -- models and machines ------------------------------------------------------------------------

    def model(self, change: Mapping[str, Any]) -> None:
        address = str(change.get("address"))
        after, _ = self.after(change)
        name = after.get("name")
        if not isinstance(name, str):
            self.unresolved(change, "name", "not known before apply")
            name = address
        self.plan.models[address] = PlannedModel(address, name, self.location(address))

    def model_of(self, change: Mapping[str, Any], *, report: bool = True) -> str | None:
        after, _ = self.after(change)
        uuid, legacy = after.get("model_uuid"), after.get("model")
        if isinstance(uuid, str) or isinstance(legacy, str):
            field, value = ("model_uuid", uuid) if isinstance(uuid, str) else ("model", legacy)
            assert isinstance(value, str)  # noqa: S101 - one of the two is a string here
            return self._named_model(field, value)
        field = "model" if "model" in self.expressions(change) else "model_uuid"
        targets = self.targets(change, field, "juju_model")
        if targets is not None and len(set(targets)) == 1 and targets[0] in self.plan.models:
            return targets[0]
        if report:
            self.unresolved(change, field, "its model cannot be told from the plan's references")
        return None

    def _named_model(self, field: str, value: str) -> str:
        for model in self.plan.models.values():
            if field == "model" and model.name == value:
                return model.key
        key = f"uuid:{value}" if field == "model_uuid" else f"name:{value}"
        self.plan.models.setdefault(key, PlannedModel(key, value[:8] if field == "model_uuid" else value))
        return key

    def model_field(self, change: Mapping[str, Any]) -> str:
        """`model` (provider 0.x) where the resource sets it, else `model_uuid`."""
        after, _ = self.after(change)
        return (
            "model"
            if isinstance(after.get("model"), str) or "model" in self.expressions(change)
            else "model_uuid"
        )

    def model_expression(self, change: Mapping[str, Any], field: str) -> str | None:
        """The model reference as the configuration writes it: a constant, or the reference it names."""
        expression = _map(self.expressions(change).get(field))
        constant = expression.get("constant_value")
        if isinstance(constant, str):
            return hcl_string(constant)
        refs = _most_specific([str(r) for r in _list(expression.get("references"))])
        return refs[0] if len(refs) == 1 else None

    def machine(self, change: Mapping[str, Any]) -> None:
        model = self.model_of(change)
        if model is not None:
            address = str(change.get("address"))
            field = self.model_field(change)
            self.plan.machines.append(
                PlannedMachine(
                    address, model, self.location(address), field, self.model_expression(change, field)
                )
            )

    # -- references ---------------------------------------------------------------------------------

    def targets(self, change: Mapping[str, Any], field: str, rtype: str) -> list[str] | None:
        """The `rtype` instances the references of `field` lead to; None if one cannot be followed."""
        refs = _list(_map(self.expressions(change).get(field)).get("references"))
        module = self.module(str(change.get("module_address") or ""))
        return self._follow(module, [str(r) for r in refs], rtype, 0)

    def _follow(self, module: _Module, refs: list[str], rtype: str, depth: int) -> list[str] | None:
        if depth > _MAX_REFERENCE_DEPTH:
            return None
        found: list[str] = []
        for ref in _most_specific(refs):
            if ref.startswith(rtype + "."):
                found.extend(self._resource_instances(module, ref[len(rtype) + 1 :], rtype))
            elif ref.startswith("module."):
                more = self._through_output(module, ref, rtype, depth)
                if more is None:
                    return None
                found.extend(more)
            elif ref.startswith("var.") and module.parent is not None:
                call = module.parent.call_config(module.call)
                expression = _map(_map(call.get("expressions")).get(ref[4:].split(".", 1)[0]))
                more = self._follow(
                    module.parent, [str(r) for r in _list(expression.get("references"))], rtype, depth + 1
                )
                if more is None:
                    return None
                found.extend(more)
            else:
                return None  # locals, each, count, data sources: the JSON keeps no values to follow
        return list(dict.fromkeys(found))

    def _resource_instances(self, module: _Module, rest: str, rtype: str) -> list[str]:
        match = re.match(r"([A-Za-z0-9_-]+)(\[[^\]]+\])?", rest)
        if match is None:
            return []
        base = f"{module.prefix()}{rtype}.{match.group(1)}"
        if match.group(2):
            return [base + match.group(2)]
        return list(self.instances.get((module.address, rtype, match.group(1)), ()))

    def _through_output(self, module: _Module, ref: str, rtype: str, depth: int) -> list[str] | None:
        """`module.NAME[KEY].OUTPUT`: the output's references, in each instance of that module call."""
        match = re.match(r"module\.([A-Za-z0-9_-]+)((?:\[[^\]]+\])?)(?:\.([A-Za-z0-9_-]+))?", ref)
        if match is None or match.group(3) is None:
            return None
        name, key, output = match.groups()
        call = _map(module.call_config(name).get("module"))
        expression = _map(_map(_map(call.get("outputs")).get(output)).get("expression"))
        refs = [str(r) for r in _list(expression.get("references"))]
        prefix = f"{module.prefix()}module.{name}"
        children = [
            a for a in self._module_instances() if a == prefix + key or (not key and _instance_of(a, prefix))
        ]
        found: list[str] = []
        for child in children:
            more = self._follow(self.module(child), refs, rtype, depth + 1)
            if more is None:
                return None
            found.extend(more)
        return found

    def _module_instances(self) -> set[str]:
        return {m for (m, _, _) in self.instances if m}

    # -- applications and integrations -------------------------------------------------------------

    def application(self, change: Mapping[str, Any]) -> None:
        address = str(change.get("address"))
        after, unknown = self.after(change)
        model = self.model_of(change)
        charm_block = _map((_list(after.get("charm")) or [{}])[0])
        charm, name = charm_block.get("name"), after.get("name")
        if not isinstance(charm, str):
            self.unresolved(change, "charm", "its charm's name is not known before apply")
        if not isinstance(name, str):
            self.unresolved(change, "name", "not known before apply")
        machines = self.machines(change, after, unknown)
        units = self.units(change, after, machines)
        if (
            model is None
            or not isinstance(charm, str)
            or not isinstance(name, str)
            or machines is False
            or units is None
        ):
            return
        expose, exposure_known = self.expose(change, after, unknown)
        config, unknown_options = self.config(after, unknown)
        model_field = self.model_field(change)
        expressions = self.expressions(change)
        self.plan.applications.append(
            PlannedApplication(
                address=address,
                model=model,
                name=name,
                charm=charm,
                machines=machines,
                units=units,
                config=config,
                unknown_options=unknown_options,
                expose=expose,
                exposure_known=exposure_known,
                location=self.location(address),
                model_field=model_field,
                model_expression=self.model_expression(change, model_field),
                machines_field="machines",
                # `terraform show -json` keeps no dynamic block in the configuration, only its result.
                expose_dynamic=expose is not None and "expose" not in expressions,
            )
        )

    def machines(
        self, change: Mapping[str, Any], after: Mapping[str, Any], unknown: Mapping[str, Any]
    ) -> tuple[str, ...] | Literal[False] | None:
        """Machine addresses and `id:` literals, None when not placed, False when it cannot tell."""
        if "machines" not in self.expressions(change):
            return None  # not configured: the provider computes it after apply
        value, marks = after.get("machines"), unknown.get("machines")
        if marks is True:
            self.unresolved(change, "machines", "not known before apply, not even how many")
            return False
        if value is None:
            return None
        items = _list(value)
        flags = _list(marks)
        literal = [f"id:{v}" for v in items if isinstance(v, str)]
        pending = sum(1 for i, v in enumerate(items) if v is None and i < len(flags) and flags[i] is True)
        if not pending:
            return tuple(literal)
        targets = self.targets(change, "machines", "juju_machine")
        if targets is None or len(targets) != pending:
            told = "" if targets is None else f" (its references lead to {len(targets)} machines)"
            self.unresolved(change, "machines", f"cannot tell which {pending} machines it is placed on{told}")
            return False
        return (*targets, *literal)

    def units(
        self, change: Mapping[str, Any], after: Mapping[str, Any], machines: tuple[str, ...] | bool | None
    ) -> int | None:
        if isinstance(machines, tuple):
            return len(machines)
        value = after.get("units")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if "units" not in self.expressions(change):
            return 1  # not configured: the provider plans one unit (a subordinate's are its principals')
        self.unresolved(change, "units", "not known before apply")
        return None

    def expose(
        self, change: Mapping[str, Any], after: Mapping[str, Any], unknown: Mapping[str, Any]
    ) -> tuple[PlannedExpose | None, bool]:
        blocks, marks = _list(after.get("expose")), unknown.get("expose")
        if marks is True or any(v is True for m in _list(marks) for v in _map(m).values()):
            self.unresolved(change, "expose", "the expose block is not known before apply")
            return None, False
        if not blocks:
            return None, True
        block = _map(blocks[0])
        parts = [
            split_comma_list(v if isinstance(v, str) else None)
            for v in (block.get(k) for k in ("endpoints", "cidrs", "spaces"))
        ]
        return PlannedExpose(*parts), True

    @staticmethod
    def config(
        after: Mapping[str, Any], unknown: Mapping[str, Any]
    ) -> tuple[dict[str, str], tuple[str, ...]]:
        marks = unknown.get("config")
        if marks is True:
            return {}, ("*",)
        known = {str(k): v for k, v in _map(after.get("config")).items() if isinstance(v, str)}
        return known, tuple(sorted(str(k) for k, v in _map(marks).items() if v is True))

    def integration(self, change: Mapping[str, Any]) -> None:
        after, _ = self.after(change)
        names = [b.get("name") for b in (_map(x) for x in _list(after.get("application")))]
        local = [n for n in names if isinstance(n, str)]
        if len(local) != 2:
            return  # a cross-model integration (an offer URL on one side) places no unit
        model = self.model_of(change, report=False)
        if model is not None:
            self.plan.integrations.append(PlannedIntegration(model, (local[0], local[1])))


def _most_specific(refs: list[str]) -> list[str]:
    """Terraform lists `x[0].machine_id`, `x[0]` and `x` for one reference: keep the longest of each."""
    return [
        r for r in refs if not any(o != r and (o.startswith(r + ".") or o.startswith(r + "[")) for o in refs)
    ]


def _instance_of(address: str, call: str) -> bool:
    """Whether `address` is an instance of the module call `call` (`call`, `call[0]`, `call["a"]`)."""
    return address == call or (
        address.startswith(call + "[") and "." not in address[len(call) :].split("]", 1)[1]
    )


def plan_of(parsed: Parsed) -> JujuPlan:
    """What a plan JSON document (already detected) deploys into Juju, before it is placed."""
    if len(parsed.documents) != 1:
        raise InputError(parsed.input, "`terraform show -json` prints one document, this has several")
    return _PlanReader(parsed).read()


def read_plan(parsed: Parsed, catalog: Catalog, profile: Profile) -> Deployment:
    """A plan JSON document (already detected) as a Deployment."""
    return build(plan_of(parsed), catalog, profile, PLAN_HINT)
