"""What every fix test asserts: the overlay, read back with the bundle, leaves no error, and touches
only the applications the errors were about."""

from __future__ import annotations

from collections.abc import Sequence

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.findings import Report
from anbox_cloud_ports.fix import FixResult, fix_bundle
from anbox_cloud_ports.sources import load_bundle, yamlload
from anbox_cloud_ports.sources.yamlload import as_mapping

Overlay = tuple[str | bytes, str]


def overlay_apps(text: str) -> set[str]:
    parsed = yamlload.load(text, "fix.yaml")
    if not parsed.documents or parsed.documents[0] is None:
        return set()
    top = as_mapping(parsed.documents[0])
    assert top is not None
    apps = as_mapping(top.get("applications")) or {}
    return {str(name) for name in apps}


def error_apps(report: Report) -> set[str]:
    units = report.deployment.unit_map()
    return {
        units[name].application
        for f in report.findings
        if f.severity == "error"
        for name in f.units
        if name in units
    }


def fixed(base: str | bytes, overlays: Sequence[Overlay] = (), *, name: str = "bundle.yaml") -> FixResult:
    """fix_bundle's result, after asserting its promise independently of its own proof."""
    result = fix_bundle(base, input=name, overlays=overlays)
    assert result.ok, result.text
    again = check(load_bundle(base, input=name, overlays=[*overlays, (result.text, "fix.yaml")]))
    assert again.summary.errors == 0, [f.message for f in again.findings if f.severity == "error"]
    assert overlay_apps(result.text) <= error_apps(result.before), result.text
    return result
