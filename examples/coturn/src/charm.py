#!/usr/bin/env python3
"""Coturn, reduced to what anbox_cloud_ports does for it: its ports, their status, the validator."""

import ops

from anbox_cloud_ports.charm import ServicePorts


class CoturnCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        # Opens 5349/tcp, 5349/udp and the relay range on `public` in every hook, moves the relay
        # range with the charm's own `turn-port-range`, and publishes all three on `ports`.
        self.ports = ServicePorts(
            self,
            "coturn",
            options={"turn-port-range": "50000-51000/udp"},
            relation_name="ports",
            auto_status=False,  # this charm combines the library's status with its own
        )
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        realm = self.config.get("realm")
        if not realm:
            event.add_status(ops.BlockedStatus("no TURN realm: juju config coturn realm=<domain>"))
        elif self.ports.config_error is None:
            relay = self.ports.port_for("turn-port-range")
            event.add_status(ops.ActiveStatus(f"TURN realm {realm}, relay ports {relay}"))
        # Blocked on a bad port option or a port another unit holds; active (ops keeps the first
        # status of the highest priority, so the charm's own active message above) otherwise.
        event.add_status(self.ports.status())


if __name__ == "__main__":  # pragma: nocover
    ops.main(CoturnCharm)
