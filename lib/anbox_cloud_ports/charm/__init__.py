"""What runs inside a charm: open the catalog's ports (ranges, endpoints), publish them, test it.

    from anbox_cloud_ports.charm import ServicePorts

    def __init__(self, framework):
        super().__init__(framework)
        self.ports = ServicePorts(self, "coturn", options={"turn-port-range": "50000-51000/udp"},
                                  relation_name="ports")

That one line reconciles the unit's ports on every hook and reports conflicts in the unit's status
(docs/reference.md lists every argument). This package imports ops (and pydantic, for the option
models); the core `anbox_cloud_ports` imports neither, so the `anbox-ports` command never pays for
them. Test helpers are in `anbox_cloud_ports.charm.testing`.
"""

from .config import PortConfigError, PortOptions, config_error_message, config_model_for
from .declare import DeclarationError, ExtraPort, MissingEndpointError, OptionBindings
from .hooktools import HookTools, PortConflictError, SubprocessHookTools
from .interface import PortsProvider, PortsRequirer, PublishedClaim
from .opener import PortClaim, ServicePorts, desired_claims, use_hook_tools

__all__ = [
    "DeclarationError",
    "ExtraPort",
    "HookTools",
    "MissingEndpointError",
    "OptionBindings",
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
