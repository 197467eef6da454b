"""Every door into the model: each source turns one kind of input into a Deployment.

Documents (a bundle with overlays, a `juju status` dump, a `juju show-unit` dump) are read by `load`,
which tells the kinds apart by their content (`detect`); `load_bundle` and `load_status` insist on
one. `load_inputs` reads several: `juju status` dumps of several models, and the dumps that complete
them (`juju show-application`, `opened-ports` through `juju exec`, `juju spaces`; `combine`).
`live` runs those juju commands itself. The other doors build a Deployment from what is not a
document: relation data (`relation`), the appliance table (`appliance`), this machine's sockets
(`local_host`). Whatever cannot be used raises
InputError with one line naming the input, the place and the problem; whatever is usable but wrong
(an option that cannot be a port) becomes a `Problem` in the Deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..gcpause import gc_paused
from ..model import Deployment
from ..names import validate_names

if TYPE_CHECKING:
    from .bundle import parse_placement
    from .detect import Kind, Supplement, register
    from .yamlload import Parsed

__all__ = [
    "Kind",
    "complete",
    "load",
    "load_bundle",
    "load_inputs",
    "load_status",
    "parse_placement",
    "reference",
    "reference_from_yaml",
    "register",
]

Overlays = Sequence[tuple[str | bytes, str]]

# Each door is imported when an input needs it: `anbox-ports check` of the built-in reference reads
# no document at all, and a JSON status needs neither the YAML parser nor the bundle reader.
_LAZY = {"Kind": ".detect", "register": ".detect", "parse_placement": ".bundle"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name], __name__), name)


def _parse_overlays(overlays: Overlays) -> list[Parsed]:
    from . import yamlload

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
    from .detect import BUNDLE

    return _load(text, input, overlays, catalog, profile, expect=BUNDLE)


def load_status(
    text: str | bytes, *, input: str, catalog: Catalog | None = None, profile: Profile = "charmed"
) -> Deployment:
    """`juju status --format=json` or `--format=yaml` output."""
    from .detect import STATUS

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
        # The parsed document is freed as the reading returns, while the collector still waits.
        return _read_one(text, input, overlays, catalog, profile, expect=expect)


def _read_one(
    text: str | bytes,
    input: str,
    overlays: Overlays,
    catalog: Catalog | None,
    profile: Profile,
    *,
    expect: Kind | None,
) -> Deployment:
    from . import detect, yamlload
    from .detect import BUNDLE, STATUS

    parsed = yamlload.load(text, input)
    if expect is not None and parsed.documents:
        found = detect.detect(parsed)
        if found is not expect:
            if expect is STATUS and found is BUNDLE:
                raise InputError(input, "not a juju status document: it has no model: section")
            raise InputError(input, f"this is a {found.name} document, not a {expect.name}")
    deployment = detect.read(parsed, _parse_overlays(overlays), catalog or Catalog.builtin(), profile, expect)
    validate_names(deployment)
    return deployment


def load_inputs(
    inputs: Sequence[tuple[str | bytes, str]],
    *,
    overlays: Overlays = (),
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    spaces: Sequence[str] = (),
    model_names: Sequence[str] = (),
    keep: list[object] | None = None,
) -> Deployment:
    """One or several inputs as one Deployment; `spaces` are `--space NAME=CIDR,...` options.

    One input is read as `load` reads it. Several are either `juju status` dumps (one per model) and
    the dumps that complete them, in any order, each detected by its content; or bundles, each
    deployed into a model of its own, named by `model_names` in order (`--model-name`), else by
    the bundle's file name. The parsed documents are added to `keep` when given: a process about to
    exit keeps them rather than free a 20,000-unit status object by object (about 10 ms).
    """
    with gc_paused():
        # Else the parsed documents are freed as the reading returns, while the collector still waits.
        return _read_inputs(
            inputs,
            overlays,
            catalog or Catalog.builtin(),
            profile,
            spaces=spaces,
            model_names=model_names,
            keep=keep,
        )


def _read_inputs(
    inputs: Sequence[tuple[str | bytes, str]],
    overlays: Overlays,
    catalog: Catalog,
    profile: Profile,
    *,
    spaces: Sequence[str],
    model_names: Sequence[str],
    keep: list[object] | None,
) -> Deployment:
    from . import detect, yamlload
    from .detect import STATUS

    parsed = [yamlload.load(text, name) for text, name in inputs]
    if keep is not None:
        keep.append(parsed)
    if model_names and (len(parsed) < 2 or not _all_bundles(parsed)):
        raise InputError("--model-name", "names the models of several bundle INPUTs, one per bundle")
    if len(parsed) > 1 and _all_bundles(parsed):
        if overlays:
            raise InputError("--overlay", "applies to one bundle INPUT, not to several bundles")
        return _named(_bundles_as_models(parsed, model_names, catalog, profile))
    if len(parsed) == 1 and (not parsed[0].documents or detect.detect(parsed[0]).read is not None):
        deployment = detect.read(parsed[0], _parse_overlays(overlays), catalog, profile)
        return _named(complete(deployment, (), catalog, spaces))
    if overlays:
        raise InputError("--overlay", "applies to one bundle INPUT, not to several inputs")
    statuses: list[Deployment] = []
    supplements: list[Supplement] = []
    for one in parsed:
        if not one.documents:
            raise InputError(one.input, "empty input: no document to check")
        kind = detect.detect(one)
        if kind.complete is not None:
            supplements.append(kind.complete(one))
        elif kind is STATUS:
            statuses.append(detect.read(one, (), catalog, profile, STATUS))
        else:
            raise InputError(
                one.input,
                f"this is a {kind.name} document: only juju status dumps and the dumps that "
                "complete them (show-application, juju exec opened-ports, juju spaces) combine",
            )
    if not statuses:
        kind = detect.detect(parsed[0])
        raise InputError(
            parsed[0].input,
            f"a {kind.name} dump completes a juju status dump: give the status too "
            "(`anbox-ports check STATUS DUMP...`)",
        )
    from .combine import merge_models  # several inputs only: one status needs no merging

    return _named(complete(merge_models(statuses), supplements, catalog, spaces))


def _all_bundles(parsed: Sequence[Parsed]) -> bool:
    from .detect import BUNDLE, detect

    return all(one.documents and detect(one) is BUNDLE for one in parsed)


def _bundles_as_models(
    parsed: Sequence[Parsed], model_names: Sequence[str], catalog: Catalog, profile: Profile
) -> Deployment:
    """Each bundle deployed into a model of its own: machine 0 of two bundles is two hosts.

    A host is (model, machine) (docs/juju-facts.md#relation-data): `juju deploy` of each bundle into
    its own model gives each its own machines, so the bundles' hosts never meet; their exposure and
    names are judged per model, and findings name the model.
    """
    from types import MappingProxyType

    from ..model import Model
    from ..names import is_model
    from ..text import quote
    from . import detect
    from .combine import merge_models

    if model_names and len(model_names) != len(parsed):
        raise InputError(
            "--model-name", f"gives {len(model_names)} model names for {len(parsed)} bundles: one per bundle"
        )
    names = list(model_names) or [_model_name_of(one.input) for one in parsed]
    if len(set(names)) != len(names):
        raise InputError("--model-name", "names two bundles' models alike: one model per bundle")
    models: list[Deployment] = []
    for one, name in zip(parsed, names, strict=True):
        if not is_model(name):
            raise InputError("--model-name", f"{quote(name)} is not a model name Juju accepts")
        deployment = detect.read(one, (), catalog, profile, detect.BUNDLE)
        model = Model("", name, "caas" if _kubernetes(one) else "iaas")
        models.append(deployment._replace(models=MappingProxyType({"": model})))
    return merge_models(models)


def _model_name_of(input: str) -> str:
    """A bundle file's model, when no --model-name says: its file name without the extension."""
    import os

    from ..names import is_model
    from ..text import quote

    stem = os.path.basename(input).rsplit(".", 1)[0]
    if not is_model(stem):
        raise InputError(
            input, f"cannot name its model after the file ({quote(stem)}): give --model-name NAME per bundle"
        )
    return stem


def _kubernetes(parsed: Parsed) -> bool:
    first = parsed.documents[0]
    return isinstance(first, dict) and first.get("bundle") == "kubernetes"


def _named(deployment: Deployment) -> Deployment:
    """`deployment`, once every name in it is one Juju accepts (else InputError: nothing is printed)."""
    validate_names(deployment)
    return deployment


def complete(
    deployment: Deployment,
    supplements: Sequence[Supplement],
    catalog: Catalog,
    spaces: Sequence[str] = (),
) -> Deployment:
    """`deployment` completed by each supplement in turn, then by the `--space` options.

    A lone status (or bundle) has neither: it is returned before the merger and the spaces reader
    are imported, which a check that needs neither would otherwise pay for at start-up.
    """
    if not supplements and not spaces:
        return deployment
    from . import spaces as space_dumps
    from .combine import Merger

    given = space_dumps.space_options(spaces)
    every = [*supplements, *([given] if given else [])]
    if not every:
        return deployment
    merger = Merger(deployment, catalog)
    for supplement in every:
        supplement.apply(merger)
    return merger.deployment()


def reference(catalog: Catalog | None = None) -> Deployment:
    """The supported charmed Anbox Cloud layout, as shipped in data/reference.yaml.

    With the built-in catalog this is the Deployment reading the YAML gives, shipped as Python
    (data/reference_deployment.py, generated from the YAML and tested against it); with another
    catalog the YAML is read, since that catalog may claim other ports for its charms.
    """
    if catalog is None or catalog is Catalog.builtin():
        from ..data.reference_deployment import deployment

        return deployment()
    return reference_from_yaml(catalog)


def reference_from_yaml(catalog: Catalog | None = None) -> Deployment:
    """data/reference.yaml read as the bundle it is."""
    from importlib import resources

    text = resources.files("anbox_cloud_ports.data").joinpath("reference.yaml").read_text(encoding="utf-8")
    return load_bundle(text, input="reference.yaml", catalog=catalog)
