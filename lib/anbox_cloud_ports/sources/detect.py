"""Which kind of document an input is, and which reader turns it into a Deployment.

A small ordered table: each kind has a test on the first document and a reader. The first test that
matches wins; a bundle is what is left, because a bundle's keys are the loosest (`juju-deployer`
files and fragments are bundles Juju refuses, and the bundle reader says why). A new input kind
(e.g. `juju show-unit`) is one `register` call: a test and a reader.

Some documents are not a deployment on their own but complete a `juju status` dump with what it
does not say (`juju show-application`, `opened-ports` through `juju exec`, `juju spaces`): their kind
has a `complete` reader instead, whose result `apply`s itself to the status (sources.combine).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..model import Deployment
from .yamlload import Parsed

if TYPE_CHECKING:
    from .combine import Merger

Reader = Callable[[Parsed, Sequence[Parsed], Catalog, Profile], Deployment]
Test = Callable[[object], bool]


class Supplement(Protocol):
    """A parsed dump that completes a status Deployment (show-application, opened-ports, spaces)."""

    @property
    def input(self) -> str: ...

    def apply(self, merger: Merger) -> None: ...


class Kind(NamedTuple):
    """A document kind: a Deployment of its own (`read`) or what completes a status (`complete`)."""

    name: str
    test: Test
    read: Reader | None = None
    takes_overlays: bool = False
    complete: Callable[[Parsed], Supplement] | None = None


def _door(module: str, function: str) -> Callable[..., Any]:
    """A door module's function, imported when first called.

    Telling a JSON status apart imports only the tests tried before it and the status reader, not
    the YAML bundle reader or Terraform's.
    """

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module, __package__), function)(*args)

    call.__name__ = call.__qualname__ = function
    return call


def _read_bundle(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile
) -> Deployment:
    from . import bundle

    return bundle.from_parsed(parsed, overlays, catalog=catalog, profile=profile)


def _read_status(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile
) -> Deployment:
    del overlays  # refused by `read` before this is called
    from . import juju_status

    return juju_status.from_parsed(parsed, catalog=catalog, profile=profile)


def _read_show_unit(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile
) -> Deployment:
    del overlays  # refused by `read` before this is called
    from . import show_unit

    if len(parsed.documents) != 1:
        raise InputError(parsed.input, "juju show-unit prints one document, this has several")
    document = cast(Mapping[str, Any], parsed.documents[0])  # load_show_unit checks its shape itself
    return show_unit.load_show_unit(document, input=parsed.input, catalog=catalog, profile=profile)


def _read_plan(parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile) -> Deployment:
    del overlays  # refused by `read` before this is called
    from .terraform import plan_json

    return plan_json.read_plan(parsed, catalog, profile)


BUNDLE = Kind("bundle", lambda _document: True, _read_bundle, takes_overlays=True)
STATUS = Kind("juju status", _door(".juju_status", "looks_like_status"), _read_status)
SHOW_UNIT = Kind("juju show-unit", _door(".show_unit", "looks_like_show_unit"), _read_show_unit)
TERRAFORM_PLAN = Kind("terraform plan JSON", _door(".terraform.plan_json", "looks_like_plan"), _read_plan)
SHOW_APPLICATION = Kind(
    "juju show-application",
    _door(".show_application", "looks_like_show_application"),
    complete=_door(".show_application", "read"),
)
OPENED_PORTS = Kind(
    "juju exec opened-ports",
    _door(".opened_ports", "looks_like_exec"),
    complete=_door(".opened_ports", "read"),
)
SPACES = Kind("juju spaces", _door(".spaces", "looks_like_spaces"), complete=_door(".spaces", "read"))

# Tried in order; BUNDLE stays last as the catch-all. The dumps keyed by application or unit name come
# first: their tests look at every value, and an application may be called `model` or `spaces`.
KINDS: list[Kind] = [SHOW_APPLICATION, OPENED_PORTS, STATUS, SHOW_UNIT, TERRAFORM_PLAN, SPACES, BUNDLE]


def register(kind: Kind) -> None:
    """Add an input kind, tried before the bundle catch-all (and after kinds registered earlier)."""
    KINDS.insert(len(KINDS) - 1, kind)


def detect(parsed: Parsed) -> Kind:
    first = parsed.documents[0] if parsed.documents else None
    for kind in KINDS:
        if kind.test(first):
            return kind
    return BUNDLE  # pragma: no cover - BUNDLE's test accepts everything


def read(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile, kind: Kind | None = None
) -> Deployment:
    """Read `parsed` as `kind` (detected when None); overlays only apply to bundles."""
    kind = kind or detect(parsed)
    if overlays and not kind.takes_overlays:
        raise InputError(
            overlays[0].input, f"overlays apply to bundles, but {parsed.input} is a {kind.name} document"
        )
    if kind.read is None:
        raise InputError(
            parsed.input,
            f"a {kind.name} dump completes a juju status dump: give the status too "
            "(`anbox-ports check STATUS DUMP...`)",
        )
    return kind.read(parsed, overlays, catalog, profile)
