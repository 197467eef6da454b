"""The model's types as the type checker reads them.

model.py, catalog.py and findings.py are imported by every `anbox-ports` run, so they do without
`from __future__ import annotations`: a NamedTuple then takes its field types as objects instead of
compiling a ForwardRef per field. The few names only the type checker imports stay quoted; these
tests resolve every annotation, so a quoted name that no longer exists fails here, not in pyright alone.
"""

import typing
from types import ModuleType

import pytest

from anbox_cloud_ports import catalog, findings, model

_MODULES = (model, catalog, findings)
_NAMES = {**vars(model), **vars(catalog), **vars(findings)}


def _classes(module: ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("module", _MODULES, ids=lambda m: m.__name__)
def test_every_named_tuple_field_resolves_to_a_type(module: ModuleType) -> None:
    tuples = [cls for cls in _classes(module) if issubclass(cls, tuple)]
    assert tuples
    for cls in tuples:
        hints = typing.get_type_hints(cls, localns=_NAMES)
        assert tuple(hints) == getattr(cls, "_fields"), cls  # noqa: B009 - not on every tuple type


def test_quoted_fields_name_the_types_the_checker_sees() -> None:
    assert typing.get_type_hints(model.Claim, localns=_NAMES)["row"] == catalog.CatalogRow | None
    assert typing.get_type_hints(model.Deployment, localns=_NAMES)["profile"] == catalog.Profile


def test_only_the_quoted_fields_are_left_to_resolve() -> None:
    """The rest are evaluated once, when the module is imported: no ForwardRef to compile for them."""
    postponed = {
        (cls.__name__, field)
        for module in _MODULES
        for cls in _classes(module)
        for field, kind in vars(cls).get("__annotations__", {}).items()
        if isinstance(kind, (str, typing.ForwardRef))
    }
    assert postponed == {("Claim", "row"), ("Deployment", "profile")}
