"""Bundles as Juju reads them: placement, overlays, options, exposure, verification."""

from __future__ import annotations

import textwrap
from importlib import resources
from pathlib import Path

import pytest

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Deployment, ExposeTarget, Location
from anbox_cloud_ports.names import charm_name
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources import (
    Kind,
    detect,
    load,
    load_bundle,
    load_status,
    parse_placement,
    reference,
    register,
)
from anbox_cloud_ports.sources.bundle import Placement

DATA = Path(__file__).parents[1] / "data"
BUNDLES = DATA / "bundles"


def bundle(
    text: str, *, source: str = "bundle.yaml", overlays: tuple[tuple[str, str], ...] = ()
) -> Deployment:
    return load_bundle(textwrap.dedent(text), input=source, overlays=overlays)


def hosts(deployment: Deployment) -> dict[str, str]:
    return {unit.name: unit.host.machine for unit in deployment.units}


def refused(text: str, *, overlays: tuple[tuple[str, str], ...] = ()) -> str:
    with pytest.raises(InputError) as info:
        bundle(text, overlays=overlays)
    message = str(info.value)
    assert len(message.splitlines()) == 1
    return message


# -- reference forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        ("ams", "ams"),
        ("ch:ams", "ams"),
        ("ch:amd64/jammy/ams-42", "ams"),
        ("cs:~anbox-charmers/ams-42", "ams"),
        ("cs:focal/ams", "ams"),
        ("cs:~anbox-charmers/xenial/ams-lxd-7", "ams-lxd"),
        ("local:jammy/grafana-agent-3", "grafana-agent"),
        ("./local/path/ams", "ams"),
        ("./build/ams_ubuntu-22.04-amd64.charm", "ams"),
        ("/srv/charms/ams-lxd/", "ams-lxd"),
        ("mysql-8", "mysql-8"),  # no schema: the digits are part of the name
    ],
)
def test_charm_name_in_every_reference_form(ref: str, name: str):
    assert charm_name(ref) == name


@pytest.mark.parametrize(
    ("text", "placement"),
    [
        ("0", Placement(machine="0")),
        ("lxd:0", Placement("lxd", "0")),
        ("new", Placement(machine="new")),
        ("kvm:new", Placement("kvm", "new")),
        ("ams/1", Placement(application="ams", unit=1)),
        ("lxd:ams/1", Placement("lxd", application="ams", unit=1)),
        ("lxd:kubernetes-worker", Placement("lxd", application="kubernetes-worker")),
        ("lxd", Placement(application="lxd")),  # an application named lxd
    ],
)
def test_placement_grammar(text: str, placement: Placement):
    assert parse_placement(text) == placement


@pytest.mark.parametrize("text", ["lxd:haproxy=0", "new/0", "01", "lxd:", "Ams", "ams/", "lxd:0:1", ""])
def test_placement_grammar_refuses_what_juju_refuses(text: str):
    assert parse_placement(text) is None


# -- placement ------------------------------------------------------------------------------------


def test_juju_documentation_example():
    """`wordpress/0 wordpress/1 lxd:0 kvm:new`: hulk-smash, hulk-smash, new container, KVM on new machines."""
    deployment = load_bundle(
        (BUNDLES / "juju-doc-placement.yaml").read_text(), input="juju-doc-placement.yaml"
    )
    assert hosts(deployment) == {
        "wordpress/0": "0",
        "wordpress/1": "1",
        "mysql/0": "0",
        "mysql/1": "1",
        "mysql/2": "0/lxd/0",
        "mysql/3": "2/kvm/0",
        "mysql/4": "3/kvm/0",  # kvm:new is the last entry and repeats
    }


def test_a_machine_as_last_placement_is_not_repeated():
    """Juju reuses only `new` or a bare application: a specific machine or unit is not repeated."""
    deployment = bundle(
        """
        machines: {"0": {}, "1": {}}
        applications:
          ams: {charm: ams, num_units: 3, to: ["lxd:0"]}
          etcd: {charm: etcd, num_units: 2, to: ["1"]}
        """
    )
    assert hosts(deployment) == {"ams/0": "0/lxd/0", "ams/1": "2", "ams/2": "3", "etcd/0": "1", "etcd/1": "4"}


def test_unplaced_units_get_new_machines_numbered_after_the_bundle_ones():
    deployment = bundle(
        """
        machines: {"0": {}, "7": {}}
        applications:
          ams: {charm: ams, num_units: 1, to: ["7"]}
          etcd: {charm: etcd, num_units: 2, to: ["0"]}
          nats: {charm: nats, num_units: 2}
        """
    )
    # processing order is by application name: ams, etcd (its second unit gets 8), nats (9, 10)
    assert hosts(deployment) == {"ams/0": "7", "etcd/0": "0", "etcd/1": "8", "nats/0": "9", "nats/1": "10"}


def test_new_containers_are_numbered_per_machine_in_juju_processing_order():
    """Juju places applications in name order, so `lxd:0` containers are numbered by name, not document order."""
    deployment = bundle(
        """
        machines: {"0": {}}
        applications:
          zeta: {charm: ubuntu, num_units: 1, to: ["lxd:0"]}
          alpha: {charm: ubuntu, num_units: 2, to: ["lxd:0", "lxd:0"]}
          mid: {charm: ubuntu, num_units: 1, to: ["0"]}
        """
    )
    assert hosts(deployment) == {
        "zeta/0": "0/lxd/2",
        "alpha/0": "0/lxd/0",
        "alpha/1": "0/lxd/1",
        "mid/0": "0",
    }
    assert len({h for h in hosts(deployment).values()}) == 4  # each container is a host of its own


def test_bare_application_placement_takes_the_next_unit_then_new_machines():
    deployment = bundle(
        """
        machines: {"0": {}, "1": {}}
        applications:
          lxd: {charm: ams-lxd, num_units: 2, to: ["0", "1"]}
          agent: {charm: anbox-stream-agent, num_units: 3, to: [lxd]}
          sidecar: {charm: ubuntu, num_units: 3, to: ["lxd:lxd"]}
        """
    )
    assert hosts(deployment) == {
        "lxd/0": "0",
        "lxd/1": "1",
        "agent/0": "0",
        "agent/1": "1",
        "agent/2": "3",  # lxd has no third unit: a new machine
        "sidecar/0": "0/lxd/0",
        "sidecar/1": "1/lxd/0",
        "sidecar/2": "2",  # ran out: a new machine, without a container (definedApplicationForUnit)
    }
    # Juju's passes: agent waits for lxd; lxd then sidecar are placed in the first pass, agent in the
    # second, so sidecar's extra unit takes the first new machine.


def test_container_next_to_a_unit_in_a_container_is_a_sibling():
    deployment = bundle(
        """
        machines: {"0": {}}
        applications:
          gateway: {charm: anbox-stream-gateway, num_units: 1, to: ["lxd:0"]}
          coturn: {charm: coturn, num_units: 1, to: ["lxd:gateway/0"]}
          nats: {charm: nats, num_units: 1, to: ["gateway/0"]}
        """
    )
    assert hosts(deployment) == {"gateway/0": "0/lxd/0", "coturn/0": "0/lxd/1", "nats/0": "0/lxd/0"}


def test_placement_waits_for_the_application_it_names():
    """An application placed next to one later in name order is still placed after it."""
    deployment = bundle(
        """
        applications:
          alpha: {charm: ubuntu, num_units: 1, to: ["lxd:zulu/0"]}
          zulu: {charm: ubuntu, num_units: 1}
        """
    )
    assert hosts(deployment) == {"alpha/0": "0/lxd/0", "zulu/0": "0"}


def test_unquoted_integer_machine_keys_and_placements():
    deployment = bundle(
        """
        machines:
          0: {constraints: mem=8G}
          1:
        applications:
          ams: {charm: ams, num_units: 2, to: [0, 1]}
        """
    )
    assert hosts(deployment) == {"ams/0": "0", "ams/1": "1"}


# -- scalars and merge keys as Juju's YAML decoder reads them (docs/juju-facts.md#bundle-yaml) ---------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # `to: [010]` is the text "010" to Juju (not 8): not a machine number.
        (
            "machines: {'8': {}}\napplications:\n  ams: {charm: ams, num_units: 1, to: [010]}\n",
            'invalid placement syntax "010"',
        ),
        (
            "machines: {'1': {}}\napplications:\n  ams: {charm: ams, num_units: 1, to: [1.0]}\n",
            'invalid placement syntax "1.0"',
        ),
        # a machine key `0x1:` is the text "0x1" (not 1)
        (
            "machines: {0x1: {}}\napplications:\n  ams: {charm: ams, num_units: 1, to: ['1']}\n",
            'invalid machine id "0x1" found in machines',
        ),
        (
            "machines: {~: {}}\napplications:\n  ams: {charm: ams, num_units: 1}\n",
            'invalid machine id "" found in machines',
        ),
        # a relation end `1` is the text "1"
        (
            "applications:\n  ams: {charm: ams, num_units: 1}\nrelations: [[ams, 1]]\n",
            'invalid relation syntax "1"',
        ),
    ],
)
def test_plain_scalars_are_the_text_juju_reads(text: str, error: str):
    assert error in refused(text)


@pytest.mark.parametrize(
    ("units", "count"), [("2", 2), ("2.0", 2), ("2.5", 2), ("0x2", 2), ("010", 8), ("~", 0), ("1e+1", 10)]
)
def test_num_units_as_juju_reads_it(units: str, count: int):
    deployment = bundle(f"applications:\n  ams: {{charm: ams, num_units: {units}}}\n")
    assert len(deployment.units) == count


@pytest.mark.parametrize("units", ['"2"', "1e3", "2.0e0", "true", "y", "[2]"])
def test_num_units_juju_cannot_decode_empties_the_document(units: str):
    """A type error empties the whole document (BundleData.UnmarshalYAML returns before copying)."""
    message = refused(
        f"applications:\n  ams: {{charm: ams, num_units: {units}}}\n  lxd: {{charm: ams-lxd, num_units: 1}}\n"
    )
    assert message.startswith("bundle.yaml:2: applications.ams.num_units: cannot unmarshal ")
    assert message.endswith(
        "(Juju's YAML decoder stops there and reads the whole document as empty, so Juju refuses the "
        "bundle with 'at least one application must be specified')"
    )


def test_an_overlay_juju_cannot_decode_is_ignored_by_juju_and_refused_here():
    base = "applications:\n  ams: {charm: ams, num_units: 1}\n"
    message = refused(base, overlays=(('applications:\n  ams: {num_units: "2"}\n', "o.yaml"),))
    assert message.startswith("o.yaml:2: applications.ams.num_units: cannot unmarshal !!str `2` into int")
    assert "ignores this overlay document without a word (only --dry-run shows the error)" in message
    same_file = refused(base + '---\napplications:\n  ams: {trust: "yes"}\n')
    assert same_file.startswith(
        "bundle.yaml:5: document 2: applications.ams.trust: cannot unmarshal !!str `yes` into bool"
    )


def test_a_field_this_checker_ignores_still_has_to_decode():
    """`trust` moves no port, but a type error in it empties the document all the same."""
    assert "applications.ams.trust: cannot unmarshal !!str `yes` into bool" in refused(
        'applications:\n  ams: {charm: ams, num_units: 1, trust: "yes"}\n'
    )
    assert "expose: cannot unmarshal" not in refused(
        "applications:\n  ams: {charm: ams, num_units: 1, expose: y, trust: [1]}\n"
    )


def test_y_is_true_to_juju():
    deployment = bundle("applications:\n  coturn: {charm: coturn, num_units: 1, expose: y}\n")
    assert dict(deployment.applications["coturn"].exposed) == {"": ExposeTarget()}


def test_a_merge_key_applies_where_it_stands():
    """yaml.v2: a key before `<<` is overwritten, a key after it wins; options merge key by key."""
    deployment = bundle(
        """
        defaults: &ams
          charm: ams
          num_units: 2
          options: {port: 9000, prometheus_target_port: 9001}
        applications:
          before:
            num_units: 5
            <<: *ams
          after:
            <<: *ams
            num_units: 1
            options: {port: 9100}
        """
    )
    units = {u.application for u in deployment.units}
    assert units == {"before", "after"}
    assert len([u for u in deployment.units if u.application == "before"]) == 2
    assert len([u for u in deployment.units if u.application == "after"]) == 1
    after = {str(c.port) for c in deployment.claims if c.unit == "after/0"}
    assert after == {"9100/tcp", "9001/tcp"}  # port from the explicit map, the other kept from <<


def test_a_merge_of_applications_merges_the_map():
    deployment = bundle(
        """
        common: &common
          applications:
            nats: {charm: nats, num_units: 1}
        <<: *common
        applications:
          ams: {charm: ams, num_units: 1}
        """
    )
    assert set(deployment.applications) == {"nats", "ams"}


def test_unit_locations_point_at_their_placement_line():
    deployment = load_bundle((BUNDLES / "juju-doc-placement.yaml").read_text(), input="doc.yaml")
    where = {unit.name: unit.location for unit in deployment.units}
    assert where["mysql/0"] == Location("doc.yaml", 18)
    assert where["mysql/3"] == Location("doc.yaml", 21)
    assert where["mysql/4"] == Location("doc.yaml", 21)  # the repeated last entry
    assert deployment.applications["mysql"].location == Location("doc.yaml", 14)


def test_kubernetes_bundle_units_are_pods():
    deployment = load_bundle((BUNDLES / "kubernetes-bundle.yaml").read_text(), input="k8s.yaml")
    assert hosts(deployment) == {
        "nats/0": "nats/0",
        "nats/1": "nats/1",
        "nats/2": "nats/2",
        "traefik/0": "traefik/0",
    }


def test_kubernetes_bundle_with_machines_is_refused():
    message = refused(
        """
        bundle: kubernetes
        machines: {"0": {}}
        applications:
          nats: {charm: nats-k8s, scale: 1, to: ["0"]}
        """
    )
    assert "bundle machines not valid for Kubernetes bundles" in message


def test_legacy_services_key_is_not_read_by_juju_3_or_4():
    """juju/charm v9 removed `services:` ("Remove legacy services"); v12 (Juju 3.6) and main read it
    as an unknown field: a bundle holding only `services:` has no application."""
    message = refused((BUNDLES / "legacy-services.yaml").read_text())
    assert message == (
        "bundle.yaml:2: at least one application must be specified (Juju 3 and 4 no longer read the "
        "legacy services: key; rename it applications:)"
    )


def test_services_beside_applications_and_in_an_overlay_are_ignored():
    deployment = bundle((BUNDLES / "applications-and-services.yaml").read_text())
    assert hosts(deployment) == {"ams/0": "0"}
    deployment = bundle((BUNDLES / "overlay-uses-services.yaml").read_text())
    assert hosts(deployment) == {"ams/0": "0"}


# -- subordinates ----------------------------------------------------------------------------------


def test_subordinates_live_on_each_principal_unit():
    deployment = load_bundle((BUNDLES / "anbox-hulk-smashed.yaml").read_text(), input="lab.yaml")
    placed = hosts(deployment)
    assert placed["telegraf/0"] == placed["ams/0"] == "0"
    assert placed["telegraf/1"] == placed["lxd/0"] == "1"
    assert deployment.applications["telegraf"].subordinate
    assert all(u.subordinate for u in deployment.units if u.application == "telegraf")


def test_a_service_endpoint_many_apps_use_is_not_a_subordinate_scope():
    """mysql-router sits beside keystone (shared-db), not beside each mysql-innodb-cluster unit (db-router)."""
    deployment = bundle(
        """
        applications:
          keystone: {charm: keystone, num_units: 1}
          glance: {charm: glance, num_units: 1}
          mysql-innodb-cluster: {charm: mysql-innodb-cluster, num_units: 3}
          keystone-mysql-router: {charm: mysql-router}
          glance-mysql-router: {charm: mysql-router}
          ntp: {charm: ntp}
        relations:
          - [keystone-mysql-router:db-router, mysql-innodb-cluster:db-router]
          - [glance-mysql-router:db-router, mysql-innodb-cluster:db-router]
          - [keystone-mysql-router:shared-db, keystone:shared-db]
          - [glance-mysql-router:shared-db, glance:shared-db]
          - [ntp:juju-info, mysql-innodb-cluster:juju-info]
          - [ntp:juju-info, keystone:juju-info]
        """
    )
    placed = hosts(deployment)
    assert placed["keystone-mysql-router/0"] == placed["keystone/0"]
    assert placed["glance-mysql-router/0"] == placed["glance/0"]
    assert [u for u in placed if u.startswith("keystone-mysql-router/")] == ["keystone-mysql-router/0"]
    # juju-info always attaches: principals in natural order, then unit order
    assert [placed[f"ntp/{i}"] for i in range(4)] == [placed["keystone/0"]] + [
        placed[f"mysql-innodb-cluster/{i}"] for i in range(3)
    ]


def test_subordinate_related_only_to_a_saas_has_no_units():
    deployment = bundle(
        """
        saas:
          prometheus: {url: cos:admin/cos.prometheus}
        applications:
          ams: {charm: ams, num_units: 1}
          agent: {charm: grafana-agent}
        relations:
          - [agent, prometheus]
        """
    )
    assert [u.name for u in deployment.units] == ["ams/0"]
    assert deployment.applications["agent"].subordinate  # grafana-agent is a subordinate charm
    assert deployment.problems == ()


def test_a_principal_with_no_units_stays_without_units():
    """`num_units: 0` creates no unit; ams is a catalog charm, a principal: never read as a subordinate."""
    deployment = bundle(
        """
        applications:
          ams: {charm: ams, num_units: 0}
          lxd: {charm: ams-lxd, num_units: 2}
        relations:
          - [ams:lxd-cluster, lxd:api]
        """
    )
    assert [u.name for u in deployment.units] == ["lxd/0", "lxd/1"]
    assert not deployment.applications["ams"].subordinate
    assert deployment.problems == ()


def test_an_unknown_charm_read_as_a_subordinate_says_it_was_guessed():
    deployment = bundle(
        """
        applications:
          ams: {charm: ams, num_units: 2}
          exporter: {charm: node-exporter}
        relations:
          - [exporter:juju-info, ams:juju-info]
        """
    )
    assert hosts(deployment)["exporter/1"] == hosts(deployment)["ams/1"]
    [guess] = deployment.problems
    assert (guess.rule, guess.severity, guess.units) == (
        "guessed-subordinate",
        "info",
        ("exporter/0", "exporter/1"),
    )
    assert guess.message == (
        "application exporter (charm node-exporter, unknown to the catalog) has no units of its own and is "
        "related to applications that have (exporter:juju-info ams:juju-info): it is read as a subordinate, "
        "with a unit beside each unit of those applications; if its charm is not a subordinate, Juju gives it "
        "no unit at all"
    )
    assert guess.location == Location("bundle.yaml", 4)
    from anbox_cloud_ports.checks import check

    [finding] = [f for f in check(deployment).findings if f.rule == "guessed-subordinate"]
    assert finding.severity == "info"


@pytest.mark.parametrize(
    "charm",
    [
        "telegraf",
        "grafana-agent",
        "nrpe",
        "ntp",
        "filebeat",
        "landscape-client",
        "ubuntu-advantage",
        "opentelemetry-collector",
    ],
)
def test_known_subordinate_charms_are_not_guesses(charm: str):
    deployment = bundle(
        f"applications:\n  ams: {{charm: ams, num_units: 1}}\n  sub: {{charm: {charm}}}\nrelations:\n  - [sub, ams]\n"
    )
    assert hosts(deployment)["sub/0"] == hosts(deployment)["ams/0"]
    assert deployment.problems == ()


def test_a_known_subordinate_given_units_is_refused_as_juju_fails_it():
    message = refused("applications:\n  telegraf: {charm: telegraf, num_units: 2}\n")
    assert message == (
        "bundle.yaml:2: applications.telegraf.num_units: charm telegraf is a subordinate, so Juju fails to add "
        "the 2 unit(s) asked ('cannot add unit to application \"telegraf\": application is a subordinate'); "
        "a subordinate's units come from its relations: drop num_units (and to:)"
    )


def test_placement_with_no_units_is_too_many_placements():
    """verifyPlacement: `len(to) > num_units`, num_units 0 included."""
    message = refused("machines: {'0': {}}\napplications:\n  telegraf: {charm: telegraf, to: ['0']}\n")
    assert 'too many units specified in unit placement for application "telegraf"' in message


def test_a_catalog_can_declare_a_subordinate_with_ports():
    from anbox_cloud_ports.catalog import CatalogRow

    row = CatalogRow(
        "charmed", "Agent", ("my-agent",), "443", "TCP", False, "no", "metrics", subordinate=True
    )
    deployment = load_bundle(
        "applications:\n  agent: {charm: anbox-stream-agent, num_units: 1}\n  mine: {charm: my-agent}\n"
        "relations:\n  - [mine:juju-info, agent:juju-info]\n",
        input="b.yaml",
        catalog=Catalog.builtin().extend([row]),
    )
    assert deployment.problems == ()
    assert {(c.unit, str(c.port)) for c in deployment.claims} == {
        ("agent/0", "443/tcp"),
        ("mine/0", "443/tcp"),
    }


# -- options, claims, catalog ----------------------------------------------------------------------


def test_claims_are_catalog_defaults_or_moved_by_options():
    deployment = load_bundle((BUNDLES / "anbox-hulk-smashed.yaml").read_text(), input="lab.yaml")
    claims = {(c.unit, str(c.port)): c for c in deployment.claims}
    moved = claims[("ams/0", "8445/tcp")]
    assert (moved.origin, moved.option, moved.endpoint) == ("config", "port", "")
    assert moved.location == Location("lab.yaml", 14)
    assert claims[("ams/0", "20003/tcp")].option == "prometheus_target_port"
    assert claims[("nats/0", "4223/tcp")].option == "client-port"
    assert {p for (u, p) in claims if u == "lxd/0"} == {"8443/tcp", "20000-21000/tcp", "20000-21000/udp"}
    default = claims[("anbox-stream-agent/0", "443/tcp")]
    assert (default.origin, default.option) == ("catalog", None)
    assert default.row is not None
    assert default.row.service == "Anbox Stream Agent"
    assert claims[("anbox-stream-gateway-lb/0", "443/tcp")].row.service == "HAProxy"  # type: ignore[union-attr]
    assert deployment.unchecked == ("telegraf",)
    assert hosts(deployment)["coturn/0"] == "0/lxd/1"
    assert hosts(deployment)["nats/0"] == "0/lxd/2"


def test_values_that_cannot_be_ports_are_findings_and_defaults_stay():
    deployment = load_bundle((BUNDLES / "anbox-bad-options.yaml").read_text(), input="bad.yaml")
    findings = {f.units: f for f in deployment.problems}
    assert {f.rule for f in deployment.problems} == {"invalid-port"}
    assert {f.severity for f in deployment.problems} == {"error"}
    assert findings[("ams/0",)].location == Location("bad.yaml", 11)
    assert "70000" in findings[("ams/0",)].message
    assert findings[("lxd/0",)].location == Location("bad.yaml", 17)
    assert "10000 - 110000" in findings[("lxd/0",)].message
    assert (
        'client-port="11000-10000": must be a single port 1-65535, not a range'
        in findings[("nats/0",)].message
    )
    assert findings[("nats/0",)].fix == (
        "set applications.nats.options.client-port to a port number 1-65535 (the catalog default is 4222)"
    )
    ports = {(c.unit, str(c.port), c.origin) for c in deployment.claims}
    assert ("ams/0", "8444/tcp", "catalog") in ports
    assert ("lxd/0", "10000-11000/udp", "catalog") in ports
    assert ("nats/0", "4222/tcp", "catalog") in ports


@pytest.mark.parametrize(("option", "value"), [("port", "0"), ("exposed_instance_ports", '"0-100"')])
def test_an_option_of_port_0_is_an_operators_mistake(option: str, value: str):
    """Juju would open 0/tcp (docs/juju-facts.md#port-syntax), but a service told to listen on 0 gets
    any free port: the option is reported, as the charm library blocks it, and the default is checked."""
    charm = "ams" if option == "port" else "ams-lxd"
    deployment = bundle(
        f"applications:\n  app: {{charm: {charm}, num_units: 1, options: {{{option}: {value}}}}}\n"
    )
    [problem] = deployment.problems
    assert f"{option}=" in problem.message
    assert "1-65535" in problem.message
    assert not any(c.port.has_port_zero for c in deployment.claims)


def test_applications_outside_the_catalog_are_placed_but_claim_nothing():
    deployment = bundle(
        """
        machines: {"0": {}}
        applications:
          ams: {charm: ams, num_units: 1, to: ["0"]}
          grafana: {charm: grafana, num_units: 1, to: ["0"]}
        """
    )
    assert hosts(deployment) == {"ams/0": "0", "grafana/0": "0"}
    assert deployment.unchecked == ("grafana",)
    assert {c.unit for c in deployment.claims} == {"ams/0"}


def test_an_extended_catalog_and_the_appliance_profile():
    from anbox_cloud_ports.catalog import CatalogRow

    extra = CatalogRow("charmed", "Grafana", ("grafana",), "3000", "TCP", False, "no", "Dashboards")
    deployment = load_bundle(
        "applications:\n  grafana: {charm: grafana, num_units: 1}\n",
        input="g.yaml",
        catalog=Catalog.builtin().extend([extra]),
    )
    assert [str(c.port) for c in deployment.claims] == ["3000/tcp"]
    appliance = load_bundle(
        "applications:\n  nats: {charm: nats, num_units: 1}\n", input="n.yaml", profile="appliance"
    )
    assert [str(c.port) for c in appliance.claims] == ["4004/tcp"]
    assert appliance.profile == "appliance"


@pytest.mark.parametrize("charm", ["", "\n    charm:", '\n    charm: ""', "\n    charm: ~"])
def test_an_application_without_a_charm_is_refused_as_juju_refuses_it(charm: str):
    """bundledata.go verifyApplications: `if app.Charm == "" { addErrorf("empty charm path") }`."""
    message = refused(f"applications:\n  coturn:{charm}\n    num_units: 1\n")
    assert "empty charm path" in message


@pytest.mark.parametrize(
    ("charm", "extra", "error"),
    [
        # Juju 3 and 4 read ch: and local: only (url.go ParseURL: an opaque URL is a local one).
        (
            "cs:~anbox-charmers/ams-42",
            "",
            'cannot parse URL "cs:~anbox-charmers/ams-42": schema "cs" not valid',
        ),
        ("cs:ams", "", 'cannot parse URL "cs:ams": schema "cs" not valid'),
        ("ch:~user/ams", "", 'charmhub charm or bundle URL with user name: "ch:~user/ams" not valid'),
        ("Ams", "", 'cannot parse name and/or revision in URL "Ams": name "Ams" not valid'),
        ("ch:a/b/c/ams", "", 'charm or bundle URL "ch:a/b/c/ams" malformed'),
        ("ch:sparc/jammy/ams", "", 'architecture name "sparc" not valid'),
        ("ams?x=1", "", 'charm or bundle URL "ams?x=1" has unrecognized parts'),
        ("local:a/b/ams", "", 'charm or bundle URL has invalid form: "local:a/b/ams"'),
        # A revision goes in `revision:`, with a channel (verifyApplications).
        ("ams-42", "", 'cannot specify revision in "ch:ams-42", please use revision'),
        (
            "ch:amd64/jammy/ams-42",
            "",
            'cannot specify revision in "ch:amd64/jammy/ams-42", please use revision',
        ),
        ("ams", "revision: 42", 'application "ams" with a revision requires a channel for future upgrades'),
        (
            "ams",
            "{revision: -1, channel: stable}",
            'the revision for application "ams" must be zero or greater',
        ),
    ],
)
def test_charm_references_juju_refuses(charm: str, extra: str, error: str):
    fields = extra.strip("{}").replace(", ", "\n    ")
    body = f"\n    {fields}" if fields else ""
    message = refused(f"applications:\n  ams:\n    charm: {charm!r}\n    num_units: 1{body}\n")
    assert f'invalid charm URL in application "ams": {error}' in message or error in message


@pytest.mark.parametrize(
    "charm",
    [
        "ams",
        "ch:ams",
        "ch:amd64/jammy/ams",
        "ch:jammy/ams",
        "local:ams-3",
        "local:jammy/ams",
        "./ams",
        "/srv/ams",
    ],
)
def test_charm_references_juju_reads(charm: str):
    deployment = bundle(f"applications:\n  ams:\n    charm: {charm!r}\n    num_units: 1\n")
    assert deployment.applications["ams"].charm == "ams"


def test_storage_device_offer_and_resource_names_are_checked():
    text = """
        applications:
          ams:
            charm: ams
            num_units: 1
            storage: {Bad_Name: 10G}
        """
    assert 'invalid storage name "Bad_Name" in application "ams"' in refused(text)
    assert 'invalid device name "x_1"' in refused(
        text.replace("storage: {Bad_Name: 10G}", "devices: {x_1: gpu}")
    )
    assert 'missing resource name on application "ams"' in refused(
        text.replace("storage: {Bad_Name: 10G}", 'resources: {"": 3}')
    )
    assert 'resource revision "ams" is not int or string' in refused(
        text.replace("storage: {Bad_Name: 10G}", "resources: {r: 1.5}")
    )
    overlay = "applications:\n  ams:\n    offers:\n      Bad: {endpoints: [Api]}\n"
    message = refused(text.replace("storage: {Bad_Name: 10G}", ""), overlays=(("---\n" + overlay, "o.yaml"),))
    assert 'invalid offer name "Bad" in application "ams"' in message


# -- exposure ------------------------------------------------------------------------------------


def test_expose_true_is_the_wildcard_to_everyone():
    deployment = bundle("applications:\n  coturn: {charm: coturn, num_units: 1, expose: true}\n")
    assert dict(deployment.applications["coturn"].exposed) == {"": ExposeTarget()}
    assert deployment.applications["coturn"].exposed[""].everyone


def test_exposed_endpoints_from_an_overlay():
    base = (DATA.parent.parent.parent / "lib/anbox_cloud_ports/data/anbox-cloud.yaml").read_text()
    overlay = (BUNDLES / "anbox-overlay-endpoints.yaml").read_text()
    deployment = load_bundle(base, input="anbox-cloud.yaml", overlays=[(overlay, "overlay.yaml")])
    exposed = deployment.applications["lxd"].exposed
    assert dict(exposed) == {
        "instance-ports": ExposeTarget(cidrs=("192.0.2.0/24",)),
        "": ExposeTarget(spaces=("internal",)),
    }
    placed = hosts(deployment)
    assert (placed["lxd/0"], placed["lxd/1"]) == ("1", "3")
    assert "anbox-cloud-dashboard" not in deployment.applications
    assert not any(u.startswith("anbox-cloud-dashboard/") for u in placed)
    claims = {(c.unit, str(c.port)): c for c in deployment.claims}
    assert claims[("lxd/1", "10000-10999/udp")].location == Location("overlay.yaml", 20)
    assert ("nats/0", "4333/tcp") in claims
    assert deployment.applications["lxd"].location == Location("anbox-cloud.yaml", 35)


def test_expose_to_everyone_cidrs_means_everyone():
    deployment = bundle(
        """
        applications:
          coturn: {charm: coturn, num_units: 1}
        ---
        applications:
          coturn:
            exposed-endpoints:
              turn: {expose-to-cidrs: ["0.0.0.0/0", "::/0"]}
        """
    )
    assert deployment.applications["coturn"].exposed["turn"].everyone


def test_expose_and_exposed_endpoints_together_are_refused_with_jujus_words():
    message = refused(
        """
        applications:
          coturn: {charm: coturn, num_units: 1, expose: true}
        ---
        applications:
          coturn:
            exposed-endpoints:
              "": {expose-to-cidrs: [10.0.0.0/8]}
        """
    )
    assert message.startswith("bundle.yaml:7: applications.coturn.exposed-endpoints: ")
    assert message.endswith(
        'exposed-endpoints cannot be specified together with "exposed:true" in application "coturn" '
        "as this poses a security risk when deploying bundles to older controllers"
    )


# -- overlays --------------------------------------------------------------------------------------


BASE = """
machines: {"0": {}, "1": {}}
applications:
  ams: {charm: ams, num_units: 1, to: ["0"], options: {port: 8445, prometheus_target_port: 20003}}
  lxd: {charm: ams-lxd, num_units: 1, to: ["1"]}
  dashboard: {charm: anbox-cloud-dashboard, num_units: 1, to: ["lxd:0"]}
relations:
  - [ams, lxd]
  - [dashboard, ams]
"""


def test_overlay_merges_options_and_null_removes():
    overlay = """
applications:
  ams:
    options:
      port: null
      prometheus_target_port: 20004
  dashboard:
"""
    deployment = load_bundle(BASE, input="base.yaml", overlays=[(overlay, "ov.yaml")])
    ams = {str(c.port): c for c in deployment.claims if c.unit == "ams/0"}
    assert set(ams) == {"8444/tcp", "20004/tcp"}  # port back to its default, the other moved again
    assert ams["20004/tcp"].location == Location("ov.yaml", 6)
    assert "dashboard" not in deployment.applications


def test_overlay_replaces_placement_machines_and_adds_applications():
    overlay = """
machines: {"0": {}, "1": {}, "2": {}}
applications:
  lxd: {num_units: 2, to: ["1", "2"]}
  nats: {charm: nats, num_units: 1, to: ["lxd:2"]}
relations:
  - [nats, ams]
"""
    deployment = load_bundle(BASE, input="base.yaml", overlays=[(overlay, "ov.yaml")])
    assert hosts(deployment) == {
        "ams/0": "0",
        "lxd/0": "1",
        "lxd/1": "2",
        "dashboard/0": "0/lxd/0",
        "nats/0": "2/lxd/0",
    }
    assert deployment.applications["nats"].location == Location("ov.yaml", 5)


def test_overlay_empty_machines_block_replaces_the_base_machines():
    """`machines: {}` with `to: []` (openstack-bundles' virt overlay): every unit on a new machine."""
    overlay = """
machines: {}
applications:
  ams: {to: []}
  lxd: {to: []}
  dashboard: {to: []}
"""
    deployment = load_bundle(BASE, input="base.yaml", overlays=[(overlay, "ov.yaml")])
    assert hosts(deployment) == {"ams/0": "0", "dashboard/0": "1", "lxd/0": "2"}


def test_overlay_that_leaves_a_placement_dangling_is_refused():
    overlay = "machines: {}\n"
    with pytest.raises(InputError, match=r'placement "0" refers to a machine not defined in this bundle'):
        load_bundle(BASE, input="base.yaml", overlays=[(overlay, "ov.yaml")])


def test_overlay_document_in_the_same_file_and_an_empty_one():
    deployment = bundle(BASE + "\n---\n# nothing\n---\napplications:\n  lxd: {to: ['lxd:1']}\n")
    assert hosts(deployment)["lxd/0"] == "1/lxd/0"


def test_status_dump_cannot_take_overlays():
    status = (DATA / "status" / "anbox-status.yaml").read_text()
    with pytest.raises(InputError, match="overlays apply to bundles"):
        load(status, input="status.yaml", overlays=[("applications: {}\n", "ov.yaml")])


# -- verification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1, to: ['3']}\n",
            'placement "3" refers to a machine not defined',
        ),
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1, to: [b]}\n",
            'placement "b" refers to an application not defined',
        ),
        (
            "machines: {'0': {}}\napplications:\n  a: {charm: ubuntu, num_units: 1}\n",
            'machine "0" is not referred to',
        ),
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1}\nrelations:\n  - [a, a]\n",
            "relates an application to itself",
        ),
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1}\n  b: {charm: ubuntu}\nrelations:\n  - [a, b]\n  - [b, a]\n",
            "is defined more than once",
        ),
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1}\nrelations:\n  - ['a:Bad', a]\n",
            'invalid relation syntax "a:Bad"',
        ),
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1}\nsaas:\n  a: {url: x:y.z}\n",
            'application "a" already exists with SAAS "a" name',
        ),
        (
            "applications:\n  a: {charm: ubuntu, num_units: 1, placement: 'x=y'}\n",
            "not valid for non-Kubernetes application",
        ),
        (
            "bundle: openstack\napplications:\n  a: {charm: ubuntu, num_units: 1}\n",
            'bundle has an invalid type "openstack"',
        ),
        ("applications:\n  a:\n", 'bundle application for key "a" is undefined'),
    ],
)
def test_juju_verification_errors(text: str, expected: str):
    assert expected in refused(text)


def test_every_problem_is_counted_as_juju_does():
    message = refused("applications:\n  a: {charm: ubuntu, num_units: 2, to: ['3', '4']}\n")
    assert message.endswith(
        'placement "3" refers to a machine not defined in this bundle (and 1 more errors)'
    )


def test_base_is_verified_before_overlays_fix_it():
    """Juju verifies the base bundle alone first (ComposeAndVerifyBundle): an overlay cannot rescue it."""
    with pytest.raises(InputError, match="refers to a machine not defined"):
        bundle("applications:\n  a: {charm: ubuntu, num_units: 1, to: ['0']}\n---\nmachines: {'0': {}}\n")


# -- the data files and entry points --------------------------------------------------------------


def _no_overlaps(deployment: Deployment) -> None:
    host_of = {u.name: u.host for u in deployment.units}
    by_host: dict[object, list[tuple[str, PortRange]]] = {}
    for claim in deployment.claims:
        by_host.setdefault(host_of[claim.unit], []).append((claim.unit, claim.port))
    for claims in by_host.values():
        for i, (unit_a, a) in enumerate(claims):
            for unit_b, b in claims[i + 1 :]:
                assert unit_a == unit_b or not a.overlaps(b), (unit_a, a, unit_b, b)


def test_reference_layout():
    deployment = reference()
    assert deployment.input == "reference.yaml"
    assert hosts(deployment) == {
        "nats/0": "0",
        "anbox-stream-gateway/0": "0",
        "anbox-cloud-dashboard/0": "0",
        "anbox-stream-gateway-lb/0": "0",
        "ams/0": "1",
        "anbox-stream-agent/0": "1",
        "coturn/0": "1",
        "etcd/0": "2",
        "lxd/0": "3",
        "lxd/1": "4",
    }
    assert deployment.problems == ()
    assert deployment.unchecked == ()
    exposed = {name for name, app in deployment.applications.items() if app.exposed}
    assert exposed == {"coturn", "anbox-stream-gateway-lb"}
    for name in exposed:  # exposing is safe only where every catalog row is exposed externally
        assert all(
            c.row is not None and c.row.exposed for c in deployment.claims if c.unit.startswith(name + "/")
        )
    charmed_rows = {row for row in Catalog.builtin().profile("charmed")}
    assert {c.row for c in deployment.claims} == charmed_rows  # every row of the table is realised
    _no_overlaps(deployment)


@pytest.mark.parametrize("name", ["anbox-cloud-core.yaml", "anbox-cloud.yaml"])
def test_documented_layouts_load_cleanly(name: str):
    text = resources.files("anbox_cloud_ports.data").joinpath(name).read_text(encoding="utf-8")
    deployment = load(text, input=name)
    assert deployment.problems == ()
    assert deployment.unchecked == ("ca",)
    assert hosts(deployment)["ams/0"] == "0"
    assert hosts(deployment)["etcd/0"] == "0/lxd/1"  # "ca" sorts first: it gets 0/lxd/0
    _no_overlaps(deployment)


def test_load_detects_bundles_and_status_and_bytes():
    text = (BUNDLES / "juju-doc-placement.yaml").read_bytes()
    assert not load(text, input="b.yaml").observed
    assert load((DATA / "status" / "anbox-status.json").read_bytes(), input="s.json").observed
    assert load(b"\xef\xbb\xbf" + text, input="bom.yaml").units  # a UTF-8 byte order mark is fine
    utf16 = "\ufeff".encode("utf-16-le") + text.decode().encode("utf-16-le")
    assert len(load(utf16, input="utf16.yaml").units) == 7
    with pytest.raises(InputError, match="not a juju status document"):
        load_status(text, input="b.yaml")


def test_new_input_kinds_register_before_the_bundle_catch_all():
    def read(parsed, overlays, catalog, profile):  # type: ignore[no-untyped-def]
        return Deployment(input=parsed.input, applications={}, units=(), claims=())

    kind = Kind("marker", lambda doc: isinstance(doc, dict) and "marker" in doc, read)
    register(kind)
    try:
        assert detect.KINDS[-1].name == "bundle"
        assert load("marker: 1\n", input="m.yaml").input == "m.yaml"
    finally:
        detect.KINDS.remove(kind)


def test_a_status_dump_is_not_a_bundle():
    with pytest.raises(InputError, match="juju status document, not a bundle"):
        load_bundle((DATA / "status" / "anbox-status.yaml").read_text(), input="s.yaml")


def test_subordinate_units_are_bounded_too(monkeypatch: pytest.MonkeyPatch):
    from anbox_cloud_ports.sources.bundle import build as build_module

    monkeypatch.setattr(build_module, "MAX_PLACED_UNITS", 5)
    with pytest.raises(InputError, match="with its subordinates the bundle places 6 units"):
        bundle(
            """
            applications:
              ams: {charm: ams, num_units: 3}
              telegraf: {charm: telegraf}
            relations:
              - [telegraf, ams]
            """
        )
