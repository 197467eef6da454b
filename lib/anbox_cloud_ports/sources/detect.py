"""Which kind of document an input is, and which reader turns it into a Deployment.

A small ordered table: each kind has a test on the first document and a reader. The first test that
matches wins; a bundle is what is left, because a bundle's keys are the loosest (`juju-deployer`
files and fragments are bundles Juju refuses, and the bundle reader says why). A new input kind
(e.g. `juju show-unit`) is one `register` call: a test and a reader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..model import Deployment
from . import bundle, juju_status, show_unit
from .terraform import plan_json
from .yamlload import Parsed

Reader = Callable[[Parsed, Sequence[Parsed], Catalog, Profile], Deployment]
Test = Callable[[object], bool]


@dataclass(frozen=True)
class Kind:
    name: str
    test: Test
    read: Reader
    takes_overlays: bool = False


def _read_bundle(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile
) -> Deployment:
    return bundle.from_parsed(parsed, overlays, catalog=catalog, profile=profile)


def _read_status(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile
) -> Deployment:
    del overlays  # refused by `read` before this is called
    return juju_status.from_parsed(parsed, catalog=catalog, profile=profile)


def _read_show_unit(
    parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile
) -> Deployment:
    del overlays  # refused by `read` before this is called
    if len(parsed.documents) != 1:
        raise InputError(parsed.input, "juju show-unit prints one document, this has several")
    document = cast(Mapping[str, Any], parsed.documents[0])  # load_show_unit checks its shape itself
    return show_unit.load_show_unit(document, input=parsed.input, catalog=catalog, profile=profile)


def _read_plan(parsed: Parsed, overlays: Sequence[Parsed], catalog: Catalog, profile: Profile) -> Deployment:
    del overlays  # refused by `read` before this is called
    return plan_json.read_plan(parsed, catalog, profile)


BUNDLE = Kind("bundle", lambda _document: True, _read_bundle, takes_overlays=True)
STATUS = Kind("juju status", juju_status.looks_like_status, _read_status)
SHOW_UNIT = Kind("juju show-unit", show_unit.looks_like_show_unit, _read_show_unit)
TERRAFORM_PLAN = Kind("terraform plan JSON", plan_json.looks_like_plan, _read_plan)

# Tried in order; BUNDLE stays last as the catch-all.
KINDS: list[Kind] = [STATUS, SHOW_UNIT, TERRAFORM_PLAN, BUNDLE]


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
    return kind.read(parsed, overlays, catalog, profile)
