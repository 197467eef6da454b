"""What the evaluator knows of the Juju provider's resource schemas (juju/juju ~> 1.3).

Why: a reference like `juju_machine.x[0].machine_id` must become "known after apply, from that
machine" rather than an error or a guess; that needs to know which attributes the provider
computes. Taken from terraform-provider-juju v1.3.1, `internal/provider/resource_*.go`
(`Schema` methods): "computed" lists the attributes that are Computed (read-only or
Optional+Computed), so they are unknown at plan time unless the configuration sets them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .typeconv import TypeSpec


@dataclass(frozen=True)
class BlockSchema:
    """A nested block: how it nests (list, set or single) and its computed attributes."""

    nesting: str
    attributes: frozenset[str]
    computed: frozenset[str] = frozenset()
    max_items: int | None = None
    types: dict[str, TypeSpec] = field(default_factory=dict[str, TypeSpec])


@dataclass(frozen=True)
class ResourceSchema:
    """A resource type: all attribute names, the computed ones, nested blocks, plan-time defaults."""

    attributes: frozenset[str]
    computed: frozenset[str]
    blocks: dict[str, BlockSchema] = field(default_factory=dict[str, BlockSchema])
    defaults: dict[str, object] = field(default_factory=dict[str, object])
    types: dict[str, TypeSpec] = field(default_factory=dict[str, TypeSpec])


def _s(*names: str) -> frozenset[str]:
    return frozenset(names)


_STR = TypeSpec("string")
_NUM = TypeSpec("number")
_BOOL = TypeSpec("bool")
_MAP_STR = TypeSpec("map", _STR)
_SET_STR = TypeSpec("set", _STR)


def _t(strings: str = "", **others: TypeSpec) -> dict[str, TypeSpec]:
    """Attribute types of the provider schema.

    Terraform converts configuration values to them (`false` -> `"false"` in a
    `map(string)`) before the provider, and the plan, see them.
    """
    out = {name: _STR for name in strings.split()}
    out.update(others)
    return out


SCHEMAS: dict[str, ResourceSchema] = {
    "juju_model": ResourceSchema(
        _s("name", "uuid", "config", "annotations", "constraints", "credential", "type", "id", "target_controller"),
        _s("uuid", "credential", "type", "id"),
        {"cloud": BlockSchema("list", _s("name", "region"), _s("region"), types=_t("name region"))},
        types=_t("name constraints credential target_controller", config=_MAP_STR, annotations=_MAP_STR),
    ),
    "juju_machine": ResourceSchema(
        _s(
            "annotations", "name", "model_uuid", "constraints", "disks", "base", "placement", "machine_id",
            "ssh_address", "public_key_file", "private_key_file", "hostname", "wait_for_hostname", "id",
        ),
        _s("name", "base", "machine_id", "hostname", "id"),
        {"timeouts": BlockSchema("single", _s("create"))},
        types=_t(
            "name model_uuid constraints disks base placement ssh_address public_key_file private_key_file",
            annotations=_MAP_STR,
            wait_for_hostname=_BOOL,
        ),
    ),
    "juju_application": ResourceSchema(
        _s(
            "name", "machines", "model_uuid", "model_type", "units", "config", "constraints",
            "storage_directives", "storage", "trust", "id", "endpoint_bindings", "registry_credentials",
            "resources",
        ),
        _s("name", "machines", "model_type", "units", "constraints", "storage", "id"),
        {
            "charm": BlockSchema(
                "list", _s("name", "channel", "revision", "base"), _s("channel", "revision", "base"), 1,
                _t("name channel base", revision=_NUM),
            ),
            "expose": BlockSchema("list", _s("endpoints", "spaces", "cidrs"), max_items=1, types=_t("endpoints spaces cidrs")),
        },
        {"trust": False},
        _t(
            "name model_uuid constraints",
            machines=_SET_STR, units=_NUM, config=_MAP_STR, storage_directives=_MAP_STR, trust=_BOOL, resources=_MAP_STR,
        ),
    ),
    "juju_integration": ResourceSchema(
        _s("model_uuid", "via", "id"),
        _s("id"),
        {
            "application": BlockSchema(
                "set", _s("name", "endpoint", "offer_url", "offering_controller"), _s("name", "endpoint"),
                types=_t("name endpoint offer_url offering_controller"),
            )
        },
        types=_t("model_uuid via"),
    ),
    "juju_offer": ResourceSchema(
        _s("model_uuid", "name", "application_name", "endpoints", "url", "id"),
        _s("name", "url", "id"),
        types=_t("model_uuid name application_name", endpoints=_SET_STR),
    ),
    "juju_ssh_key": ResourceSchema(_s("model_uuid", "payload", "id"), _s("id"), types=_t("model_uuid payload")),
}  # fmt: skip
