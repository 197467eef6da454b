"""The validator reduced to its `anbox_ports` side: read every related unit, report what it found."""

from __future__ import annotations

from typing import Any

import ops

from anbox_cloud_ports.charm.interface import PortsRequirer

META: dict[str, Any] = {
    "name": "anbox-ports-test-requirer",
    "requires": {"ports": {"interface": "anbox_ports"}},
}


class RequirerCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = PortsRequirer(self, "ports")
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        deployment = self.ports.deployment()
        errors = [p for p in deployment.problems if p.severity == "error"]
        summary = f"{len(deployment.units)} units on {len(deployment.hosts())} hosts"
        if errors:
            event.add_status(ops.BlockedStatus(f"{summary}; {errors[0].message}"))
        event.add_status(ops.ActiveStatus(summary))
