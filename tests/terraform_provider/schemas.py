"""The Juju provider's schemas (juju/juju v1.3.1) as data for the stand-in provider.

Why a stand-in: the real provider cannot be downloaded here, and ``terraform plan`` needs a
provider to produce the ``terraform show -json`` document. Terraform only asks a provider for its
schema and for a planned state; the plan JSON's shape comes from Terraform itself. So the schemas
must match the real provider's attribute names, types and required/optional/computed flags;
they were transcribed from terraform-provider-juju v1.3.1 ``internal/provider/resource_*.go``
(``Schema`` methods) and ``provider.go``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

STRING = "string"
NUMBER = "number"
BOOL = "bool"
MAP_STRING: list[object] = ["map", "string"]
SET_STRING: list[object] = ["set", "string"]


@dataclass(frozen=True)
class Attr:
    """One attribute: cty type (or nested attributes), and its flags."""

    name: str
    type: object = STRING
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    nested: tuple[Attr, ...] = ()
    nesting: str = ""  # for nested attributes: "set", "map", "list", "single"
    default: object = None  # plan-time default of an Optional+Computed attribute with a Default

    def type_json(self) -> bytes:
        return json.dumps(self.type).encode()


@dataclass(frozen=True)
class BlockType:
    """A nested block: nesting mode, its attributes, item limits."""

    name: str
    nesting: str  # "list", "set", "single"
    attrs: tuple[Attr, ...]
    max_items: int = 0


@dataclass(frozen=True)
class ResourceType:
    """A resource type's schema version, attributes and blocks."""

    version: int
    attrs: tuple[Attr, ...]
    blocks: tuple[BlockType, ...] = field(default=())


def req(name: str, t: object = STRING) -> Attr:
    return Attr(name, t, required=True)


def opt(name: str, t: object = STRING, **kw: object) -> Attr:
    return Attr(name, t, optional=True, **kw)  # type: ignore[arg-type]


def optc(name: str, t: object = STRING, **kw: object) -> Attr:
    return Attr(name, t, optional=True, computed=True, **kw)  # type: ignore[arg-type]


def comp(name: str, t: object = STRING) -> Attr:
    return Attr(name, t, computed=True)


PROVIDER = ResourceType(
    0,
    (
        opt("controller_mode", BOOL),
        opt("controller_addresses"),
        opt("username"),
        opt("password", sensitive=True),
        opt("client_id"),
        opt("client_secret", sensitive=True),
        opt("ca_certificate"),
        opt("skip_failed_deletion", BOOL),
        Attr(
            "offering_controllers",
            optional=True,
            nesting="map",
            nested=(
                req("controller_addresses"),
                opt("username"),
                opt("password", sensitive=True),
                opt("ca_certificate"),
                opt("client_id"),
                opt("client_secret", sensitive=True),
            ),
        ),
    ),
)

RESOURCES: dict[str, ResourceType] = {
    "juju_model": ResourceType(
        0,
        (
            req("name"),
            comp("uuid"),
            opt("config", MAP_STRING),
            opt("annotations", MAP_STRING),
            opt("constraints"),
            optc("credential"),
            comp("type"),
            comp("id"),
            opt("target_controller"),
        ),
        (BlockType("cloud", "list", (req("name"), optc("region"))),),
    ),
    "juju_machine": ResourceType(
        1,
        (
            opt("annotations", MAP_STRING),
            optc("name"),
            req("model_uuid"),
            opt("constraints"),
            opt("disks"),
            optc("base"),
            opt("placement"),
            comp("machine_id"),
            opt("ssh_address"),
            opt("public_key_file"),
            opt("private_key_file"),
            comp("hostname"),
            opt("wait_for_hostname", BOOL),
            comp("id"),
        ),
        (BlockType("timeouts", "single", (opt("create"),)),),
    ),
    "juju_application": ResourceType(
        1,
        (
            optc("name"),
            optc("machines", SET_STRING),
            req("model_uuid"),
            comp("model_type"),
            optc("units", NUMBER),
            opt("config", MAP_STRING),
            optc("constraints"),
            opt("storage_directives", MAP_STRING),
            Attr(
                "storage",
                computed=True,
                nesting="set",
                nested=(comp("label"), comp("size"), comp("pool"), comp("count", NUMBER)),
            ),
            optc("trust", BOOL, default=False),
            comp("id"),
            Attr("endpoint_bindings", optional=True, nesting="set", nested=(opt("endpoint"), req("space"))),
            Attr(
                "registry_credentials",
                optional=True,
                nesting="map",
                nested=(req("username"), Attr("password", required=True, sensitive=True)),
            ),
            opt("resources", MAP_STRING),
        ),
        (
            BlockType(
                "charm", "list", (req("name"), optc("channel"), optc("revision", NUMBER), optc("base")), 1
            ),
            BlockType("expose", "list", (opt("endpoints"), opt("spaces"), opt("cidrs")), 1),
        ),
    ),
    "juju_integration": ResourceType(
        1,
        (req("model_uuid"), opt("via"), comp("id")),
        (
            BlockType(
                "application",
                "set",
                (optc("name"), optc("endpoint"), opt("offer_url"), opt("offering_controller")),
            ),
        ),
    ),
    "juju_offer": ResourceType(
        2,
        (
            req("model_uuid"),
            optc("name"),
            req("application_name"),
            Attr("endpoints", SET_STRING, required=True),
            comp("url"),
            comp("id"),
        ),
    ),
    "juju_ssh_key": ResourceType(1, (req("model_uuid"), req("payload"), comp("id"))),
}
