"""Reports whose every input-derived field carries one hostile string, for the renderer tests."""

from __future__ import annotations

from anbox_cloud_ports.findings import Finding, Report, Summary
from anbox_cloud_ports.model import Host, Location
from anbox_cloud_ports.ports import PortRange
from tests.unit.checks.builders import build


def hostile_report(text: str) -> Report:
    """An error and a warning whose message, fix, units, hosts, location and input all hold `text`."""
    findings = (
        Finding(
            rule="port-conflict",
            severity="error",
            message=f"ams/0 and {text} both need 8444/tcp",
            hosts=(Host(text, text),),
            units=("ams/0", text),
            ports=(PortRange.parse("8444/tcp"),),
            fix=f"move `{text}` elsewhere",
            location=Location(text, 3),
            views=("bind",),
        ),
        Finding(
            rule="external-port-unexposed",
            severity="warning",
            message=f"evil is not exposed ({text} description)",
            units=(text,),
            location=Location(text),
        ),
    )
    summary = Summary.of(findings, hosts=1, units=2)
    return Report(input=text, juju="3", findings=findings, summary=summary, deployment=build([], []))
