"""A large bundle through the sources: YAML parsing alone, load_bundle, and (if present) the full check.

The bundle is Anbox-shaped and generated: 2,000 machines, 6,000 units (LXD nodes, AMS and NATS
hulk-smashed beside them, stream agents in LXD containers, an exporter placed unit by unit), with
relations, options and an exposed application. Prints figures only: `python tests/bench/bench_check.py`.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT / "lib") not in sys.path:
    sys.path.insert(0, str(_ROOT / "lib"))

import yaml  # noqa: E402

from anbox_cloud_ports.sources import load_bundle, yamlload  # noqa: E402

T = TypeVar("T")

MACHINES = 2_000
REPEATS = 7


def generate(machines: int = MACHINES) -> str:
    """A bundle of `machines` machines and 3 units per machine, as YAML text."""
    half = machines // 2
    lines = ["description: generated Anbox Cloud at scale", "default-base: ubuntu@22.04", "machines:"]
    lines += [f'  "{m}":\n    constraints: cores=16 mem=32G' for m in range(machines)]
    lines.append("applications:")

    def app(name: str, charm: str, to: list[str], extra: str = "") -> None:
        lines.append(
            f"  {name}:\n    charm: {charm}\n    channel: 1.24/stable\n    num_units: {len(to)}{extra}"
        )
        lines.append("    to:")
        lines.extend(f'      - "{t}"' for t in to)

    app(
        "lxd",
        "ams-lxd",
        [str(m) for m in range(machines)],
        "\n    options:\n      exposed_instance_ports: 10000-11000",
    )
    app("ams", "ams", [str(m) for m in range(half, machines)], "\n    options:\n      port: 8444")
    app("agent", "anbox-stream-agent", [f"lxd:{m}" for m in range(half)])
    app("nats", "nats", [f"lxd:{m}" for m in range(half, machines)], "\n    expose: true")
    app("exporter", "node-exporter", [f"lxd/{m}" for m in range(half)])
    lines.append("relations:")
    lines += [
        "  - [ams, lxd]",
        "  - [agent, ams]",
        "  - [agent, nats]",
        '  - ["exporter:juju-info", "lxd:juju-info"]',
    ]
    return "\n".join(lines) + "\n"


def best(fn: Callable[[], T]) -> tuple[float, T]:
    times: list[float] = []
    result: Any = None
    for _ in range(REPEATS):
        gc.collect()  # each run starts with the same heap: no collection debt from the previous one
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    text = generate()
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    pure_s, _ = best(lambda: yaml.safe_load(text)) if loader is not yaml.SafeLoader else (0.0, None)
    parse_s, _ = best(lambda: yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader
    read_s, _ = best(lambda: yamlload.load(text, "bench.yaml"))
    load_s, deployment = best(lambda: load_bundle(text, input="bench.yaml"))
    print(f"bundle: {len(text) / 1024:.0f} KiB, {len(deployment.hosts())} hosts, {len(deployment.units)} units, "
          f"{len(deployment.claims)} claims")  # fmt: skip
    if pure_s:
        print(f"YAML parse alone (yaml.safe_load):      {pure_s * 1000:8.1f} ms")
    print(f"YAML parse alone ({loader.__name__}):        {parse_s * 1000:8.1f} ms")
    print(
        f"yamlload.load (parse + lines + bounds): {read_s * 1000:8.1f} ms   x{read_s / parse_s:.2f} of parse"
    )
    print(
        f"load_bundle (read, merge, place, claim): {load_s * 1000:8.1f} ms   x{load_s / parse_s:.2f} of parse"
        + (f", x{load_s / pure_s:.2f} of safe_load" if pure_s else "")
    )
    if (_ROOT / "lib" / "anbox_cloud_ports" / "checks.py").exists():
        from anbox_cloud_ports.checks import check

        check_s, report = best(lambda: check(load_bundle(text, input="bench.yaml")))
        findings = getattr(report, "findings", ())
        print(f"load_bundle + check:                    {check_s * 1000:8.1f} ms   x{check_s / parse_s:.2f} of parse"
              f"  ({len(findings)} findings)")  # fmt: skip


if __name__ == "__main__":
    main()
