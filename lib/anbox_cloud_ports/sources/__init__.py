"""Every door into the model: each source turns one kind of input into a Deployment.

Documents (a bundle with overlays, a `juju status` dump, a `juju show-unit` dump) are read by `load`,
which tells the kinds apart by their content (`detect`); `load_bundle` and `load_status` insist on
one. The other doors build a Deployment from what is not a document: relation data (`relation`), the
appliance table (`appliance`), this machine's sockets (`local_host`). Whatever cannot be used raises
InputError with one line naming the input, the place and the problem; whatever is usable but wrong
(an option that cannot be a port) becomes a `Problem` in the Deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..gcpause import gc_paused
from ..model import Deployment
from ..names import validate_names
from . import detect, yamlload
from .bundle import parse_placement
from .detect import BUNDLE, STATUS, Kind, register

__all__ = [
    "Kind",
    "load",
    "load_bundle",
    "load_status",
    "parse_placement",
    "reference",
    "register",
]

Overlays = Sequence[tuple[str | bytes, str]]


def _parse_overlays(overlays: Overlays) -> list[yamlload.Parsed]:
    return [yamlload.load(text, name) for text, name in overlays]


def load(
    text: str | bytes,
    *,
    input: str,
    overlays: Overlays = (),
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
) -> Deployment:
    """Any supported input: a bundle (with overlays), a juju status dump or a juju show-unit dump.

    Later documents of a bundle, and `overlays`, are overlays.
    """
    return _load(text, input, overlays, catalog, profile, expect=None)


def load_bundle(
    text: str | bytes,
    *,
    input: str,
    overlays: Overlays = (),
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
) -> Deployment:
    """A bundle, merged with its overlays as `juju deploy --overlay` merges them."""
    return _load(text, input, overlays, catalog, profile, expect=BUNDLE)


def load_status(
    text: str | bytes, *, input: str, catalog: Catalog | None = None, profile: Profile = "charmed"
) -> Deployment:
    """`juju status --format=json` or `--format=yaml` output."""
    return _load(text, input, (), catalog, profile, expect=STATUS)


def _load(
    text: str | bytes,
    input: str,
    overlays: Overlays,
    catalog: Catalog | None,
    profile: Profile,
    *,
    expect: Kind | None,
) -> Deployment:
    """Read, detect (or insist on `expect`) and turn into a Deployment, the collector paused throughout.

    The Deployment's names are checked against Juju's grammar before it is returned, so nothing a
    document source read is judged or printed when Juju itself could not have written it.
    """
    with gc_paused():
        parsed = yamlload.load(text, input)
        if expect is not None and parsed.documents:
            found = detect.detect(parsed)
            if found is not expect:
                if expect is STATUS and found is BUNDLE:
                    raise InputError(input, "not a juju status document: it has no model: section")
                raise InputError(input, f"this is a {found.name} document, not a {expect.name}")
        deployment = detect.read(
            parsed, _parse_overlays(overlays), catalog or Catalog.builtin(), profile, expect
        )
        validate_names(deployment)
        return deployment


def reference(catalog: Catalog | None = None) -> Deployment:
    """The supported charmed Anbox Cloud layout, as shipped in data/reference.yaml."""
    text = resources.files("anbox_cloud_ports.data").joinpath("reference.yaml").read_text(encoding="utf-8")
    return load_bundle(text, input="reference.yaml", catalog=catalog)
