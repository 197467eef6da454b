"""What every fix test asserts: the overlay, read back with the bundle, leaves no error, and touches
only the applications the errors were about, or pins others exactly where they were (a unit placed
beside a unit that moves would otherwise follow it)."""

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
    others = overlay_apps(result.text) - error_apps(result.before)
    if others:
        # Pinned units keep their neighbours (a new machine may get another number, not other company).
        moved = error_apps(result.before)
        assert _company(result.before, others, moved) == _company(again, others, moved), result.text
        assert "pinned where it is" in result.text, result.text
    return result


def _company(report: Report, apps: set[str], moved: set[str]) -> dict[str, frozenset[str]]:
    """For each unit of `apps`, the other units on its host, the `moved` applications' units left out."""
    by_host: dict[object, set[str]] = {}
    for unit in report.deployment.units:
        if unit.application not in moved:
            by_host.setdefault(unit.host, set()).add(unit.key)
    return {
        unit.key: frozenset(by_host[unit.host] - {unit.key})
        for unit in report.deployment.units
        if unit.application in apps
    }
