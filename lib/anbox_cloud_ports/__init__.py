"""Anbox Cloud's network ports as data, and the checks that keep deployments true to them.

The core (ports, catalog, model, checks, findings, render) imports neither ops nor YAML, so the
`anbox-ports` command starts fast and the engine runs anywhere; `anbox_cloud_ports.charm` is the
ops-facing side and `anbox_cloud_ports.sources` the side that reads inputs. docs/architecture.md
walks through the layers.
"""

from typing import TYPE_CHECKING

from .catalog import Catalog, CatalogRow, ConfigOption, Profile
from .errors import AnboxPortsError, InputError, OptionError, PortRangeError
from .findings import Finding, Report, Severity, Summary
from .model import Application, Claim, Deployment, ExposeTarget, Host, Location, Model, Problem, Unit
from .ports import ICMP, PortRange

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed distribution when first asked for.

    importlib.metadata costs more to import than the rest of the package: the CLI never needs it.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("anbox-cloud-ports")
    except PackageNotFoundError:  # running from a checkout (lib/ on the path), not an installed distribution
        found = "0.2.0+checkout"
    globals()["__version__"] = found
    return found


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
    "Model",
    "OptionError",
    "PortRange",
    "PortRangeError",
    "Problem",
    "Profile",
    "Report",
    "Severity",
    "Summary",
    "Unit",
    "__version__",
]
