"""Hostile and broken inputs: each one an InputError of one line naming the file (or, where the input
is still usable, a finding); and random inputs never raise anything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources import load, load_bundle

MALFORMED = Path(__file__).parents[1] / "data" / "malformed"

EMPTIED = "(Juju's YAML decoder stops there and reads the whole document as empty, so Juju refuses the bundle with 'at least one application must be specified')"

# file -> what the one-line refusal says
REFUSED: dict[str, str] = {
    "empty.yaml": "the bundle is empty",
    "comments-only.yaml": "the bundle is empty",
    "null-first-document.yaml": "its first document holds nothing",
    "binary-junk.bin": "not UTF-8 text: byte 0x80 at offset 128",
    "latin1-text.yaml": "not UTF-8 text: byte 0xe9",
    "nul-bytes.yaml": "control characters are not allowed: character #x0000",
    "tab-indented.yaml": ":2: invalid YAML: found character that cannot start any token",
    "unclosed-quote.yaml": "invalid YAML: found unexpected end of stream",
    "bad-indentation.yaml": ":4: invalid YAML: did not find expected key",
    "duplicate-key.yaml": ':5: mapping key "ams" already defined at line 2',
    "top-level-list.yaml": "expected a bundle (a mapping with applications:), found a list",
    "top-level-scalar.yaml": "expected a bundle (a mapping with applications:), found the string",
    # docs/juju-facts.md#bundles, order of processing 3: a type error empties the whole document.
    "applications-list.yaml": f"applications: cannot unmarshal !!seq into map[string]*charm.ApplicationSpec {EMPTIED}",
    "application-scalar.yaml": f"applications.ams: cannot unmarshal !!str `cs:ams` into *charm.ApplicationSpec {EMPTIED}",
    # `charm: 42` is the text "42" to Juju, which ParseURL refuses.
    "charm-int.yaml": 'applications.ams.charm: invalid charm URL in application "ams": cannot parse name and/or revision in URL "42": name "42" not valid',
    "num-units-string.yaml": f"applications.ams.num_units: cannot unmarshal !!str `three` into int {EMPTIED}",
    "num-units-bool.yaml": f"applications.ams.num_units: cannot unmarshal !!bool `yes` into int {EMPTIED}",
    "num-units-huge.yaml": "1000000000000 units is more than the 100000 this checker places",
    "num-units-negative.yaml": 'negative number of units specified on application "ams"',
    "scale-and-num-units.yaml": 'cannot specify both scale and num_units for application "ams"',
    "huge-integer.yaml": ":4: an integer with 5000 digits is too large",
    "to-scalar.yaml": f"applications.ams.to: cannot unmarshal !!str `0` into []string {EMPTIED}",
    "to-mapping.yaml": f"applications.ams.to: cannot unmarshal !!map into []string {EMPTIED}",
    "to-nested-list.yaml": f"applications.ams.to[0]: cannot unmarshal !!seq into string {EMPTIED}",
    "dangling-machine.yaml": ':7: applications.ams.to[1]: placement "5" refers to a machine not defined in this bundle',
    "dangling-application.yaml": 'placement "ams" refers to an application not defined in this bundle',
    "dangling-unit.yaml": 'placement "lxd:ams/3" specifies a unit greater than the 1 unit(s) started by the target application',
    "unreferenced-machine.yaml": ':3: machines.1: machine "1" is not referred to by a placement directive',
    "too-many-placements.yaml": 'too many units specified in unit placement for application "ams"',
    "deployer-placement.yaml": 'invalid placement syntax "lxd:haproxy=0"',
    "placement-cycle.yaml": "cycle in placement directives for: ams, lxd",
    "expose-string.yaml": f"applications.coturn.expose: cannot unmarshal !!str `yes please` into bool {EMPTIED}",
    "expose-and-exposed-endpoints.yaml": 'exposed-endpoints cannot be specified together with "exposed:true"',
    "exposed-endpoints-in-base.yaml": "applications.coturn.exposed-endpoints can only appear in an overlay section",
    "exposed-endpoints-bad-cidr.yaml": 'invalid CIDR "10.0.0.1" for expose to CIDRs field for endpoint "turn"',
    "options-list.yaml": f"applications.ams.options: cannot unmarshal !!seq into map[string]interface {{}} {EMPTIED}",
    "relations-mapping.yaml": f"relations: cannot unmarshal !!map into [][]string {EMPTIED}",
    "relation-three-endpoints.yaml": 'relation ["ams" "lxd" "etcd"] has 3 endpoint(s), not 2',
    "relation-undefined-application.yaml": 'refers to application "etcd" not defined in this bundle',
    "machines-list.yaml": f"machines: cannot unmarshal !!seq into map[string]*charm.MachineSpec {EMPTIED}",
    "machine-id-invalid.yaml": 'invalid machine id "m0" found in machines (and 2 more errors)',
    "empty-applications.yaml": "at least one application must be specified",
    "deployer-format.yaml": 'juju-deployer format (the bundle is nested under "anbox")',
    "unsupported-tag.yaml": "unsupported YAML tag",
    "mapping-key-is-list.yaml": "a mapping key is a mapping or a list",
    "recursive-alias.yaml": "a recursive alias",
    "billion-laughs.yaml": "(a YAML bomb?)",
    "deep-nesting.yaml": "nested deeper than 200 levels",
    "deep-flow-nesting.yaml": "exceeded maximum nesting depth",
    "json-truncated.json": ":2: invalid YAML:",
    "status-units-list.json": "applications.ams.units: expected a mapping of units, found a list",
    "status-open-ports-string.json": 'open-ports: expected a list of ports, found the string "8444/tcp"',
    "status-two-documents.yaml": "juju status prints one document; this input has 2",
    "status-exposed-string.yaml": 'applications.coturn.exposed: expected true or false, found the string "true"',
}

# file -> (units the invalid-port findings name, a phrase of the finding): usable inputs
FINDINGS: dict[str, tuple[set[tuple[str, ...]], str]] = {
    "option-port-70000.yaml": ({("ams/0",)}, "port=70000: must be a port number 1-65535"),
    "option-range-reversed.yaml": (
        {("lxd/0",)},
        "must be a port range <from>-<to> with <from> not above <to>",
    ),
    "option-range-spaced.yaml": (
        {("lxd/0",)},
        'exposed_instance_ports="10000 - 110000": must be a port range',
    ),
    "option-port-list.yaml": ({("nats/0",)}, 'client-port="[4222, 4223]": must be a port number 1-65535'),
    "status-open-port-junk.json": ({("nats/0",)}, 'invalid protocol "sctp"'),
}


def test_there_are_more_than_thirty_malformed_inputs_and_each_has_an_expectation():
    names = sorted(p.name for p in MALFORMED.iterdir())
    assert len(names) >= 30
    assert sorted(REFUSED.keys() | FINDINGS.keys()) == names


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_one_line_naming_the_file(name: str):
    with pytest.raises(InputError) as info:
        load((MALFORMED / name).read_bytes(), input=name)
    message = str(info.value)
    assert message.startswith(name)
    assert len(message.splitlines()) == 1
    assert REFUSED[name] in message
    assert info.value.input == name


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_usable_but_wrong_inputs_are_findings(name: str):
    deployment = load((MALFORMED / name).read_bytes(), input=name)
    units, phrase = FINDINGS[name]
    assert {f.units for f in deployment.problems} == units
    assert {f.rule for f in deployment.problems} == {"invalid-port"}
    assert any(phrase in f.message for f in deployment.problems)
    for finding in deployment.problems:
        assert finding.location is not None
        assert finding.location.file == name
        assert finding.location.line is not None


def test_a_bomb_is_refused_quickly():
    import time

    start = time.perf_counter()
    with pytest.raises(InputError):
        load((MALFORMED / "billion-laughs.yaml").read_bytes(), input="bomb.yaml")
    assert time.perf_counter() - start < 2


def test_oversized_input_is_refused_before_parsing():
    from anbox_cloud_ports.sources import yamlload

    with pytest.raises(InputError, match="larger than"):
        load("a: b\n" * (yamlload.MAX_BYTES // 5 + 1), input="big.yaml")


def test_surrogates_in_text_are_refused():
    with pytest.raises(InputError, match=r"^surrogates\.yaml: not valid text"):
        load("applications:\n  \ud800: {}\n", input="surrogates.yaml")


# -- random inputs ------------------------------------------------------------------------------

KEYS = [
    "applications", "services", "machines", "relations", "saas", "bundle", "charm", "num_units", "scale", "to",
    "expose", "exposed-endpoints", "expose-to-cidrs", "expose-to-spaces", "options", "offers", "placement",
    "model", "units", "machine", "open-ports", "subordinates", "containers", "charm-name", "exposed",
    "subordinate-to", "port", "client-port", "exposed_instance_ports", "ams", "lxd", "nats", "0", "1", "lxd:0",
    "ams/0", "", "environment", "url",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70_000),
    st.sampled_from(KEYS),
    st.sampled_from(
        ["80/tcp", "10000-11000/udp", "icmp", "lxd:ams", "new", "kvm:new", "ams/1", "0.0.0.0/0", "ch:ams-3"]
    ),
    st.text(max_size=8),
    st.floats(allow_nan=False),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=30,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)

APPS = ["ams", "lxd", "nats", "coturn", "telegraf"]
PLACEMENTS = st.one_of(
    st.sampled_from(["0", "1", "2", "new", "lxd:new", "kvm:new"]),
    st.builds(
        lambda container, target: container + target,
        st.sampled_from(["", "lxd:", "kvm:"]),
        st.sampled_from(APPS + [f"{a}/{n}" for a in APPS for n in range(3)] + ["0", "1"]),
    ),
)
APPLICATIONS = st.fixed_dictionaries(
    {"charm": st.sampled_from(["ams", "ams-lxd", "nats", "coturn", "telegraf", "ch:ams-3"])},
    optional={
        "num_units": st.integers(0, 4),
        "to": st.lists(PLACEMENTS, max_size=4),
        "expose": st.booleans(),
        "options": st.dictionaries(
            st.sampled_from(["port", "client-port", "exposed_instance_ports", "x"]),
            st.one_of(st.integers(0, 70_000), st.text(max_size=12)),
            max_size=2,
        ),
    },
)
BUNDLES = st.fixed_dictionaries(
    {"applications": st.dictionaries(st.sampled_from(APPS), APPLICATIONS, min_size=1, max_size=5)},
    optional={
        "machines": st.dictionaries(st.sampled_from(["0", "1", "2"]), st.just({}), max_size=3),
        "relations": st.lists(
            st.lists(st.sampled_from(APPS + [f"{a}:juju-info" for a in APPS]), min_size=2, max_size=2),
            max_size=4,
        ),
    },
)
OVERLAYS = st.fixed_dictionaries(
    {},
    optional={
        "applications": st.dictionaries(
            st.sampled_from(APPS), st.one_of(st.none(), APPLICATIONS), max_size=3
        ),
        "machines": st.dictionaries(st.sampled_from(["0", "1", "2", "3"]), st.just({}), max_size=3),
    },
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_input_errors(text: str | bytes, overlays: list[tuple[str, str]] | None = None) -> None:
    try:
        deployment = load(text, input="random.yaml", overlays=overlays or [])
    except InputError as err:
        message = str(err)
    else:
        names = [unit.name for unit in deployment.units]
        assert len(names) == len(set(names))
        assert {claim.unit for claim in deployment.claims} <= set(names)
        return
    assert len(message.splitlines()) == 1
    assert message.startswith(("random.yaml", "overlay"))


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_input_errors(data: bytes):
    _only_input_errors(data)


@FAST
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#%@` \n\t?ab01/")), max_size=120))
def test_random_yamlish_text_raises_only_input_errors(text: str):
    _only_input_errors(text)


@FAST
@given(DOCUMENTS, st.booleans())
def test_random_structures_raise_only_input_errors(document: dict[str, object], as_json: bool):
    _only_input_errors(json.dumps(document) if as_json else yaml.safe_dump(document))


@FAST
@given(BUNDLES, st.lists(OVERLAYS, max_size=2))
def test_random_bundles_with_overlays_place_every_unit_once(
    base: dict[str, object], overlays: list[dict[str, object]]
):
    texts = [(yaml.safe_dump(overlay), f"overlay{i}.yaml") for i, overlay in enumerate(overlays)]
    _only_input_errors(yaml.safe_dump(base), texts)
    try:
        deployment = load_bundle(yaml.safe_dump(base), input="random.yaml", overlays=texts)
    except InputError:
        return
    counts = {name: 0 for name in deployment.applications}
    for unit in deployment.units:
        application, _, number = unit.name.partition("/")
        assert int(number) == counts[application]  # numbered from 0, in order
        counts[application] += 1


def test_hostile_names_and_values_stay_on_one_line():
    # a name Juju refuses is refused, in one line, before anything is judged
    text = 'applications:\n  "a\\nb\\u2028c":\n    charm: nats\n    num_units: 1\n    options: {client-port: "1\\n2"}\n'
    with pytest.raises(InputError) as info:
        load(text, input="names.yaml")
    assert str(info.value) == (
        'names.yaml:2: application "a\\nb\\u2028c" is not one Juju accepts: expected lowercase letters and '
        "digits in words joined by -, starting with a letter, each word holding a letter"
    )
    # a hostile value in a usable input is a finding of one line
    text = 'applications:\n  nats:\n    charm: nats\n    num_units: 1\n    options: {client-port: "1\\n2"}\n'
    [finding] = load(text, input="names.yaml").problems
    assert len(finding.message.splitlines()) == 1
    assert finding.fix is not None
    assert len(finding.fix.splitlines()) == 1
    with pytest.raises(InputError) as info:
        load('applications:\n  "x\\ny": {charm: ams, num_units: 1, to: ["9"]}\n', input="names.yaml")
    assert len(str(info.value).splitlines()) == 1
    status = 'model: {name: m}\napplications:\n  a:\n    charm: nats\n    units:\n      "a/0": {machine: "0", open-ports: ["x\\ny"]}\n'
    [finding] = load(status, input="s.yaml").problems
    assert len(finding.message.splitlines()) == 1
    status = status.replace('"a/0"', '"a/0\\u2029"')
    with pytest.raises(InputError, match=r'^s\.yaml:6: unit "a/0\\u2029" is not one Juju accepts'):
        load(status, input="s.yaml")
