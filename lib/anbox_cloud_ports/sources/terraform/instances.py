"""Module instances: variables, locals, count/for_each expansion, resources and module calls, lazily.

A module directory is read once (`declarations`) and instantiated once per `count`/`for_each` key of
its call: `module.subcluster["a"]`. Each instance evaluates what is asked of it on demand and
remembers it; an in-progress set turns a reference cycle into an error instead of endless recursion.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import functions
from .declarations import (
    MISSING,
    RESOURCE_META,
    RESOURCE_META_BLOCKS,
    ModuleCall,
    ModuleConfig,
    ResourceDecl,
)
from .errors import ConfigError, EvalError, LimitError
from .evaluator import Evaluation, ResourceObject, Scope, definition_error
from .provider import SCHEMAS, ResourceSchema
from .syntax import Attribute, Block, Body, Loc, Variable
from .typeconv import ConversionError, TypeSpec, convert
from .values import Origin, TfSet, Unknown, Value, first_unknown, is_number, type_name


@dataclass
class Expansion:
    """The instance keys of a counted/for_each resource or module call (or why they are unknown)."""

    mode: str  # "single", "count" or "for_each"
    keys: list[int | str | None] = field(default_factory=list[int | str | None])
    each_values: dict[str, Value] = field(default_factory=dict[str, Value])
    unknown: Unknown | None = None


def instance_key(key: int | str | None) -> str:
    """Terraform's address suffix: `[0]`, `["a"]` or nothing."""
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key) + "]"


class ModuleInstance:
    """One instance of a module: the root, or `module.subcluster["a"]`.

    `call_args`/`parent_scope` are the arguments of the `module` block and the scope they
    are evaluated in (with `each`/`count` bound); the root gets `root_values` instead,
    already converted by `inputs`.
    """

    def __init__(
        self,
        ev: Evaluation,
        config: ModuleConfig,
        address: str,
        depth: int,
        *,
        root_values: dict[str, Value] | None = None,
        call: ModuleCall | None = None,
        parent_scope: Scope | None = None,
    ) -> None:
        self.ev = ev
        self.config = config
        self.address = address
        self.depth = depth
        self.root_values = root_values
        self.call = call
        self.parent_scope = parent_scope
        self.scope = Scope(self)
        self._vars: dict[str, Value] = {}
        self._locals: dict[str, Value] = {}
        self._expansions: dict[str, Expansion] = {}
        self._resources: dict[str, ResourceObject] = {}
        self._children: dict[str, ModuleInstance | Unknown] = {}
        self._outputs: dict[str, Value] = {}
        self._busy: set[str] = set()
        if call is not None:
            for name, attr in call.args.items():
                if name not in config.variables:
                    raise ConfigError(
                        f"{attr.loc}: unsupported argument {name!r}: module {call.name!r} ({config.rel}) declares no such variable"
                    )

    def evaluated(self, address: str) -> ResourceObject | None:
        """A resource or data source instance of this module, if something referred to it already."""
        return self._resources.get(address)

    def prefix(self) -> str:
        return self.address + "." if self.address else ""

    def _enter(self, key: str, where: str) -> None:
        if key in self._busy:
            raise ConfigError(f"{where}: cycle: {self.prefix()}{key} depends on itself")
        self._busy.add(key)

    # -- variables and locals -------------------------------------------------------------
    def var(self, name: str) -> Value:
        if name in self._vars:
            return self._vars[name]
        decl = self.config.variables.get(name)
        if decl is None:
            raise EvalError(f'reference to undeclared input variable "{name}"')
        if self.root_values is not None:
            value = self.root_values[name]
        else:
            self._enter("var." + name, str(decl.loc))
            try:
                value = self._module_input(name)
            finally:
                self._busy.discard("var." + name)
        self._vars[name] = value
        return value

    def _module_input(self, name: str) -> Value:
        decl = self.config.variables[name]
        if not (self.call is not None and self.parent_scope is not None):
            raise TypeError(
                "internal invariant broken: self.call is not None and self.parent_scope is not None"
            )
        attr = self.call.args.get(name)
        if attr is None:
            if decl.default is MISSING:
                raise ConfigError(
                    f"{self.call.loc}: missing required argument {name!r} for module {self.call.name!r}"
                )
            return decl.default_or_none()
        try:
            raw = self.ev.eval(attr.expr, self.parent_scope)
        except EvalError as exc:
            raise definition_error(
                exc, f"argument {name!r} of module {self.call.name!r}", attr.expr.text
            ) from None
        try:
            value = convert(raw, decl.type)
        except ConversionError as exc:
            raise ConfigError(
                f"{attr.loc}: invalid value for {self.address}.var.{name} (declared at {decl.loc}): {exc}"
            ) from None
        if value is None and not decl.nullable:
            value = decl.default_or_none()
        self._vars[name] = value
        self.validate(name, value, ConfigError, str(attr.loc))
        return value

    def validate(self, name: str, value: Value, error: type[Exception], where: str) -> None:
        """Run the variable's `validation` blocks; an unknown condition is not a failure."""
        decl = self.config.variables[name]
        for rule in decl.validations:
            try:
                ok = self.ev.eval(rule.condition, self.scope)
            except EvalError as exc:
                raise error(f"{where}: validation of var.{name} failed to evaluate: {exc}") from None
            if isinstance(ok, Unknown):
                continue
            if not functions.to_bool(ok, "validation condition"):
                try:
                    message = self.ev.eval(rule.error_message, self.scope)
                except EvalError:
                    message = rule.error_message.text
                prefix = f"{self.address}." if self.address else ""
                raise error(
                    f"{where}: invalid value for {prefix}var.{name}: {message} (validation rule at {rule.loc})"
                )

    def local(self, name: str) -> Value:
        if name in self._locals:
            return self._locals[name]
        attr = self.config.locals.get(name)
        if attr is None:
            raise EvalError(f'reference to undeclared local value "{name}"')
        self._enter("local." + name, str(attr.loc))
        try:
            value = self.ev.eval(attr.expr, self.scope)
        except EvalError as exc:
            raise definition_error(exc, f"local.{name}", attr.expr.text) from None
        finally:
            self._busy.discard("local." + name)
        self._locals[name] = value
        return value

    # -- expansion (count / for_each) -----------------------------------------------------
    def expansion(
        self, key: str, count: Attribute | None, for_each: Attribute | None, where: str
    ) -> Expansion:
        if key in self._expansions:
            return self._expansions[key]
        self._enter("expand." + key, where)
        try:
            exp = self._expand(count, for_each, f"{self.prefix()}{key}")
        finally:
            self._busy.discard("expand." + key)
        self._expansions[key] = exp
        if exp.unknown is None:
            self.ev.count_instances(len(exp.keys), where)
        return exp

    def _expand(self, count: Attribute | None, for_each: Attribute | None, address: str) -> Expansion:
        limit = self.ev.limits.max_count
        if count is not None:
            try:
                n = self.ev.eval(count.expr, self.scope)
            except EvalError as exc:
                raise definition_error(exc, f"count of {address}", count.expr.text) from None
            if isinstance(n, Unknown):
                return Expansion("count", unknown=Unknown(f"count of {address} is unknown ({n.reason})"))
            if n is None or not is_number(n) or isinstance(n, float) or n < 0:  # type: ignore[operator]
                raise ConfigError(
                    f"{count.loc}: invalid count for {address}: a whole number >= 0 is required, got {n!r}"
                )
            if n > limit:  # type: ignore[operator]
                raise LimitError(f"{count.loc}: count {n} of {address} exceeds the limit of {limit}")
            return Expansion("count", list(range(n)))  # type: ignore[arg-type]
        if for_each is not None:
            try:
                coll = self.ev.eval(for_each.expr, self.scope)
            except EvalError as exc:
                raise definition_error(exc, f"for_each of {address}", for_each.expr.text) from None
            if isinstance(coll, Unknown):
                return Expansion(
                    "for_each", unknown=Unknown(f"for_each of {address} is unknown ({coll.reason})")
                )
            if isinstance(coll, dict):
                items = {k: coll[k] for k in sorted(coll)}
            elif isinstance(coll, TfSet):
                u = first_unknown(list(coll))
                if u is not None:
                    return Expansion(
                        "for_each",
                        unknown=Unknown(f"for_each of {address} has unknown elements ({u.reason})"),
                    )
                if not all(isinstance(x, str) for x in coll):
                    raise ConfigError(
                        f"{for_each.loc}: for_each of {address} must be a map or a set of strings"
                    )
                items = {x: x for x in coll}  # type: ignore[misc]
            else:
                raise ConfigError(
                    f"{for_each.loc}: for_each of {address} must be a map, or set of strings, "
                    f"and you have provided a value of type {type_name(coll)}"
                )
            if len(items) > limit:
                raise LimitError(
                    f"{for_each.loc}: for_each of {address} has {len(items)} elements, over the limit of {limit}"
                )
            return Expansion("for_each", list(items), items)  # type: ignore[arg-type]
        return Expansion("single", [None])

    def instance_scope(self, exp: Expansion, key: int | str | None) -> Scope:
        if exp.mode == "count":
            return self.scope.child({"count": {"index": key}})
        if exp.mode == "for_each":
            if not (isinstance(key, str)):
                raise TypeError("internal invariant broken: isinstance(key, str)")
            return self.scope.child({"each": {"key": key, "value": exp.each_values[key]}})
        return self.scope

    # -- resources ------------------------------------------------------------------------
    def resource_expansion(self, decl: ResourceDecl) -> Expansion:
        key = f"{decl.type}.{decl.name}" if decl.mode == "managed" else f"data.{decl.type}.{decl.name}"
        return self.expansion(key, decl.count, decl.for_each, str(decl.loc))

    def resource_address(self, decl: ResourceDecl, key: int | str | None) -> str:
        base = f"{decl.type}.{decl.name}" if decl.mode == "managed" else f"data.{decl.type}.{decl.name}"
        return f"{self.prefix()}{base}{instance_key(key)}"

    def resource_value(self, rtype: str, name: str, *, data: bool = False) -> Value:
        """A resource (or data source) as a reference sees it: one object, a list, or a map of them."""
        table = self.config.data if data else self.config.resources
        decl = table.get(f"{rtype}.{name}")
        if decl is None:
            what = "data source" if data else "resource"
            raise EvalError(f'reference to undeclared {what} "{"data." if data else ""}{rtype}.{name}"')
        exp = self.resource_expansion(decl)
        if exp.unknown is not None:
            return exp.unknown
        if exp.mode == "single":
            return self.resource_instance(decl, None)
        if exp.mode == "count":
            return [self.resource_instance(decl, k) for k in exp.keys]
        return {k: self.resource_instance(decl, k) for k in exp.keys}  # type: ignore[misc]

    def resource_instance(self, decl: ResourceDecl, key: int | str | None) -> ResourceObject:
        address = self.resource_address(decl, key)
        if address in self._resources:
            return self._resources[address]
        exp = self.resource_expansion(decl)
        self._enter(address, str(decl.loc))
        try:
            scope = self.instance_scope(exp, key)
            # Data sources have schemas of their own, not known here: what they read stays unknown.
            schema = SCHEMAS.get(decl.type) if decl.mode == "managed" else None
            values = self.evaluate_body(
                decl.body, scope, address, schema, skip_attrs=RESOURCE_META, skip_blocks=RESOURCE_META_BLOCKS
            )
        finally:
            self._busy.discard(address)
        obj = ResourceObject(address, decl.type if decl.mode == "managed" else f"data.{decl.type}", values)
        self._resources[address] = obj
        return obj

    def evaluate_body(
        self,
        body: Body,
        scope: Scope,
        address: str,
        schema: ResourceSchema | None,
        *,
        skip_attrs: frozenset[str] = frozenset(),
        skip_blocks: frozenset[str] = frozenset(),
    ) -> dict[str, Value]:
        """A resource body as a value: attributes, nested blocks (`dynamic` expanded), computed ones."""
        out: dict[str, Value] = {}
        for name, attr in body.attributes.items():
            if name in skip_attrs:
                continue
            try:
                out[name] = self.ev.eval(attr.expr, scope)
            except EvalError as exc:
                raise definition_error(exc, f"{address}.{name}", attr.expr.text) from None
        blocks: dict[str, Value] = {}
        for block_type, value in self._blocks(body.blocks, scope, address, skip_blocks):
            if isinstance(blocks.get(block_type), Unknown):
                continue
            if isinstance(value, Unknown):
                blocks[block_type] = value
            else:
                blocks.setdefault(block_type, []).append(value)  # type: ignore[union-attr]
        if schema is not None:
            self._apply_schema(schema, body, address, out, blocks)
        out.update(blocks)
        return out

    def _apply_schema(
        self,
        schema: ResourceSchema,
        body: Body,
        address: str,
        out: dict[str, Value],
        blocks: dict[str, Value],
    ) -> None:
        """What Terraform does with the provider's schema before planning.

        Values are converted to its types, blocks shaped by their nesting, and what the configuration
        leaves unset filled in: computed attributes are unknown, the others take their defaults.
        """
        for name, spec in schema.types.items():
            if name in out:
                out[name] = self._convert_attr(out[name], spec, body.attributes.get(name), address, name)
        for block_type, block_schema in schema.blocks.items():
            items = blocks.get(block_type, [])
            if not isinstance(items, list):
                continue  # a dynamic block whose count is unknown stays unknown
            for item in items:
                assert isinstance(item, dict)  # noqa: S101 - _blocks yields a body's values as objects
                for attr_name in block_schema.attributes:
                    item.setdefault(attr_name, None)
                for name, spec in block_schema.types.items():
                    item[name] = self._convert_attr(item[name], spec, None, address, f"{block_type}.{name}")
            if block_schema.max_items is not None and len(items) > block_schema.max_items:
                raise ConfigError(
                    f"{address}: at most {block_schema.max_items} {block_type!r} block(s) allowed"
                )
            blocks[block_type] = (items[0] if items else None) if block_schema.nesting == "single" else items
        for attr_name in schema.attributes:
            if out.get(attr_name) is None and attr_name not in blocks:
                if attr_name in schema.computed:
                    out[attr_name] = Unknown(
                        f"{address}.{attr_name} is known only after apply", Origin(address, attr_name)
                    )
                else:
                    out[attr_name] = schema.defaults.get(attr_name)  # type: ignore[assignment]

    @staticmethod
    def _convert_attr(value: Value, spec: TypeSpec, attr: Attribute | None, address: str, name: str) -> Value:
        """The provider schema's type conversion, which Terraform applies before planning."""
        try:
            return convert(value, spec)
        except ConversionError as exc:
            where = f"{attr.loc}: " if attr is not None else ""
            raise ConfigError(
                f"{where}inappropriate value for attribute {name!r} of {address}: {exc}"
            ) from None

    def _blocks(
        self, blocks: tuple[Block, ...], scope: Scope, address: str, skip: frozenset[str]
    ) -> Iterator[tuple[str, Value]]:
        for block in blocks:
            if block.type in skip:
                continue
            if block.type != "dynamic":
                yield block.type, self.evaluate_body(block.body, scope, address, None)
                continue
            if len(block.labels) != 1:
                raise ConfigError(f"{block.loc}: a dynamic block needs one label (the block type)")
            label = block.labels[0]
            attrs = block.body.attributes
            contents = block.body.blocks_of("content")
            if "for_each" not in attrs or len(contents) != 1:
                raise ConfigError(f"{block.loc}: dynamic {label!r} needs for_each and one content block")
            iterator = label
            if "iterator" in attrs:
                it = attrs["iterator"].expr
                if not isinstance(it, Variable):
                    raise ConfigError(f"{attrs['iterator'].loc}: iterator must be a bare name")
                iterator = it.name
            try:
                coll = self.ev.eval(attrs["for_each"].expr, scope)
            except EvalError as exc:
                raise definition_error(
                    exc, f"dynamic {label!r} for_each in {address}", attrs["for_each"].expr.text
                ) from None
            if isinstance(coll, Unknown):
                yield label, Unknown(f"the number of {label!r} blocks of {address} is unknown: {coll.reason}")
                continue
            pairs: list[tuple[Value, Value]]
            if isinstance(coll, dict):
                pairs = [(k, coll[k]) for k in sorted(coll)]
            elif isinstance(coll, TfSet):
                pairs = [(v, v) for v in coll]
            elif isinstance(coll, list):
                pairs = list(enumerate(coll))  # type: ignore[arg-type]
            else:
                raise ConfigError(f"{attrs['for_each'].loc}: dynamic {label!r} for_each must be a collection")
            if len(pairs) > self.ev.limits.max_count:
                raise LimitError(
                    f"{attrs['for_each'].loc}: dynamic {label!r} has more than {self.ev.limits.max_count} blocks"
                )
            for k, v in pairs:
                inner = scope.child({iterator: {"key": k, "value": v}})
                yield label, self.evaluate_body(contents[0].body, inner, address, None)

    # -- module calls ---------------------------------------------------------------------
    def module_expansion(self, call: ModuleCall) -> Expansion:
        return self.expansion("module." + call.name, call.count, call.for_each, str(call.loc))

    def child(self, call: ModuleCall, key: int | str | None) -> ModuleInstance | Unknown:
        address = f"{self.prefix()}module.{call.name}{instance_key(key)}"
        if address in self._children:
            return self._children[address]
        source = call.source
        if not (source.startswith("./") or source.startswith("../")):
            result: ModuleInstance | Unknown = Unknown(
                f"{address}: module source {source!r} is not a local path; its contents are not evaluated"
            )
        else:
            if self.depth + 1 > self.ev.limits.max_module_depth:
                raise LimitError(f"{call.loc}: module nesting deeper than {self.ev.limits.max_module_depth}")
            directory = os.path.normpath(os.path.join(self.config.dir, source))
            if not os.path.isdir(directory):
                raise ConfigError(
                    f"{call.loc}: module {call.name!r}: source directory {source!r} does not exist"
                )
            exp = self.module_expansion(call)
            result = ModuleInstance(
                self.ev,
                self.ev.module_config(directory),
                address,
                self.depth + 1,
                call=call,
                parent_scope=self.instance_scope(exp, key),
            )
        self._children[address] = result
        return result

    def module_value(self, name: str) -> Value:
        call = self.config.module_calls.get(name)
        if call is None:
            raise EvalError(f'reference to undeclared module "{name}"')
        exp = self.module_expansion(call)
        if exp.unknown is not None:
            return exp.unknown

        def outputs(key: int | str | None) -> Value:
            inst = self.child(call, key)
            return inst if isinstance(inst, Unknown) else inst.outputs()

        if exp.mode == "single":
            return outputs(None)
        if exp.mode == "count":
            return [outputs(k) for k in exp.keys]
        return {k: outputs(k) for k in exp.keys}  # type: ignore[misc]

    def outputs(self) -> dict[str, Value]:
        return {name: self.output(name) for name in self.config.outputs}

    def output(self, name: str) -> Value:
        if name in self._outputs:
            return self._outputs[name]
        attr = self.config.outputs[name]
        self._enter("output." + name, str(attr.loc))
        try:
            value = self.ev.eval(attr.expr, self.scope)
        except EvalError as exc:
            raise definition_error(exc, f"output {name!r}", attr.expr.text) from None
        finally:
            self._busy.discard("output." + name)
        self._outputs[name] = value
        return value


def walk_instances(
    module: ModuleInstance, unexpanded: Callable[[str, str, Loc], None]
) -> Iterator[ModuleInstance]:
    """Every module instance, depth first from `module`; `unexpanded` hears those it cannot list."""
    yield module
    for call in module.config.module_calls.values():
        exp = module.module_expansion(call)
        if exp.unknown is not None:
            unexpanded(f"{module.prefix()}module.{call.name}", exp.unknown.reason, call.loc)
            continue
        for key in exp.keys:
            child = module.child(call, key)
            if isinstance(child, Unknown):
                unexpanded(f"{module.prefix()}module.{call.name}{instance_key(key)}", child.reason, call.loc)
            else:
                yield from walk_instances(child, unexpanded)


__all__ = ["Expansion", "ModuleInstance", "instance_key", "walk_instances"]
