#!/usr/bin/env python3
"""The anbox-cloud-ports validator charm: relation data in, the engine's verdict out.

Thin on purpose: reading the relation, judging and wording the verdict all live in the library, so
the charm, `anbox-ports check` on a `juju show-unit` dump, and the tests share one implementation.
"""

from __future__ import annotations

import functools
import json
import logging

import ops
import pydantic

from anbox_cloud_ports.catalog import Profile
from anbox_cloud_ports.charm.interface import PortsRequirer
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.findings import JujuVersion, Report
from anbox_cloud_ports.render.as_json import report_json
from anbox_cloud_ports.render.status import deployment_json, status_line

logger = logging.getLogger(__name__)


class ValidatorConfig(pydantic.BaseModel):
    """The charm's options; an invalid value blocks the unit with the option named (ops load_config)."""

    model_config = pydantic.ConfigDict(frozen=True)

    juju: JujuVersion = "3"
    profile: Profile = "charmed"


class AnboxCloudPortsCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = PortsRequirer(self, "ports")
        framework.observe(self.on.collect_unit_status, self._on_collect_status)
        framework.observe(self.on.check_action, self._on_check)
        framework.observe(self.on.list_ports_action, self._on_list_ports)

    @functools.cached_property
    def _report(self) -> Report:
        # One charm instance lives for one hook: an action's report and the status collected at the
        # end of the same hook share one read of the relations and one check.
        config = self.load_config(ValidatorConfig, errors="blocked")
        return check(self.ports.deployment(profile=config.profile), juju=config.juju)

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        if not self.model.relations["ports"]:
            event.add_status(
                ops.WaitingStatus("waiting for an anbox_ports relation (juju integrate ... :ports)")
            )
            return
        state, message = status_line(self._report)
        event.add_status(ops.ActiveStatus(message) if state == "active" else ops.BlockedStatus(message))

    def _on_check(self, event: ops.ActionEvent) -> None:
        report = self._report
        event.set_results(
            {
                "report": json.dumps(report_json(report)),
                "errors": report.summary.errors,
                "status": status_line(report)[1],
            }
        )

    def _on_list_ports(self, event: ops.ActionEvent) -> None:
        event.set_results({"ports": json.dumps(deployment_json(self._report.deployment))})


if __name__ == "__main__":  # pragma: nocover
    ops.main(AnboxCloudPortsCharm)
