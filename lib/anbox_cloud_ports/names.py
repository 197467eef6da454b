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
import sys
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from itertools import islice, repeat
from operator import attrgetter, itemgetter, le
from typing import TYPE_CHECKING, cast

from .errors import InputError
from .model import Claim, Unit
from .text import quote

if TYPE_CHECKING:
    from .model import Deployment, Location

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
APPLICATION_ENDPOINT = rf"({APPLICATION_SNIPPET}):({RELATION_SNIPPET})"  # compiled when a bundle is read

# How an input labels a model (Host.model, Unit.model): a model name, a model uuid's prefix, or
# `owner/model` as `juju models` prints it. Juju's own grammar for each piece, nothing else.
# A model as findings label it: its name, `owner/name`, a uuid prefix, or `controller:name` when
# dumps of two controllers hold models of one name.
MODEL_LABEL = re.compile(r"(?:[a-z0-9]+[a-z0-9-]*:)?[a-z0-9][a-z0-9.+@_-]*(?:/[a-z0-9]+[a-z0-9-]*)?")

MAX_NAME = 128
"""No Juju name a model holds is longer; a longer one is refused before any pattern runs."""


def _valid(pattern: re.Pattern[str], text: object, limit: int = MAX_NAME) -> bool:
    return isinstance(text, str) and len(text) <= limit and pattern.fullmatch(text) is not None


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


def is_model_label(text: object) -> bool:
    return _valid(MODEL_LABEL, text)


def is_host(text: object) -> bool:
    """A machine id, or a unit's name where the unit is a host of its own (a Kubernetes pod)."""
    return is_machine(text) or is_unit(text)


# A Terraform plan's machines are known by resource address until apply gives them ids
# (docs/juju-facts.md#terraform-provider): `juju_machine.lxd_node[0]`, inside modules
# `module.subcluster["a"].juju_machine.lxd_node[0]`; a unit placed on no machine is `new:<unit>`.
_TF_IDENT = r"[A-Za-z_][A-Za-z0-9_-]{0,63}"
_TF_INDEX = r'(?:\[(?:[0-9]{1,6}|"[A-Za-z0-9_.-]{1,64}")\])?'
# Compiled when first used (re caches it): a check of anything but a Terraform plan never needs it.
TERRAFORM_MACHINE = (
    rf"(?:module\.{_TF_IDENT}{_TF_INDEX}\.)*juju_machine\.{_TF_IDENT}{_TF_INDEX}|new:{UNIT.pattern}"
)


def is_terraform_host(text: object) -> bool:
    """A machine as a Terraform plan names it before apply, or a Juju machine id it gives itself."""
    return is_host(text) or _valid(re.compile(TERRAFORM_MACHINE), text, limit=512)


def is_cidr(text: object) -> bool:
    """Go's net.ParseCIDR, as Juju checks expose CIDRs: an address and a prefix length, host bits allowed."""
    if not isinstance(text, str) or len(text) > 64 or "/" not in text:
        return False
    import ipaddress  # only a CIDR in an expose rule needs it: not imported at start-up

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def validate_names(deployment: Deployment) -> None:
    """Refuse a Deployment naming anything Juju itself would refuse: InputError at the first such name.

    A document source (a bundle, a `juju status` or show-unit dump) calls this before anything is
    judged or printed. Every application, unit, machine, endpoint, space, CIDR and model label is
    checked against Juju's grammar; a name Juju cannot hold did not come from Juju, and refusing it
    keeps escape sequences, Markdown and newlines out of every report by construction. Relation data
    refuses a bad unit per unit instead (`databag.decode_unit`), so such a unit never gets here.
    """
    seen: set[tuple[str, str]] = set()
    host_ok = is_terraform_host if deployment.exposure_syntax == "terraform" else is_host

    def need(kind: str, text: str, valid: Callable[[object], bool], where: Location | None) -> None:
        if (kind, text) in seen:
            return
        if not valid(text):
            file = where.file if where is not None else deployment.input
            line = where.line if where is not None else None
            raise InputError(
                file, f"{kind} {quote(text)} is not one Juju accepts: expected {_EXPECTED[kind]}", line=line
            )
        seen.add((kind, text))

    for model in deployment.models.values():
        if model.label:
            need("model label", model.label, is_model_label, None)
        if model.name:
            need("model", model.name, is_model, None)
    for app in deployment.applications.values():
        need("application", app.name, is_application, app.location)
        if app.model:
            need("model label", app.model, is_model_label, app.location)
        for endpoint, target in app.exposed.items():
            if endpoint:
                need("endpoint", endpoint, is_endpoint, app.location)
            for space in target.spaces:
                need("space", space, is_space, app.location)
            for cidr in target.cidrs:
                need("CIDR", cidr, is_cidr, app.location)
    if _all_named(deployment, host_ok):
        return
    for unit in deployment.units:
        need("unit", unit.name, is_unit, unit.location)
        need("application", unit.application, is_application, unit.location)
        need("machine", unit.host.machine, host_ok, unit.location)
        for label in (unit.model, unit.host.model):
            if label:
                need("model label", label, is_model_label, unit.location)
    for claim in deployment.claims:
        if claim.endpoint:
            need("endpoint", claim.endpoint, is_endpoint, claim.location)


def _all_named(deployment: Deployment, host_ok: Callable[[object], bool]) -> bool:
    """Whether every unit's names and every claim's endpoint are Juju's, checked a name at a time.

    A 20,000-unit status names a few applications and endpoints, one machine per unit or two, and
    its units once each: each distinct name is matched once, at C speed. When one is not Juju's,
    `validate_names` walks the deployment in order to name the first.
    """
    units = deployment.units
    labels = {*map(_UNIT_MODEL, units), *map(_HOST_MODEL, units)} - {""}
    machines = set(map(_MACHINE, units))
    endpoints = set(map(_ENDPOINT, deployment.claims)) - {""}
    return (
        _all_match(list(map(_NAME, units)), UNIT)  # names differ: no set to build
        and _all_match(set(map(_APP, units)), APPLICATION)
        and (_all_match(machines, _HOST) if host_ok is is_host else all(map(host_ok, machines)))
        and all(map(is_model_label, labels))
        and _all_match(endpoints, ENDPOINT)
    )


def _all_match(texts: Collection[object], pattern: re.Pattern[str]) -> bool:
    """`_valid(pattern, text)` for every text, at C speed.

    The texts are matched joined one a line, in one pass of `pattern` repeated line by line (no
    Juju grammar matches a newline, so a match never runs from one name into the next); a newline
    inside a text would make two lines of one, so the newlines are counted first.
    """
    try:
        lines = "\n".join(cast("Collection[str]", texts))
    except TypeError:  # join takes text only: this is the type check, in the same pass
        return False
    names = cast("Collection[str]", texts)
    if max(map(len, names), default=0) > MAX_NAME:
        return False
    return not names or (
        lines.count("\n") == len(names) - 1 and _one_a_line(pattern).fullmatch(lines) is not None
    )


_LINES: dict[re.Pattern[str], re.Pattern[str]] = {}


def _one_a_line(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` on each of one or more lines: what `_all_match` runs over its joined texts.

    The repeat is possessive (`*+`): a plain one keeps a backtracking point per line, a stack that
    grows with the names and costs a 20,000-unit status more than matching them one by one. Each
    line is then the first match `pattern` finds there, which for Juju's grammars is the whole line
    whenever the line is a name (tests/unit/test_names.py holds the two answers equal).
    """
    found = _LINES.get(pattern)
    if found is None:
        found = _LINES[pattern] = re.compile(rf"(?:{pattern.pattern})(?:\n(?:{pattern.pattern})){REPEAT}")
    return found


# Possessive repeats came with Python 3.11; 3.10 (Ubuntu 22.04's, where charms run) repeats plainly:
# the same answers (no Juju grammar matches a newline, so each line is matched whole), at a cost per line.
REPEAT = "*+" if sys.version_info >= (3, 11) else "*"


_HOST = re.compile(rf"(?:{MACHINE.pattern})|(?:{UNIT.pattern})")  # is_host: a machine, or a unit (a pod)
# Fields read by position, as a named tuple's own accessors do, minus an attribute lookup per item.
_NAME = itemgetter(Unit._fields.index("name"))
_APP = itemgetter(Unit._fields.index("application"))
_UNIT_MODEL = itemgetter(Unit._fields.index("model"))
_HOST_MODEL = attrgetter("host.model")
_MACHINE = attrgetter("host.machine")
_ENDPOINT = itemgetter(Claim._fields.index("endpoint"))


# What each grammar allows, in words (docs/juju-facts.md#names has the expressions and their source).
_EXPECTED = {
    "application": "lowercase letters and digits in words joined by -, starting with a letter, each word "
    "holding a letter",
    "unit": "<application>/<number>",
    "machine": "a number, a container such as 0/lxd/1, a Kubernetes unit's name, or in a Terraform plan "
    "a juju_machine address",
    "endpoint": "lowercase letters and digits in words joined by - or _, starting with a letter",
    "space": "lowercase letters and digits in words joined by -",
    "model": "lowercase letters, digits and -, not starting with -",
    "model label": "a model name, a model uuid's prefix, owner/model or controller:model",
    "CIDR": "an IPv4 or IPv6 network such as 10.0.0.0/8",
}


def application_of(unit: str) -> str:
    """`ams` for `ams/0`."""
    return unit.rpartition("/")[0] or unit


def unit_sort_key(name: str) -> tuple[str, int, str]:
    """Order `app/10` after `app/9`, as Juju lists units."""
    app, _, number = name.rpartition("/")
    return (app, int(number), "") if number.isdigit() else (name, -1, "")


def sorted_units(names: Iterable[str]) -> list[str]:
    """`sorted(names, key=unit_sort_key)`, at C speed for one application's units, however many.

    A finding about an exposed LXD application of a large model lists a quarter of a million units:
    when every name is `<app>/<number>` for one app, ordering by the number alone is the same order
    (ties keep their order, as `sorted` does). Numbers as Juju writes them (no leading zero) order
    as (length, text): names of one length are sorted as text, a sort that only checks them when
    they come in order already, as units usually do.
    """
    items = list(names)
    if len(items) < _FAST_SORT_FROM:
        return sorted(items, key=unit_sort_key)
    app, slash, _ = items[0].rpartition("/")
    prefix = app + slash
    if slash and _juju_numbered(items, prefix):
        lengths = list(map(len, items))
        if lengths != sorted(lengths):  # a sort of sorted small ints is one C-level pass
            return sorted(sorted(items), key=len)
        ordered: list[str] = []
        start = 0
        while start < len(items):  # one run of names per length, as few as numbers have digits
            end = bisect_right(lengths, lengths[start], start)
            ordered.extend(sorted(items[start:end]))
            start = end
        return ordered
    if slash and all(map(str.startswith, items, repeat(prefix))):
        numbers = list(map(itemgetter(slice(len(prefix), None)), items))
        if all(map(str.isdigit, numbers)):
            order = list(map(int, numbers))
            if all(map(le, order, islice(order, 1, None))):
                return items
            return list(map(items.__getitem__, sorted(range(len(items)), key=order.__getitem__)))
    return sorted(items, key=unit_sort_key)


def _juju_numbered(items: list[str], prefix: str) -> bool:
    """Whether every item is `prefix` and a number as Juju writes it: ASCII digits, no leading 0.

    Checked on the items joined one a line, each test one C-level pass over that text. Two units
    "0" running make the leading-0 count miss one and say no: the slower path then orders them.
    """
    lines = "\n".join(items)
    if not lines.isascii():
        return False
    # As bytes (the text is ASCII): the same answers, and `bytes.isdigit` reads a table where
    # `str.isdigit` asks the Unicode database of every character.
    framed = f"\n{lines}\n".encode("ascii")
    head = b"\n" + prefix.encode("ascii")
    digits = framed[:-1].replace(head, b"")
    return (
        lines.count("\n") == len(items) - 1
        and framed.count(head) == len(items)
        and digits.isdigit()
        and head + b"\n" not in framed
        and framed.count(head + b"0") == framed.count(head + b"0\n")
    )


_FAST_SORT_FROM = 64


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
USER = rf"{_USER_NAME}(?:@{_USER_NAME})?"  # compiled when first used, as TERRAFORM_MACHINE


def is_controller(text: object) -> bool:
    return _valid(CONTROLLER, text)


def is_user(text: object) -> bool:
    return _valid(re.compile(USER), text)
