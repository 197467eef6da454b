"""Juju's own name grammars, in one place for every source.

A name Juju itself would refuse cannot come from a real model, so an input that holds one is refused
before anything is printed: that keeps hostile text (escape sequences, markdown, newlines) out of
reports by construction, and keeps every source agreeing on what a unit or a machine is.

Source: github.com/juju/names (`application.go` ApplicationSnippet, `unit.go`, `machine.go`
MachineSnippet and ContainerTypeSnippet, `relation.go` RelationSnippet, `space.go` SpaceSnippet,
`model.go`); docs/juju-facts.md#names.
"""

from __future__ import annotations

import re

# The pieces, as juju/names builds its expressions from them.
APPLICATION_SNIPPET = r"(?:[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)"
NUMBER_SNIPPET = r"(?:0|[1-9][0-9]*)"
CONTAINER_TYPE_SNIPPET = r"[a-z]+"
RELATION_SNIPPET = r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*"
SPACE_SNIPPET = r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)"
MACHINE_SNIPPET = rf"{NUMBER_SNIPPET}(?:/{CONTAINER_TYPE_SNIPPET}/{NUMBER_SNIPPET})*"

APPLICATION = re.compile(APPLICATION_SNIPPET)
UNIT = re.compile(rf"({APPLICATION_SNIPPET})/({NUMBER_SNIPPET})")
MACHINE = re.compile(MACHINE_SNIPPET)
# A bundle's own machine ids are plain numbers (juju internal/charm/bundledata.go verifyMachines).
MACHINE_NUMBER = re.compile(NUMBER_SNIPPET)
ENDPOINT = re.compile(RELATION_SNIPPET)
SPACE = re.compile(SPACE_SNIPPET)
MODEL = re.compile(r"[a-z0-9]+[a-z0-9-]*")
# `app:endpoint` in a bundle's relations.
APPLICATION_ENDPOINT = re.compile(rf"({APPLICATION_SNIPPET}):({RELATION_SNIPPET})")

MAX_NAME = 128
"""No Juju name a model holds is longer; a longer one is refused before any pattern runs."""


def _valid(pattern: re.Pattern[str], text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_NAME and pattern.fullmatch(text) is not None


def is_application(text: object) -> bool:
    return _valid(APPLICATION, text)


def is_unit(text: object) -> bool:
    return _valid(UNIT, text)


def is_machine(text: object) -> bool:
    return _valid(MACHINE, text)


def is_endpoint(text: object) -> bool:
    return _valid(ENDPOINT, text)


def is_space(text: object) -> bool:
    return _valid(SPACE, text)


def is_model(text: object) -> bool:
    return _valid(MODEL, text)


def application_of(unit: str) -> str:
    """`ams` for `ams/0`."""
    return unit.rpartition("/")[0] or unit


def unit_sort_key(name: str) -> tuple[str, int, str]:
    """Order `app/10` after `app/9`, as Juju lists units."""
    app, _, number = name.rpartition("/")
    return (app, int(number), "") if number.isdigit() else (name, -1, "")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order (`app2` before `app10`), as Juju's naturalsort orders machines and names."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"([0-9]+)", text) if part
    )


def charm_name(ref: str) -> str:
    """The charm's name in any reference form a bundle, a plan or `juju status` uses.

    `ams`, `ch:ams`, `ch:amd64/focal/ams-42`, `cs:~anbox-charmers/ams-42`, `cs:focal/ams`,
    `local:jammy/ams-3`, `./charms/ams`, `./ams_ubuntu-22.04-amd64.charm` all name `ams`. A revision
    suffix is dropped only where Juju's URL syntax has one (juju internal/charm/url.go: a schema'd
    URL ends in `-<revision>`), so a bare name such as `mysql-8` keeps its digits.
    """
    ref = ref.strip()
    if ref.startswith((".", "/", "~")) or ref.endswith(".charm"):
        base = ref.rstrip("/").rsplit("/", 1)[-1]
        base = base.removesuffix(".charm")
        # charmcraft packs <name>_<base>-<arch>.charm; charm names have no underscore
        return base.split("_", 1)[0] or ref
    schema, colon, rest = ref.partition(":")
    if not colon:
        return ref
    name = rest.rstrip("/").rsplit("/", 1)[-1]
    if schema in ("cs", "ch", "local", "charmhub"):
        name = re.sub(r"-[0-9]+$", "", name)
    return name or ref


# juju/names controller.go `validControllerName` (v5 and v6 alike); user.go `validName` (a model's
# owner, as in `admin/default`): what `juju -m [CONTROLLER:][OWNER/]MODEL` may name.
CONTROLLER = re.compile(r"[a-z0-9]+[a-z0-9-]*")
_USER_NAME = r"[a-zA-Z0-9][a-zA-Z0-9.+-]*[a-zA-Z0-9]"
USER = re.compile(rf"{_USER_NAME}(?:@{_USER_NAME})?")


def is_controller(text: object) -> bool:
    return _valid(CONTROLLER, text)


def is_user(text: object) -> bool:
    return _valid(USER, text)
