"""Several bundles, each deployed into a model of its own: a host is (model, machine)."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.cli import main
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Host
from anbox_cloud_ports.sources import load_inputs

CONTROLLER = b"""
machines: {"0": {}}
applications:
  nats: {charm: nats, num_units: 1, to: ["0"]}
  gateway-lb: {charm: haproxy, num_units: 1, to: ["0"], expose: true}
"""

SUBCLUSTER = b"""
machines: {"0": {}}
applications:
  ams: {charm: ams, num_units: 1, to: ["0"]}
  nats: {charm: nats, num_units: 1, to: ["0"], options: {client-port: 8444}}
"""


def test_machine_0_of_two_bundles_is_two_hosts_and_findings_name_the_model():
    deployment = load_inputs(
        [(CONTROLLER, "ctl.yaml"), (SUBCLUSTER, "a.yaml")],
        model_names=["anbox-controller", "anbox-subcluster-a"],
    )
    assert deployment.hosts() == (Host("0", "anbox-controller"), Host("0", "anbox-subcluster-a"))
    # nats of both models are two applications: the same name in two models
    assert {"anbox-controller:nats", "anbox-subcluster-a:nats"} <= set(deployment.applications)
    [conflict] = [f for f in check(deployment).findings if f.rule == "port-conflict"]
    assert conflict.hosts == (Host("0", "anbox-subcluster-a"),)
    assert conflict.units == ("anbox-subcluster-a:ams/0", "anbox-subcluster-a:nats/0")
    # Juju's own error text names units within their model, as Juju does
    assert '(unit "nats/0"): port range conflicts with 8444/tcp (unit "ams/0")' in conflict.message


def test_without_model_names_each_model_is_named_after_its_file():
    deployment = load_inputs([(CONTROLLER, "bundles/anbox-controller.yaml"), (SUBCLUSTER, "sub-a.yaml")])
    assert {m.name for m in deployment.models.values()} == {"anbox-controller", "sub-a"}


@pytest.mark.parametrize(
    ("inputs", "names", "overlays", "says"),
    [
        (
            [(CONTROLLER, "Controller.yaml"), (SUBCLUSTER, "a.yaml")],
            [],
            [],
            "give --model-name NAME per bundle",
        ),
        ([(CONTROLLER, "c.yaml"), (SUBCLUSTER, "a.yaml")], ["one"], [], "gives 1 model names for 2 bundles"),
        ([(CONTROLLER, "c.yaml"), (SUBCLUSTER, "a.yaml")], ["m", "m"], [], "one model per bundle"),
        (
            [(CONTROLLER, "c.yaml"), (SUBCLUSTER, "a.yaml")],
            ["m", "M_2"],
            [],
            "is not a model name Juju accepts",
        ),
        ([(CONTROLLER, "c.yaml")], ["m"], [], "names the models of several bundle INPUTs"),
        ([(CONTROLLER, "c.yaml"), (SUBCLUSTER, "a.yaml")], [], [(SUBCLUSTER, "o.yaml")], "not to several"),
    ],
)
def test_what_cannot_name_the_models_is_one_line(
    inputs: list[tuple[bytes, str]], names: list[str], overlays: list[tuple[bytes, str]], says: str
):
    with pytest.raises(InputError, match=says):
        load_inputs(inputs, model_names=names, overlays=overlays)


def test_a_kubernetes_bundle_is_a_caas_model():
    k8s = b"bundle: kubernetes\napplications:\n  coturn: {charm: coturn, scale: 1}\n"
    deployment = load_inputs([(CONTROLLER, "c.yaml"), (k8s, "k8s.yaml")])
    assert {m.name: m.kind for m in deployment.models.values()} == {"c": "iaas", "k8s": "caas"}


def test_the_cli_takes_model_names(tmp_path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "c.yaml").write_bytes(CONTROLLER)
    (tmp_path / "a.yaml").write_bytes(SUBCLUSTER)
    code = main(
        [
            "check",
            str(tmp_path / "c.yaml"),
            str(tmp_path / "a.yaml"),
            "--model-name",
            "ctl",
            "--model-name",
            "sub",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "machine 0 of model sub" in out
