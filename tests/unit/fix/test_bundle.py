"""fix for bundles: an overlay that removes every error, `to:` as Juju reads it, nothing else touched."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from anbox_cloud_ports.catalog import Catalog, CatalogRow
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.fix import fix_bundle, fix_input
from anbox_cloud_ports.fix.bundle import explicit_directives, moved_directive
from anbox_cloud_ports.sources import load, load_bundle
from anbox_cloud_ports.sources.bundle import parts_of
from anbox_cloud_ports.sources.bundle.build import merged_bundle, place_units
from anbox_cloud_ports.sources.yamlload import load as load_yaml

from .proof import fixed, overlay_apps

DATA = Path(__file__).parents[1] / "data"
REFERENCE = (Path(__file__).parents[3] / "lib" / "anbox_cloud_ports" / "data" / "reference.yaml").read_text()
SHARED = Path(os.environ.get("ANBOX_PORTS_SHARED_CORPUS", "/work/shared/corpus/bundles"))
CORPUS = sorted((DATA / "corpus" / "bundles").glob("*.yaml")) + (
    sorted(SHARED.glob("*.yaml")) if SHARED.is_dir() else []
)

# Conflicts injected into the reference layout, one overlay each.
INJECTED = {
    "agent beside the load balancer (443/tcp)": """
applications:
  anbox-stream-agent: {to: ["0"]}
""",
    "two coturn units on one machine": """
applications:
  coturn: {num_units: 2, to: ["1", "1"]}
""",
    "an operator's ams port on nats's": """
applications:
  ams: {to: ["0"], options: {port: 4222}}
""",
    "lxd exposed to the internet (8443)": """
applications:
  lxd: {expose: true}
""",
    "ams exposed": """
applications:
  ams: {expose: true}
""",
    "a wildcard exposed-endpoints rule on the gateway": """
applications:
  anbox-stream-gateway:
    exposed-endpoints:
      "": {expose-to-cidrs: [0.0.0.0/0]}
""",
    "invalid option values": """
applications:
  ams: {options: {port: 70000}}
  lxd: {options: {exposed_instance_ports: "11000-10000"}}
""",
    "everything at once, LXD nodes on the control machine": """
applications:
  anbox-stream-agent: {to: ["0"]}
  ams: {to: ["0"], options: {port: 4222, prometheus_target_port: 4000}}
  lxd: {expose: true, num_units: 4, to: ["0", "0", "3", "4"]}
  coturn: {num_units: 3, to: ["1", "1", "anbox-stream-agent"]}
""",
}


@pytest.mark.parametrize("overlay", INJECTED.values(), ids=INJECTED.keys())
def test_reference_with_conflicts_injected(overlay: str):
    before = load_bundle(REFERENCE, input="reference.yaml", overlays=[(overlay, "inject.yaml")])
    result = fixed(REFERENCE, [(overlay, "inject.yaml")], name="reference.yaml")
    assert result.before.summary.errors > 0
    assert result.after.deployment.units  # the same bundle, read again
    assert len(result.after.deployment.units) == len(before.units)


def test_clean_reference_needs_nothing():
    result = fixed(REFERENCE, name="reference.yaml")
    assert result.before.summary.errors == 0
    assert overlay_apps(result.text) == set()
    assert "# Nothing to change." in result.text


def _inject(bundle: Path) -> str | None:
    """Anbox services crammed onto the bundle's first machine (or beside its first unit)."""
    deployment = load_bundle(bundle.read_bytes(), input=bundle.name)
    parsed = merged_bundle(parts_of(load_yaml(bundle.read_bytes(), bundle.name)))
    if parsed.bundle_type == "kubernetes":
        return None
    machines = sorted(parsed.machines or {})
    if machines:
        target = f'"{machines[0]}"'
    elif deployment.units:
        target = f'"{deployment.units[0].name}"'
    else:
        return None
    return f"""
applications:
  anbox-stream-agent: {{charm: anbox-stream-agent, num_units: 1, to: [{target}]}}
  gateway-lb: {{charm: haproxy, num_units: 1, expose: true, to: [{target}]}}
  nats: {{charm: nats, num_units: 1, to: [{target}]}}
  ams: {{charm: ams, num_units: 1, expose: true, to: [{target}], options: {{port: 4222}}}}
"""


def _refusal(data: bytes, name: str) -> str | None:
    try:
        load(data, input=name)
    except InputError as refused:
        return str(refused)
    return None


@pytest.mark.parametrize("bundle", CORPUS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_corpus_bundle(bundle: Path):
    """Every corpus bundle Juju accepts gets a proved fix, also with Anbox conflicts injected into it."""
    data = bundle.read_bytes()
    refusal = _refusal(data, bundle.name)
    if refusal is not None:
        # A bundle Juju refuses cannot be fixed by an overlay: fix refuses it with check's own words.
        with pytest.raises(InputError, match=re.escape(refusal)):
            fix_input(data, input=bundle.name)
        return
    fixed(data, name=bundle.name)
    injected = _inject(bundle)
    if injected is not None:
        result = fixed(data, [(injected, "inject.yaml")], name=bundle.name)
        assert result.before.summary.errors >= 3
        assert overlay_apps(result.text) <= {"anbox-stream-agent", "gateway-lb", "nats", "ams"}


# -- the overlay, as Juju reads it --------------------------------------------------------------------

HULK = (DATA / "bundles" / "anbox-hulk-smashed.yaml").read_text()


def test_hulk_smashed_lab_gets_exactly_one_move():
    result = fixed(HULK, name="anbox-hulk-smashed.yaml")
    body = [line for line in result.text.splitlines() if not line.lstrip().startswith("#")]
    assert body == ["applications:", '  "anbox-stream-gateway-lb":', '    to: ["lxd:0"]']
    assert (
        "# resolves port-conflict: anbox-stream-agent/0 and anbox-stream-gateway-lb/0 both need 443/tcp"
        in (result.text)
    )
    assert (
        "# Proof: read back with this overlay, the bundle has 0 errors (it had 1) and 1 warning."
        in result.text
    )


def test_move_to_machine():
    result = fix_bundle(HULK, input="hulk.yaml", into="machine")
    assert result.ok
    assert '    to: ["new"]' in result.text


def test_operator_option_moves_rather_than_the_unit():
    overlay = 'applications:\n  ams: {to: ["0"], options: {port: 4222}}\n'
    result = fixed(REFERENCE, [(overlay, "o.yaml")])
    assert '"port": 4223' in result.text
    assert "to:" not in result.text
    assert "port = 4223 (was 4222): 4223 checked free for tcp on machine 0" in result.text


def test_invalid_option_goes_back_to_the_free_default():
    overlay = "applications:\n  lxd: {options: {exposed_instance_ports: 10000-70000}}\n"
    result = fixed(REFERENCE, [(overlay, "o.yaml")])
    assert '"exposed_instance_ports": "10000-11000"' in result.text


def test_exposure_narrowed_to_nothing_says_what_it_loses():
    result = fixed(REFERENCE, [("applications:\n  lxd: {expose: true}\n", "o.yaml")])
    assert "    expose: false" in result.text
    assert "exposed-endpoints" not in result.text.replace("# ", "")  # none to clear
    assert (
        "NOT DONE BY THIS OVERLAY: 10000-11000/tcp, 10000-11000/udp (LXD Instance service ports)"
        in result.text
    )


def test_wildcard_endpoint_rule_is_cleared_and_expose_false_set():
    overlay = 'applications:\n  ams:\n    exposed-endpoints:\n      "": {expose-to-cidrs: ["0.0.0.0/0"]}\n'
    result = fixed(REFERENCE, [(overlay, "o.yaml")])
    assert "    expose: false\n    exposed-endpoints: null\n" in result.text


def test_no_fix_printed_when_only_the_charm_can_cure():
    """A charm with a required external port and an internal one, exposed: no bundle can narrow it."""
    catalog = Catalog.builtin().extend(
        [
            CatalogRow("charmed", "Edge", ("edge",), "7443", "TCP", True, "yes", "public API"),
            CatalogRow("charmed", "Edge", ("edge",), "7444", "TCP", False, "yes", "admin API"),
        ]
    )
    bundle = "applications:\n  edge: {charm: edge, num_units: 1, expose: true}\n"
    result = fix_bundle(bundle, input="edge.yaml", catalog=catalog)
    assert not result.ok
    [left] = result.unresolved
    assert left.finding.rule == "internal-port-exposed"
    assert "the charm must open the internal port on an endpoint of its own" in left.reason
    assert "# REMAINING internal-port-exposed" in result.text


def test_followers_are_not_dragged():
    """nats follows ams/0 (`to: [ams/0]`); moving ams would move nats too, so the agent moves instead."""
    bundle = """
machines: {"0": {}}
applications:
  ams: {charm: ams, num_units: 1, to: ["0"]}
  nats: {charm: nats, num_units: 1, to: ["ams/0"]}
  agent: {charm: anbox-stream-agent, num_units: 1, to: ["0"]}
  zz-agent: {charm: anbox-stream-agent, num_units: 1, to: ["ams/0"]}
"""
    result = fixed(bundle)
    assert overlay_apps(result.text) == {"zz-agent"}
    assert 'to: ["lxd:ams/0"]' in result.text


def test_hostile_names_stay_data():
    bundle = (
        'machines: {"0": {}}\napplications:\n'
        '  "x\\"]\\n  click": {charm: ams, num_units: 2, to: ["0", "0"]}\n'
    )
    try:
        result = fix_bundle(bundle, input="evil\nname.yaml")
    except InputError:
        return  # refused by name validation: nothing printed at all
    assert result.ok
    assert all(line.startswith(("#", "applications:", "  ", "")) for line in result.text.splitlines())
    assert load_bundle(bundle, input="b", overlays=[(result.text, "fix.yaml")]).units


# -- explicit directives ------------------------------------------------------------------------------


def _placed(bundle: str) -> dict[str, list[str]]:
    merged = merged_bundle(parts_of(load_yaml(bundle, "b")))
    return {
        app: [p.host for p in spots]
        for app, spots in place_units(merged, "b", Catalog.builtin(), "charmed").units.items()
    }


@pytest.mark.parametrize(
    ("to", "num_units", "expected"),
    [
        ('["lxd:0"]', 3, ["lxd:0", "new", "new"]),
        ('["new"]', 3, ["new", "new", "new"]),
        ('["lxd:new"]', 2, ["lxd:new", "lxd:new"]),
        ('["lxd:ams"]', 3, ["lxd:ams/0", "lxd:ams/1", "new"]),
        ('["ams/1", "ams"]', 3, ["ams/1", "ams/0", "ams/1"]),
        ("[]", 2, ["new", "new"]),
    ],
)
def test_explicit_directives_place_every_unit_where_the_short_list_does(
    to: str, num_units: int, expected: list[str]
):
    bundle = f"""
machines: {{"0": {{}}}}
applications:
  ams: {{charm: ams, num_units: 2, to: ["0", "0"]}}
  app: {{charm: nats, num_units: {num_units}, to: {to}}}
"""
    merged = merged_bundle(parts_of(load_yaml(bundle, "b")))
    spec = merged.applications["app"]
    assert spec is not None
    directives = explicit_directives(spec, place_units(merged, "b", Catalog.builtin(), "charmed").units)
    assert directives == expected
    rewritten = bundle.replace(f"to: {to}", "to: [" + ", ".join(f'"{d}"' for d in directives) + "]")
    assert _placed(rewritten) == _placed(bundle)


@pytest.mark.parametrize(
    ("current", "into", "expected"),
    [
        ("0", "container", "lxd:0"),
        ("ams/1", "container", "lxd:ams/1"),
        ("lxd:0", "container", None),
        ("new", "container", None),
        ("0", "machine", "new"),
    ],
)
def test_moved_directive(current: str, into: str, expected: str | None):
    assert moved_directive(current, into) == expected  # type: ignore[arg-type]
