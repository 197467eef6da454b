"""Hook tool calls per reconcile: ServicePorts (ranges) next to ops' `Unit.set_ports` (one entry per port).

Measured, not computed: both run against the fake Juju executables in tests/integration/fake_juju, put
on PATH, and every invocation is logged ($FAKE_JUJU_LOG). ServicePorts runs in the example charm under
ops.testing (which leaves hook tools alone, docs/juju-facts.md#ops-ports-limits); `set_ports` runs on a real `ops.Model` over
ops' real model backend, so ops' own code spawns the tools, as in a deployed charm.

Run with `python tests/bench/bench_hooktools.py` or through tests/bench/run.py. The set_ports rows
spawn one process per port (about 3000 in all), so this takes a minute or two.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "lib", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import ops  # noqa: E402
from ops import testing  # noqa: E402

from anbox_cloud_ports.catalog import Catalog  # noqa: E402
from tests.example_charm.src.charm import PortsExampleCharm  # noqa: E402
from tests.integration.fake_juju import _jujuports as jujuports  # noqa: E402

FAKE_JUJU = _ROOT / "tests" / "integration" / "fake_juju"
SERVICES = (("LXD node", "ams-lxd"), ("Coturn", "coturn"))


class Machine:
    """A fresh fake machine: its state file, its call log, and the hook currently running."""

    def __init__(self, root: Path):
        self.root = root
        self.state = root / "machine.json"
        self.log = root / "calls.jsonl"
        self.hooks = 0

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    @contextmanager
    def hook(self, unit: str) -> Generator[None]:
        """One hook of `unit`: the environment Juju gives it, and the commit when it ends."""
        self.hooks += 1
        self.log.write_text("")
        saved = dict(os.environ)
        os.environ.update(
            {
                "JUJU_UNIT_NAME": unit,
                jujuports.STATE_ENV: str(self.state),
                jujuports.LOG_ENV: str(self.log),
                jujuports.HOOK_ENV: f"hook-{self.hooks}",
            }
        )
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            jujuports.commit(str(self.state), unit)


@contextmanager
def fake_juju_on_path() -> Generator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-hooktools-") as tmp:
        root = Path(tmp)
        (root / "bin").mkdir()
        # The tools' shebang is `env -S python3 -S`: give them an interpreter that starts fast.
        (root / "bin" / "python3").symlink_to(sys.executable)
        saved = os.environ["PATH"]
        os.environ["PATH"] = os.pathsep.join([str(FAKE_JUJU), str(root / "bin"), saved])
        try:
            yield root
        finally:
            os.environ["PATH"] = saved


def _timed(action: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


# -- the two implementations ----------------------------------------------------------------------


def service_ports_run(machine: Machine, service: str) -> tuple[list[int], list[float]]:
    """First reconcile and steady state of the example charm (ServicePorts) for `service`."""
    charm = PortsExampleCharm
    ctx = testing.Context(charm, app_name=service)
    state = testing.State(config={"service": service})
    counts: list[int] = []
    seconds: list[float] = []
    for event in (ctx.on.install(), ctx.on.update_status()):
        with machine.hook(f"{service}/0"):
            state, elapsed = _timed(lambda event=event, state=state: ctx.run(event, state))  # type: ignore[misc]
            counts.append(len(machine.calls()))
            seconds.append(elapsed)
    return counts, seconds


def per_port(service: str) -> list[ops.Port]:
    """The service's catalog ports as `set_ports` wants them: one Port per port number."""
    return [
        ops.Port(port.protocol, number)
        for row in Catalog.builtin().for_charm(service)
        for port in row.claims
        for number in port.ports()
    ]


def ops_model(unit: str) -> ops.Model:
    """A real ops.Model over ops' real backend: its hook commands are subprocesses found on PATH."""
    meta = ops.CharmMeta.from_yaml(f"name: {unit.partition('/')[0]}\n")
    backend = ops.model._ModelBackend(unit_name=unit, model_name="bench", model_uuid="0" * 8)
    return ops.Model(meta, backend)


def set_ports_run(machine: Machine, service: str) -> tuple[list[int], list[float]]:
    unit = f"{service}/0"
    ports = per_port(service)
    counts: list[int] = []
    seconds: list[float] = []
    for _ in range(2):
        with machine.hook(unit):
            _, elapsed = _timed(lambda: ops_model(unit).unit.set_ports(*ports))
            counts.append(len(machine.calls()))
            seconds.append(elapsed)
    return counts, seconds


def set_ports_after_ranges(machine: Machine) -> str:
    """What ops does to a unit whose ranges ServicePorts opened (docs/juju-facts.md#ops-ports-limits), measured."""
    service_ports_run(machine, "ams-lxd")
    unit = "ams-lxd/0"
    logging.getLogger("ops").setLevel(logging.ERROR)  # ops warns per truncated range; summarised below
    with machine.hook(unit):
        seen = sorted(ops_model(unit).unit.opened_ports(), key=lambda p: (p.protocol, p.port or 0))
    try:
        with machine.hook(unit):
            ops_model(unit).unit.set_ports(*per_port("ams-lxd"))
    except ops.ModelError as err:
        outcome = f"ModelError: {str(err).strip()}"
    else:
        outcome = "no error"
    return (
        f"  ops Unit.opened_ports() sees {', '.join(f'{p.port}/{p.protocol}' for p in seen)} "
        f"(each range truncated to its first port)\n  ops Unit.set_ports(...) then fails: {outcome}"
    )


def main() -> None:
    rows: list[tuple[str, str, list[int], list[float]]] = []
    with fake_juju_on_path() as root:
        for label, service in SERVICES:
            ranges = [str(p) for row in Catalog.builtin().for_charm(service) for p in row.claims]
            print(f"{label} ({service}): {', '.join(ranges)} = {len(per_port(service))} ports")
            for name, run in (
                ("ServicePorts (ranges)", service_ports_run),
                ("ops set_ports, per port", set_ports_run),
            ):
                machine_dir = Path(tempfile.mkdtemp(dir=root))
                counts, seconds = run(Machine(machine_dir), service)
                rows.append((label, name, counts, seconds))
        print()
        print("hook tool calls per reconcile (fake Juju tools on PATH, every invocation counted)")
        header = f"{'service':<10} {'implementation':<24} {'first':>7} {'steady':>7} {'first s':>9} {'steady s':>9}"
        print(header)
        print("-" * len(header))
        for label, name, counts, seconds in rows:
            print(
                f"{label:<10} {name:<24} {counts[0]:>7} {counts[1]:>7} {seconds[0]:>9.2f} {seconds[1]:>9.2f}"
            )
        print()
        print("ops on a unit holding ranges (the LXD node after ServicePorts):")
        print(set_ports_after_ranges(Machine(Path(tempfile.mkdtemp(dir=root)))))


if __name__ == "__main__":
    main()
