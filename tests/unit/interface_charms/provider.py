"""An Anbox service charm reduced to its `anbox_ports` side: AMS publishing its catalog ports."""

from __future__ import annotations

from typing import Any

import ops

from anbox_cloud_ports.charm.interface import PortsProvider
from anbox_cloud_ports.databag import PublishedClaim
from anbox_cloud_ports.ports import PortRange

META: dict[str, Any] = {
    "name": "anbox-ports-test-provider",
    "provides": {"ports": {"interface": "anbox_ports"}},
}
CONFIG: dict[str, Any] = {"options": {"port": {"type": "int", "default": 8444}}}

CLAIMS_AT_DEFAULTS = (
    PublishedClaim(PortRange.parse("8444/tcp"), "", exposed=False, origin="default"),
    PublishedClaim(PortRange.parse("20002/tcp"), "", exposed=False, origin="default"),
)


class ProviderCharm(ops.CharmBase):
    """Publishes on every event, as a reconciling charm does; steady state writes nothing."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = PortsProvider(self, "ports")
        for event in (
            self.on.install,
            self.on.config_changed,
            self.on.ports_relation_created,
            self.on.ports_relation_joined,
            self.on.ports_relation_changed,
        ):
            framework.observe(event, self._publish)

    def _publish(self, _: ops.EventBase) -> None:
        port = self.config.get("port", 8444)
        api = (
            CLAIMS_AT_DEFAULTS[0]
            if port == 8444
            else PublishedClaim(PortRange.single(int(port)), "", exposed=False, origin="option:port")
        )
        self.ports.publish("ams", "charmed", (api, CLAIMS_AT_DEFAULTS[1]))
