"""SARIF 2.1.0, for code scanning: every rule declared with its description and remediation."""

from __future__ import annotations

import json
from typing import Any

from ..checks import RULES
from ..findings import Report
from .common import host_name

TOOL = "anbox-ports"


def _version() -> str:
    """The installed distribution's version; "unknown" when run from a source tree that was not installed."""
    from importlib import metadata

    try:
        return metadata.version("anbox-cloud-ports")
    except metadata.PackageNotFoundError:
        return "unknown"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 (OASIS): one run, every rule declared, results indexed to them."""
    rule_ids = [rule.id for rule in RULES]
    results: list[dict[str, Any]] = []
    for f in report.findings:
        location = f.location
        artifact = location.file if location else (report.input if not report.input.startswith("<") else None)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_ids.index(f.rule),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "properties": {
                "hosts": [host_name(h) for h in f.hosts],
                "units": list(f.units),
                "ports": [str(p) for p in f.ports],
                "views": list(f.views),
            },
        }
        if artifact:
            physical: dict[str, Any] = {"artifactLocation": {"uri": artifact}}
            if location and location.line is not None:
                physical["region"] = {"startLine": location.line}
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": _version(),
                        "rules": [
                            {
                                "id": rule.id,
                                "name": "".join(part.title() for part in rule.id.split("-")),
                                "shortDescription": {"text": rule.description},
                                "fullDescription": {"text": rule.description},
                                "help": {"text": rule.remediation},
                                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                            }
                            for rule in RULES
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
