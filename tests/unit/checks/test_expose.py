"""checks/expose.py against the firewaller oracle (tests/unit/expose_oracle.py) and the facts page.

docs/juju-facts.md#expose: a per-endpoint entry overrides the wildcard for the ports opened on its
endpoint; a port opened for all endpoints gets the wildcard's sources and every named entry's; an
entry whose sources come out empty makes no rule; a space stands for its subnets.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.checks.expose import Reach, audience, exposing_rules, judge
from anbox_cloud_ports.model import Application, ExposeTarget
from tests.unit.expose_oracle import Entry, sources_for

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EVERYONE = frozenset({"0.0.0.0/0", "::/0"})
SUBNETS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"inside": ("10.0.0.0/8",), "dmz": ("203.0.113.0/24",), "empty": ()}
)
ENDPOINTS = ("", "public", "internal", "metrics")
PORTS = ("80/tcp", "443/tcp", "8443/tcp")

targets = st.builds(
    ExposeTarget,
    cidrs=st.lists(
        st.sampled_from(("10.0.0.0/8", "192.168.0.0/16", "198.51.100.0/24", "0.0.0.0/0")),
        max_size=2,
        unique=True,
    ).map(tuple),
    spaces=st.lists(st.sampled_from(tuple(SUBNETS)), max_size=2, unique=True).map(tuple),
)
exposures = st.dictionaries(st.sampled_from(ENDPOINTS), targets, min_size=1, max_size=4)
openings = st.dictionaries(
    st.sampled_from(ENDPOINTS), st.sets(st.sampled_from(PORTS), min_size=1), min_size=1, max_size=4
)


def app_with(rules: Mapping[str, ExposeTarget]) -> Application:
    return Application("lxd", "ams-lxd", MappingProxyType(dict(rules)))


def entry(target: ExposeTarget) -> Entry:
    """What Juju stores for a rule: no CIDRs and no spaces is 0.0.0.0/0 and ::/0 (MergeExposeSettings)."""
    if target.everyone:
        return EVERYONE, frozenset()
    return frozenset(target.cidrs), frozenset(target.spaces)


def resolved(target: ExposeTarget) -> frozenset[str]:
    cidrs, spaces = entry(target)
    return cidrs | {cidr for space in spaces for cidr in SUBNETS[space]}


def reach_of(sources: frozenset[str]) -> Reach:
    if not sources:
        return "none"
    public = {"0.0.0.0/0", "::/0", "198.51.100.0/24", "203.0.113.0/24"}
    return "public" if sources & public else "private"


@FAST
@given(exposures, openings)
def test_the_rules_reaching_a_port_give_exactly_the_firewallers_sources(
    rules: dict[str, ExposeTarget], opened: dict[str, set[str]]
):
    app = app_with(rules)
    entries = {name: entry(target) for name, target in rules.items()}
    subnets = {name: set(cidrs) for name, cidrs in SUBNETS.items()}
    for port in PORTS:
        ours: set[str] = set()
        for endpoint, ports in opened.items():
            if port in ports:
                for _, target in exposing_rules(app, endpoint):
                    ours |= resolved(target)
        assert ours == sources_for(entries, port, opened, subnets)


@FAST
@given(exposures, st.sampled_from(ENDPOINTS), st.sampled_from(PORTS))
def test_a_known_endpoint_has_one_verdict_the_firewallers(
    rules: dict[str, ExposeTarget], endpoint: str, port: str
):
    entries = {name: entry(target) for name, target in rules.items()}
    subnets = {name: set(cidrs) for name, cidrs in SUBNETS.items()}
    exposure = judge(app_with(rules), endpoint, endpoint_known=True, spaces=SUBNETS)
    assert len(exposure.cases) == 1
    assert exposure.reach == reach_of(sources_for(entries, port, {endpoint: {port}}, subnets))


@FAST
@given(exposures, st.sampled_from(PORTS))
def test_an_unknown_endpoint_is_judged_over_every_place_it_could_be(
    rules: dict[str, ExposeTarget], port: str
):
    """Widest and narrowest audience over: all endpoints, each named entry, an endpoint without one."""
    entries = {name: entry(target) for name, target in rules.items()}
    subnets = {name: set(cidrs) for name, cidrs in SUBNETS.items()}
    places = ["", *(name for name in rules if name), "no-entry"]
    reaches = [reach_of(sources_for(entries, port, {place: {port}}, subnets)) for place in places]
    order = ["public", "private", "none"]
    exposure = judge(app_with(rules), "", endpoint_known=False, spaces=SUBNETS)
    assert exposure.reach == min(reaches, key=order.index)
    assert exposure.narrowest == max(reaches, key=order.index)


def test_juju_expose_app_sh_ingress_cidrs():
    """Juju's own tests/suites/firewall/expose_app.sh (assert_ingress_cidrs_for_exposed_app)."""
    app = app_with(
        {
            "": ExposeTarget(cidrs=("10.0.0.0/24", "192.168.0.0/24")),
            "ubuntu": ExposeTarget(cidrs=("10.42.0.0/16", "2002:0:0:1234::/64")),
        }
    )
    # 1337-1339/tcp opened for all endpoints: the wildcard's CIDRs and ubuntu's.
    assert {cidr for _, t in exposing_rules(app, "") for cidr in t.cidrs} == {
        "10.0.0.0/24",
        "192.168.0.0/24",
        "10.42.0.0/16",
        "2002:0:0:1234::/64",
    }
    # 1234/tcp opened for ubuntu: ubuntu's only, the wildcard overridden.
    assert [name for name, _ in exposing_rules(app, "ubuntu")] == ["ubuntu"]


def test_a_port_on_an_endpoint_without_an_entry_gets_the_wildcard_or_nothing():
    both = app_with({"": ExposeTarget(), "public": ExposeTarget()})
    assert [name for name, _ in exposing_rules(both, "internal")] == [""]
    named = app_with({"public": ExposeTarget()})
    assert exposing_rules(named, "internal") == []
    assert [name for name, _ in exposing_rules(named, "")] == ["public"]


def test_audiences():
    assert audience(ExposeTarget()).reach == "public"
    assert audience(ExposeTarget(cidrs=("10.0.0.0/8", "fd00::/8"))).reach == "private"
    assert audience(ExposeTarget(cidrs=("10.0.0.0/8", "8.8.8.0/24"))).reach == "public"
    bad = audience(ExposeTarget(cidrs=("bogus",)))
    assert (bad.reach, bad.unparsable) == ("public", ("bogus",))


def test_a_space_is_an_unknown_audience_until_its_subnets_are_listed():
    target = ExposeTarget(spaces=("inside",))
    unlisted = audience(target)
    assert (unlisted.reach, unlisted.unlisted_spaces) == ("unknown", ("inside",))
    assert "space inside (whose subnets this input does not list)" in unlisted.text
    listed = audience(target, SUBNETS)
    assert (listed.reach, listed.text) == ("private", "space inside (10.0.0.0/8)")
    assert audience(ExposeTarget(spaces=("dmz",)), SUBNETS).reach == "public"
    # A space with no subnets makes no rule at all (firewaller.go: "no rules required").
    assert audience(ExposeTarget(spaces=("empty",)), SUBNETS).reach == "none"
    # A public CIDR beside an unlisted space is public whatever the space holds.
    assert audience(ExposeTarget(cidrs=("0.0.0.0/0",), spaces=("x",))).reach == "public"
