"""Anbox Cloud's network ports as data, and the checks that keep deployments true to them.

The core (ports, catalog, deployment, checks, findings, report) imports neither ops nor YAML, so the
`anbox-ports` command starts fast and the engine runs anywhere; `anbox_cloud_ports.charm` is the
ops-facing side and `anbox_cloud_ports.sources` the YAML/JSON-facing side.
"""

from .catalog import Catalog, CatalogRow, ConfigOption, Profile
from .deployment import Application, Claim, Deployment, ExposeTarget, Host, Unit
from .errors import AnboxPortsError, InputError, PortRangeError
from .findings import Finding, Location, Severity, Summary
from .ports import ICMP, PortRange

__all__ = [
    "ICMP",
    "AnboxPortsError",
    "Application",
    "Catalog",
    "CatalogRow",
    "Claim",
    "ConfigOption",
    "Deployment",
    "ExposeTarget",
    "Finding",
    "Host",
    "InputError",
    "Location",
    "PortRange",
    "PortRangeError",
    "Profile",
    "Severity",
    "Summary",
    "Unit",
]
