"""The real subprocess path: SubprocessHookTools and the example charm against fake Juju executables.

tests/integration/fake_juju holds `open-port`, `close-port` and `opened-ports` speaking Juju's command
lines, JSON and error texts, with one machine's state in $FAKE_JUJU_STATE. They are a second,
independent implementation of Juju's rules, so the last test drives random command sequences through
both them and the library's in-memory FakeHookTools and asks for identical answers.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ops
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ops import testing

from anbox_cloud_ports.charm import PortConflictError, SubprocessHookTools
from anbox_cloud_ports.charm.hooktools import EndpointNameError, port_argv
from anbox_cloud_ports.charm.testing import FakeHookTools, FakeMachine, expected_claims
from anbox_cloud_ports.ports import PortRange
from tests.example_charm.src.charm import PortsExampleCharm
from tests.integration.fake_juju import _jujuports as jujuports

HERE = Path(__file__).resolve().parent
FAKE_JUJU = HERE / "fake_juju"
READ = ["opened-ports", "--endpoints", "--format=json"]


CHARM: type[ops.CharmBase] = PortsExampleCharm


def P(text: str) -> PortRange:
    return PortRange.parse(text)


def _tool_path(root: Path) -> str:
    """fake_juju first; a `python3` that starts fast (the tools' shebang is `env -S python3 -S`)."""
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python3"
    if not python.exists():
        python.symlink_to(sys.executable)
    return os.pathsep.join([str(FAKE_JUJU), str(bin_dir), os.environ.get("PATH", "")])


@dataclass
class FakeJuju:
    state: Path
    log_file: Path
    hooks: int = 0

    def log(self) -> list[list[str]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def clear_log(self) -> None:
        self.log_file.write_text("")

    def new_hook(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hooks += 1
        monkeypatch.setenv(jujuports.HOOK_ENV, f"hook-{self.hooks}")

    def commit(self) -> None:
        jujuports.commit(str(self.state))

    def bind(self, app: str, endpoints: list[str]) -> None:
        document = json.loads(self.state.read_text()) if self.state.exists() else {}
        document.setdefault("endpoints", {})[app] = endpoints
        self.state.write_text(json.dumps(document))

    def opened(self, unit: str) -> set[tuple[PortRange, str]]:
        document = json.loads(self.state.read_text())
        group = document.get("units", {}).get(unit, {})
        return {(P(text), endpoint) for endpoint, ranges in group.items() for text in ranges}


@pytest.fixture
def juju(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeJuju:
    monkeypatch.setenv("PATH", _tool_path(tmp_path))
    fake = FakeJuju(tmp_path / "machine.json", tmp_path / "calls.jsonl")
    monkeypatch.setenv(jujuports.STATE_ENV, str(fake.state))
    monkeypatch.setenv(jujuports.LOG_ENV, str(fake.log_file))
    monkeypatch.setenv("JUJU_UNIT_NAME", "a/0")
    monkeypatch.delenv(jujuports.HOOK_ENV, raising=False)
    return fake


# -- SubprocessHookTools against the executables ----------------------------------------------


def test_ranges_and_endpoints_round_trip_through_the_real_tools(juju: FakeJuju) -> None:
    tools = SubprocessHookTools()
    tools.open_port(P("10000-11000/udp"), ["public"])
    tools.open_port(P("8443/tcp"), ["internal"])
    tools.open_port(P("80/tcp"), ())
    tools.open_port(P("8443/tcp"), ["public"])
    assert tools.opened_ports() == [
        (P("80/tcp"), ()),
        (P("8443/tcp"), ("internal", "public")),
        (P("10000-11000/udp"), ("public",)),
    ]
    tools.close_port(P("80/tcp"), ())
    tools.close_port(P("8443/tcp"), ["internal", "public"])
    assert tools.opened_ports() == [(P("10000-11000/udp"), ("public",))]
    assert juju.log()[:2] == [
        port_argv("open-port", P("10000-11000/udp"), ["public"]),
        port_argv("open-port", P("8443/tcp"), ["internal"]),
    ]


def test_a_conflict_between_two_units_sharing_the_machine_is_typed(juju: FakeJuju, monkeypatch) -> None:
    SubprocessHookTools().open_port(P("5349/udp"), ["public"])
    monkeypatch.setenv("JUJU_UNIT_NAME", "b/0")
    with pytest.raises(PortConflictError) as info:
        SubprocessHookTools().open_port(P("5000-6000/udp"), ["public"])
    error = info.value
    assert error.message == (
        'cannot open 5000-6000/udp (unit "b/0"): port range conflicts with 5349/udp (unit "a/0")'
    )
    assert (error.port, error.other_unit, error.other_port, error.action) == (
        P("5000-6000/udp"),
        "a/0",
        P("5349/udp"),
        "open",
    )


def test_any_other_failure_is_a_model_error_with_jujus_text(juju: FakeJuju) -> None:
    juju.bind("a", ["internal", "public"])
    with pytest.raises(ops.ModelError) as info:
        SubprocessHookTools().open_port(P("80/tcp"), ["admin"])
    assert not isinstance(info.value, PortConflictError)
    assert str(info.value) == (
        'ERROR cannot open/close ports: open port range: endpoint "admin" for unit "a/0" not found'
    )


def test_outside_a_hook_the_error_says_where_the_seam_is(juju: FakeJuju, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(ops.ModelError, match="fake_hook_tools"):
        SubprocessHookTools().opened_ports()


@pytest.mark.parametrize("endpoint", ["x 80", "a,", "a,b", "--endpoints", ""])
def test_injected_endpoints_never_reach_a_tool(juju: FakeJuju, endpoint: str) -> None:
    with pytest.raises(EndpointNameError):
        SubprocessHookTools().open_port(P("80/tcp"), [endpoint])
    with pytest.raises(TypeError):
        SubprocessHookTools().open_port("80 --endpoints x", ["public"])  # type: ignore[arg-type]
    assert juju.log() == []


def test_opened_ports_shows_this_hooks_pending_changes(juju: FakeJuju, monkeypatch) -> None:
    # docs/juju-facts.md#opened-ports-output: the hook's view includes its own opens and closes.
    juju.bind("a", ["internal", "public"])
    juju.new_hook(monkeypatch)
    tools = SubprocessHookTools()
    tools.open_port(P("80/tcp"), ())
    tools.open_port(P("443/tcp"), ["public"])
    assert tools.opened_ports() == [(P("80/tcp"), ()), (P("443/tcp"), ("public",))]
    assert juju.opened("a/0") == set()  # nothing committed yet
    tools.close_port(P("443/tcp"), ["public"])  # open then close in one hook: cancelled
    assert tools.opened_ports() == [(P("80/tcp"), ())]
    juju.commit()
    juju.new_hook(monkeypatch)
    # A wildcard range closed on one endpoint still shows (*) in the hook ...
    tools.close_port(P("80/tcp"), ["internal"])
    assert tools.opened_ports() == [(P("80/tcp"), ())]
    juju.commit()
    # ... and moves to the application's other endpoints when the hook commits.
    assert juju.opened("a/0") == {(P("80/tcp"), "public")}


def test_the_fake_tools_reject_what_juju_rejects(juju: FakeJuju) -> None:
    env = dict(os.environ)
    for argv, code, stderr in [
        (["open-port"], 2, "ERROR no port or range specified\n"),
        (["open-port", "80", "90"], 2, 'ERROR unrecognized args: ["90"]\n'),
        (["open-port", "20-10"], 2, "ERROR invalid port range 20-10/tcp\n"),
        (["open-port", "80/sctp"], 2, 'ERROR invalid protocol "sctp", expected "tcp", "udp", or "icmp"\n'),
        (["close-port", "--bogus", "80"], 2, "ERROR flag provided but not defined: --bogus\n"),
    ]:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        assert (result.returncode, result.stderr) == (code, stderr), argv
    result = subprocess.run(
        ["opened-ports", "--format=json"], capture_output=True, text=True, env=env, check=False
    )
    assert (result.returncode, result.stdout) == (0, "[]\n")


# -- the example charm, hook tools for real -----------------------------------------------------


def _run(juju: FakeJuju, monkeypatch, ctx, event, state: testing.State) -> testing.State:
    juju.new_hook(monkeypatch)
    out = ctx.run(event, state)
    juju.commit()  # the hook ended: Juju commits its port changes
    return out


@pytest.mark.parametrize("service", ["coturn", "ams-lxd", "ams", "nats"])
def test_example_charm_first_and_steady_state(juju: FakeJuju, monkeypatch, service: str) -> None:
    ctx = testing.Context(CHARM, app_name="a")
    juju.bind("a", ["internal", "public"])
    state = _run(juju, monkeypatch, ctx, ctx.on.install(), testing.State(config={"service": service}))
    expected = expected_claims(service)
    assert juju.opened("a/0") == expected
    opens = [argv for argv in juju.log() if argv[0] == "open-port"]
    assert juju.log() == [READ, *opens]
    assert len(opens) == len(expected)  # one call per range
    assert state.unit_status == testing.ActiveStatus()

    juju.clear_log()
    _run(juju, monkeypatch, ctx, ctx.on.update_status(), state)
    assert juju.log() == [READ]


def test_example_charm_config_change_moves_one_claim(juju: FakeJuju, monkeypatch) -> None:
    ctx = testing.Context(CHARM, app_name="a")
    juju.bind("a", ["internal", "public"])
    _run(juju, monkeypatch, ctx, ctx.on.install(), testing.State(config={"service": "nats"}))
    juju.clear_log()
    moved = testing.State(config={"service": "nats", "client-port": 5222})
    _run(juju, monkeypatch, ctx, ctx.on.config_changed(), moved)
    assert juju.log() == [
        READ,
        ["close-port", "4222/tcp"],
        ["open-port", "--endpoints", "internal", "5222/tcp"],
    ]
    assert juju.opened("a/0") == {(P("5222/tcp"), "internal")}


def test_two_units_on_one_machine_the_second_is_blocked(juju: FakeJuju, monkeypatch) -> None:
    first = testing.Context(CHARM, app_name="turn-a")
    second = testing.Context(CHARM, app_name="turn-b")
    _run(juju, monkeypatch, first, first.on.install(), testing.State(config={"service": "coturn"}))
    out = _run(juju, monkeypatch, second, second.on.install(), testing.State(config={"service": "coturn"}))
    assert out.unit_status == testing.BlockedStatus(
        "cannot open 5349/tcp: turn-a/0 holds 5349/tcp on this machine; move one of the units to another "
        "machine (and 2 more conflicts, see juju debug-log)"
    )
    assert juju.opened("turn-b/0") == set()
    assert juju.opened("turn-a/0") == expected_claims("coturn")


def test_injection_through_config_is_refused_before_any_tool(juju: FakeJuju, monkeypatch) -> None:
    ctx = testing.Context(CHARM, app_name="a")
    hostile = testing.State(
        config={"service": "ams-lxd", "exposed_instance_ports": "10000-11000 --endpoints x"}
    )
    out = _run(juju, monkeypatch, ctx, ctx.on.config_changed(), hostile)
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert out.unit_status.message.startswith(
        'Invalid config: exposed_instance_ports="10000-11000 --endpoints x"'
    )
    assert juju.log() == []


# -- the two fakes agree -------------------------------------------------------------------------

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["a/0", "b/0"]),
        st.sampled_from(["open-port", "close-port", "end-hook", "opened-ports"]),
        st.builds(
            lambda proto, lo, width: PortRange(proto, lo, lo + width),
            st.sampled_from(["tcp", "udp"]),
            st.integers(1, 12),
            st.sampled_from([0, 0, 2, 5]),
        ),
        st.sampled_from([(), ("public",), ("internal",), ("internal", "public")]),
    ),
    min_size=1,
    max_size=8,
)


_ONE = PortRange("tcp", 1, 1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_OPS)
# Found by hypothesis: a close-port refused for a co-located unit's range still cancels this hook's
# pending open of it, and a hook whose commit fails loses its pending changes (the subprocess fake
# kept both until its state file was written back on failure too).
@example([("a/0", "open-port", _ONE, ()), ("b/0", "open-port", _ONE, ()), ("a/0", "end-hook", _ONE, ()),
          ("b/0", "close-port", _ONE, ())])  # fmt: skip
@example([("a/0", "open-port", _ONE, ()), ("b/0", "open-port", _ONE, ()), ("a/0", "end-hook", _ONE, ()),
          ("b/0", "end-hook", _ONE, ())])  # fmt: skip
def test_the_subprocess_fake_and_the_in_memory_fake_agree(steps) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = root / "machine.json"
        state.write_text(
            json.dumps({"endpoints": {"a": ["internal", "public"], "b": ["internal", "public"]}})
        )
        machine = FakeMachine({"a": ["internal", "public"], "b": ["internal", "public"]})
        memory = {unit: FakeHookTools(unit, machine=machine) for unit in ("a/0", "b/0")}
        hooks = {"a/0": 0, "b/0": 0}
        path = _tool_path(root)

        def real(unit: str) -> SubprocessHookTools:
            env = {
                **os.environ,
                "PATH": path,
                "JUJU_UNIT_NAME": unit,
                jujuports.STATE_ENV: str(state),
                jujuports.HOOK_ENV: f"{unit}-{hooks[unit]}",
            }
            env.pop(jujuports.LOG_ENV, None)
            return SubprocessHookTools(
                runner=lambda argv: subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
            )

        for unit, verb, port, endpoints in steps:
            if verb == "end-hook":
                outcomes = [
                    _outcome(memory[unit].commit),
                    _outcome(lambda u=unit: jujuports.commit(str(state), u)),
                ]
                hooks[unit] += 1
                assert _same(outcomes), (unit, verb, outcomes)
                continue
            if verb == "opened-ports":
                # Both show this hook's pending changes (docs/juju-facts.md#opened-ports-output).
                assert memory[unit].opened_ports() == real(unit).opened_ports(), (unit, steps)
                continue
            method = verb.replace("-", "_")
            outcomes = [
                _outcome(functools.partial(getattr(memory[unit], method), port, endpoints)),
                _outcome(functools.partial(getattr(real(unit), method), port, endpoints)),
            ]
            assert _same(outcomes), (unit, verb, port, endpoints, outcomes)
        for unit in ("a/0", "b/0"):
            assert memory[unit].opened_ports() == real(unit).opened_ports()


def _outcome(action) -> str:
    try:
        action()
    except PortConflictError as err:
        return f"conflict: {err.message}"
    except ops.ModelError as err:
        return f"error: {str(err).removeprefix('ERROR ')}"
    except jujuports.CommandError as err:
        return f"error: {err}"
    return "ok"


def _same(outcomes: list[str]) -> bool:
    return outcomes[0] == outcomes[1]
