#!/usr/bin/env python3
"""A minimal consumer of anbox_cloud_ports: opens the catalog ports of the service named by config.

A real Anbox charm names its service in code (`ServicePorts(self, "coturn")`); this one reads it from
config so one charm can stand in for every catalog service in the library's tests.
"""

from __future__ import annotations

import ops

from anbox_cloud_ports.charm import DeclarationError, MissingEndpointError, ServicePorts
from anbox_cloud_ports.charm.opener import profile_of


class PortsExampleCharm(ops.CharmBase):
    """Reconciles its ports on every event that can change them; steady state costs one hook tool call."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports: ServicePorts | None = None
        self._problem = ""
        try:
            self.ports = ServicePorts(
                self,
                str(self.config["service"]),
                profile=profile_of(self.config["profile"]),
                relation_name="ports",
            )
        except MissingEndpointError:
            raise  # a packaging mistake: fail loudly
        except (
            DeclarationError,
            ValueError,
        ) as err:  # an unknown service or profile: here, an operator's choice
            self._problem = str(err)
        for event in (
            self.on.install,
            self.on.config_changed,
            self.on.upgrade_charm,
            self.on.update_status,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _reconcile(self, _: ops.EventBase) -> None:
        if self.ports is not None:
            self.ports.reconcile()

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        if self._problem:
            event.add_status(ops.BlockedStatus(self._problem))
        event.add_status(ops.ActiveStatus())


if __name__ == "__main__":  # pragma: nocover
    ops.main(PortsExampleCharm)
