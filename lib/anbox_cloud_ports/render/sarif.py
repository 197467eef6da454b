"""SARIF 2.1.0, for code scanning: every rule declared with its description and remediation.

Messages are plain text escaped by `text.for_sarif` (no control character, no embedded link, no
placeholder from input), and an artifact's location is a URI reference, percent-encoded: a file name
is input too. The property bags keep their values exact; JSON escapes them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote as percent_encode

from ..checks import RULES
from ..findings import Report
from ..text import for_sarif
from .common import host_name

TOOL = "anbox-ports"


def _version() -> str:
    """The installed distribution's version; "unknown" when run from a source tree that was not installed."""
    from importlib import metadata

    try:
        return metadata.version("anbox-cloud-ports")
    except metadata.PackageNotFoundError:
        return "unknown"


def artifact_uri(path: str) -> str:
    """A file name as the URI reference SARIF's artifactLocation.uri must be (RFC 3986, percent-encoded).

    A name Python decoded from bytes that are not UTF-8 holds surrogate escapes: they go back to those
    bytes; any other lone surrogate is encoded as it stands rather than failing the report.
    """
    try:
        return percent_encode(path, safe="/", errors="surrogateescape")
    except UnicodeEncodeError:
        return percent_encode(path, safe="/", errors="surrogatepass")


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
            "message": {"text": for_sarif(f.message + (f" Fix: {f.fix}" if f.fix else ""))},
            "properties": {
                "hosts": [host_name(h) for h in f.hosts],
                "units": list(f.units),
                "ports": [str(p) for p in f.ports],
                "views": list(f.views),
            },
        }
        if artifact:
            physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(artifact)}}
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
