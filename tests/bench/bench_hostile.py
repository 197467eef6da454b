"""Hostile inputs below the size limits, through the real CLI: wall time, CPU time and peak memory.

Each input is generated into a temporary directory and checked by `anbox-ports` in a child process
(`python -m anbox_cloud_ports.cli`), measured with os.wait4: what an attacker's file costs the person
who checks it. Prints figures only: `python tests/bench/bench_hostile.py [--lib DIR]` (`--lib` points
the child at another checkout's lib/, to compare before and after a change).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _flow_list(n: int) -> str:
    return "[" + ",".join(["1"] * n) + "]\n"


def _catalog_bomb() -> str:
    """131,070 ranges (every TCP and UDP port) for one charm, in files of the allowed shape."""
    ports = [f"{p}/tcp" for p in range(1, 65536)] + [f"{p}/udp" for p in range(1, 65536)]
    lines = ["services:"]
    for i in range(0, len(ports), 200):
        lines += [f"  - service: s{i}", "    charms: [ams]", "    ports: " + json.dumps(ports[i : i + 200])]
    return "\n".join(lines) + "\n"


def _units_on_one_machine(n: int) -> str:
    return f"machines:\n  '0': {{}}\napplications:\n  ams:\n    charm: ams\n    num_units: {n}\n    to: [{', '.join(['0'] * n)}]\n"


def _status(units: int) -> str:
    apps: dict[str, object] = {}
    for a in range(max(1, units // 1000)):
        apps[f"app{a}"] = {
            "charm": "ams",
            "exposed": False,
            "units": {
                f"app{a}/{i}": {
                    "workload-status": {"current": "active", "message": "ready"},
                    "juju-status": {"current": "idle", "version": "3.6.0"},
                    "machine": str(a * 1000 + i),
                    "open-ports": ["8444/tcp"],
                    "public-address": "10.0.0.1",
                }
                for i in range(min(units, 1000))
            },
        }
    machines = {str(m): {"dns-name": "10.0.0.1", "instance-id": f"juju-{m}"} for m in range(units)}
    return json.dumps({"model": {"name": "m", "type": "iaas"}, "machines": machines, "applications": apps})


def _yaml(text_json: str) -> str:
    import yaml

    return yaml.dump(json.loads(text_json), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))


CASES: list[tuple[str, Callable[[Path], list[str]]]] = []


def case(name: str) -> Callable[[Callable[[Path], list[str]]], Callable[[Path], list[str]]]:
    def register(make: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
        CASES.append((name, make))
        return make

    return register


@case("4 MB YAML flow list, 2 million scalars")
def _(d: Path) -> list[str]:
    (d / "flow4.yaml").write_text(_flow_list(2_000_000))
    return ["check", str(d / "flow4.yaml")]


@case("31 MB YAML flow list, 15.5 million scalars")
def _(d: Path) -> list[str]:
    (d / "flow31.yaml").write_text(_flow_list(15_500_000))
    return ["check", str(d / "flow31.yaml")]


@case('4 MB JSON object, 1 million values ({"a":[1,1,...]})')
def _(d: Path) -> list[str]:
    (d / "values.json").write_text('{"a": [' + ",".join(["1"] * 1_000_000) + "]}\n")
    return ["check", str(d / "values.json")]


@case("juju status JSON, 10,000 units (legitimate, 4 MB)")
def _(d: Path) -> list[str]:
    (d / "status10k.json").write_text(_status(10_000))
    return ["check", str(d / "status10k.json")]


@case("juju status YAML, 10,000 units (legitimate)")
def _(d: Path) -> list[str]:
    (d / "status10k.yaml").write_text(_yaml(_status(10_000)))
    return ["check", str(d / "status10k.yaml")]


@case("juju status YAML, 40,000 units")
def _(d: Path) -> list[str]:
    (d / "status40k.yaml").write_text(_yaml(_status(40_000)))
    return ["check", str(d / "status40k.yaml")]


@case("--catalog with 131,070 ranges for ams, 10 units on one machine")
def _(d: Path) -> list[str]:
    (d / "cat.yaml").write_text(_catalog_bomb())
    (d / "b10.yaml").write_text(_units_on_one_machine(10))
    return ["check", str(d / "b10.yaml"), "--catalog", str(d / "cat.yaml")]


@case("--catalog with 131,070 ranges for ams, 20 units on one machine")
def _(d: Path) -> list[str]:
    (d / "cat.yaml").write_text(_catalog_bomb())
    (d / "b20.yaml").write_text(_units_on_one_machine(20))
    return ["check", str(d / "b20.yaml"), "--catalog", str(d / "cat.yaml")]


@case("bundle of 100,000 ams units with 10 more catalog ports each")
def _(d: Path) -> list[str]:
    ports = json.dumps([f"{p}/tcp" for p in range(20000, 20010)])
    (d / "cat10.yaml").write_text(f"services:\n  - service: ten\n    charms: [ams]\n    ports: {ports}\n")
    (d / "b100k.yaml").write_text("applications:\n  ams:\n    charm: ams\n    num_units: 100000\n")
    return ["check", str(d / "b100k.yaml"), "--catalog", str(d / "cat10.yaml")]


def measure(argv: list[str], lib: Path, report: Path) -> tuple[float, float, float, int, str]:
    """Through tests/measured_run.py, so the figures are the CLI's own and not this process's."""
    env = {**os.environ, "PYTHONPATH": str(lib)}
    command = [sys.executable, "-m", "anbox_cloud_ports.cli", *argv]
    launcher = [
        sys.executable,
        str(ROOT / "tests" / "measured_run.py"),
        str(report),
        "900",
        str(16 << 30),
        "--",
    ]
    done = subprocess.run(
        [*launcher, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=True
    )
    cost = json.loads(report.read_text())
    return (
        cost["wall"],
        cost["cpu"],
        cost["peak_rss"] / (1024 * 1024),
        cost["exit"],
        done.stderr.decode(errors="replace"),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", type=Path, default=ROOT / "lib", help="the lib/ directory the child imports")
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args(argv if argv is not None else [])
    print(f"{'input':62} {'wall s':>7} {'cpu s':>6} {'peak MiB':>8} exit  stderr")
    with tempfile.TemporaryDirectory(prefix="acp-hostile-") as tmp:
        for name, make in CASES:
            if args.only and args.only not in name:
                continue
            work = Path(tmp) / str(len(name))
            work.mkdir(exist_ok=True)
            call = make(work)
            wall, cpu, rss, code, err = measure(call, args.lib.resolve(), Path(tmp) / "cost.json")
            line = err.strip().splitlines()[0] if err.strip() else ""
            print(f"{name:62} {wall:7.2f} {cpu:6.2f} {rss:8.0f} {code:4}  {line[:150]}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
