"""What runs inside a charm: open the catalog's ports (ranges, endpoints) and validate port options.

    from anbox_cloud_ports.charm import ServicePorts

    def __init__(self, framework):
        super().__init__(framework)
        self.ports = ServicePorts(self, "coturn", relation_name="ports")
        framework.observe(self.on.config_changed, self._on_change)  # and install, update-status...

    def _on_change(self, _):
        self.ports.reconcile()

This package imports ops (and pydantic, for the option models); the core `anbox_cloud_ports` imports
neither, so the `anbox-ports` command never pays for them.
"""

from .config import PortConfigError, PortOptions, config_error_message, config_model_for
from .hooktools import HookTools, PortConflictError, SubprocessHookTools
from .interface import PortsProvider, PortsRequirer, PublishedClaim
from .opener import MissingEndpointError, PortClaim, ServicePorts, desired_claims, use_hook_tools

__all__ = [
    "HookTools",
    "MissingEndpointError",
    "PortClaim",
    "PortConfigError",
    "PortConflictError",
    "PortOptions",
    "PortsProvider",
    "PortsRequirer",
    "PublishedClaim",
    "ServicePorts",
    "SubprocessHookTools",
    "config_error_message",
    "config_model_for",
    "desired_claims",
    "use_hook_tools",
]
