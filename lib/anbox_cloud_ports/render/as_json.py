"""JSON: exactly one object on stdout, for CI and other tools."""

from __future__ import annotations

import json
from typing import Any

from ..findings import Finding, Report, Summary
from .common import host_name


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "hosts": [host_name(h) for h in finding.hosts],
        "units": list(finding.units),
        "ports": [str(p) for p in finding.ports],
        "fix": finding.fix,
        "location": (
            {"file": finding.location.file, "line": finding.location.line} if finding.location else None
        ),
        "views": list(finding.views),
    }


def summary_json(summary: Summary) -> dict[str, int]:
    return {
        "errors": summary.errors,
        "warnings": summary.warnings,
        "infos": summary.infos,
        "hosts": summary.hosts,
        "units": summary.units,
        "unchecked": summary.unchecked,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The one JSON document `check --format json` prints and the validator's `check` action returns."""
    return {
        "input": report.input,
        "juju": report.juju,
        "findings": [finding_json(f) for f in report.findings],
        "summary": summary_json(report.summary),
    }


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2) + "\n"
