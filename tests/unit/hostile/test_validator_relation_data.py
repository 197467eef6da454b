"""The validator charm against hostile relation data: no hook raises, good units are judged, the bad one named.

Any related unit writes its own databag, so every value in it is hostile: escape sequences, Markdown,
oversized or malformed JSON, names Juju would never give. Each case puts one such unit beside two
well-formed units that conflict on machine 0, runs the hooks and actions under ops.testing, and
checks what an operator would see: the status stays one printable line, the `check` report still
holds the good units' conflict and names the bad unit, `list-ports` still lists the good units.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from ops import testing

from anbox_cloud_ports.charm.testing import provider_relation
from anbox_cloud_ports.databag import MAX_CLAIMS, MAX_FIELD_CHARS
from charm import AnboxCloudPortsCharm
from tests.hostile_text import HOSTILE, raw_controls


def _claims(*claims: dict[str, object]) -> str:
    return json.dumps(list(claims))


def _claim(port: str = "3478/udp", endpoint: str = "", source: str = "default") -> dict[str, object]:
    return {"port": port, "endpoint": endpoint, "exposed": True, "source": source}


BAD: dict[str, dict[str, object]] = {
    "service-escape": {"service": json.dumps("co\x1b[8mturn")},
    "service-markdown": {"service": json.dumps("ams` [x](https://evil.example) <img src=x>")},
    "machine-escape": {"machine": json.dumps("1\x1b]0;pwned\x07")},
    "machine-newline": {"machine": json.dumps("1\nFAILED")},
    "model-markdown": {"model": json.dumps("<img src=x>")},
    "profile-bidi": {"profile": json.dumps("charmed\u202e")},
    "version-text": {"version": json.dumps("\x1b[31m")},
    "version-negative": {"version": "-1"},
    "claims-not-json": {"claims": "\x1b[2J not json"},
    "claims-port-escape": {"claims": _claims(_claim("3478/udp\x1b[8m"))},
    "claims-port-injection": {"claims": _claims(_claim("80/tcp; rm -rf /"))},
    "claims-endpoint-escape": {"claims": _claims(_claim(endpoint="public\x1b[31m"))},
    "claims-endpoint-juju-refuses": {"claims": _claims(_claim(endpoint="public-"))},
    "claims-source-markdown": {"claims": _claims(_claim(source="option:[x](https://evil.example)"))},
    "claims-extra-field": {"claims": _claims({**_claim(), "note": "\x1b[8m"})},
    "claims-oversized": {"claims": "[" + " " * MAX_FIELD_CHARS + "]"},
    "claims-too-many": {
        "claims": _claims(*(_claim(f"{p}/tcp", source="extra") for p in range(1, MAX_CLAIMS + 2)))
    },
    "claims-deep": {"claims": "[" * 100_000 + "]" * 100_000},
    "claims-huge-number": {"claims": _claims(_claim("9" * 5000 + "/tcp"))},
    "version-float": {"version": "1.5e308"},
    "missing-keys": {"service": None, "claims": None},
}


def _relations(bad: dict[str, object]) -> list[testing.Relation]:
    coturn = provider_relation("coturn", {0: "1"})
    bag: dict[str, object] = {**coturn.remote_units_data[0]}
    for key, value in bad.items():
        if value is None:
            bag.pop(key)
        else:
            bag[key] = value  # a hostile unit writes whatever it likes
    return [
        dataclasses.replace(coturn, remote_units_data={0: bag}),  # type: ignore[dict-item]
        provider_relation("haproxy", {0: "0"}, app="anbox-stream-gateway-lb"),
        provider_relation("anbox-stream-agent", {0: "0"}),
    ]


@pytest.fixture
def ctx() -> testing.Context[AnboxCloudPortsCharm]:
    return testing.Context(AnboxCloudPortsCharm)


@pytest.mark.parametrize("name", list(BAD))
def test_a_hostile_unit_is_named_and_the_others_are_still_judged(
    name: str, ctx: testing.Context[AnboxCloudPortsCharm]
) -> None:
    relations = _relations(BAD[name])
    state = testing.State(relations=relations)
    for event in (ctx.on.update_status(), ctx.on.relation_changed(relations[0], remote_unit=0)):
        status = ctx.run(event, state).unit_status
        assert isinstance(status, testing.BlockedStatus)
        assert raw_controls(status.message, "") == []
    ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    assert raw_controls(ctx.action_results["status"], "") == []
    findings = json.loads(ctx.action_results["report"])["findings"]
    by_rule = {(f["rule"], tuple(f["units"])) for f in findings}
    assert ("port-conflict", ("anbox-stream-agent/0", "anbox-stream-gateway-lb/0")) in by_rule
    bad = [f for f in findings if "coturn/0" in f["units"]]
    assert bad, findings
    assert all(raw_controls(f["message"], "") == [] for f in bad)
    ctx.run(ctx.on.action("list-ports"), state)
    assert ctx.action_results is not None
    listed = {u["unit"] for h in json.loads(ctx.action_results["ports"])["hosts"] for u in h["units"]}
    assert {"anbox-stream-agent/0", "anbox-stream-gateway-lb/0"} <= listed


@pytest.mark.parametrize("text", HOSTILE[:20], ids=range(20))
def test_a_hostile_service_name_never_reaches_the_status_raw(
    text: str, ctx: testing.Context[AnboxCloudPortsCharm]
) -> None:
    state = testing.State(relations=_relations({"service": json.dumps(text)}))
    status = ctx.run(ctx.on.update_status(), state).unit_status
    assert raw_controls(status.message, "") == []
    ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    assert ctx.action_results["errors"] >= 2  # the bad unit and the good units' conflict
