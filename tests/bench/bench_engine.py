"""The engine at scale: check() on 1k, 10k and 100k claims next to the brute-force pairwise oracle.

Prints figures only. Run with `python tests/bench/bench_engine.py` or through tests/bench/run.py.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "lib", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from anbox_cloud_ports.catalog import Catalog  # noqa: E402
from anbox_cloud_ports.checks import check, conflict_pairs  # noqa: E402
from anbox_cloud_ports.model import Application, Claim, Deployment, ExposeTarget, Host, Unit  # noqa: E402
from anbox_cloud_ports.ports import ICMP, PortRange, Protocol  # noqa: E402
from tests.unit.oracle import oracle_pairs  # noqa: E402

T = TypeVar("T")

SIZES = (1_000, 10_000, 100_000)
CLAIMS_PER_HOST = 10
ORACLE_BUDGET_S = 60.0
REPEATS = 3


def realistic(claims: int, seed: int = 7) -> Deployment:
    """An Anbox-shaped model: LXD nodes, stream agents and a third-party service on every host.

    Catalog claims (with endpoints and an exposed LXD application) keep every rule busy; random extra
    claims, a few of them ranges, give the conflict rule roughly one pair per host to report.
    """
    rng = random.Random(seed)
    catalog = Catalog.builtin()
    hosts = max(1, claims // CLAIMS_PER_HOST)
    units: list[Unit] = []
    out: list[Claim] = []
    lxd_rows = catalog.for_charm("ams-lxd")
    agent_rows = catalog.for_charm("anbox-stream-agent")
    for h in range(hosts):
        host = Host(str(h))
        lxd = Unit(f"lxd/{h}", "lxd", "ams-lxd", host)
        agent = Unit(f"anbox-stream-agent/{h}", "anbox-stream-agent", "anbox-stream-agent", host)
        svc = Unit(f"svc{h % 50}/{h}", f"svc{h % 50}", "svc", host)
        units += [lxd, agent, svc]
        for row in lxd_rows:
            for port in row.claims:
                out.append(Claim(lxd.name, port, "public" if row.exposed else "internal", row=row))
        for row in agent_rows:
            out.extend(Claim(agent.name, port, row=row) for port in row.claims)
        for _ in range(CLAIMS_PER_HOST - 4):
            out.append(Claim(svc.name, _random_range(rng), rng.choice(("", "db", "web"))))
    out = out[:claims]
    apps = {
        u.application: Application(u.application, u.charm)
        for u in units
        if u.application not in ("lxd", "anbox-stream-agent")
    }
    apps["lxd"] = Application("lxd", "ams-lxd", MappingProxyType({"public": ExposeTarget()}))
    apps["anbox-stream-agent"] = Application("anbox-stream-agent", "anbox-stream-agent")
    return Deployment(f"realistic-{claims}", MappingProxyType(apps), tuple(units), tuple(out))


def _random_range(rng: random.Random) -> PortRange:
    roll = rng.random()
    if roll < 0.03:
        return ICMP
    protocol: Protocol = "tcp" if roll < 0.65 else "udp"
    start = rng.randint(1024, 60000)
    if rng.random() < 0.1:
        return PortRange(protocol, start, start + rng.randint(1, 2000))
    return PortRange(protocol, start, start)


def adversarial(claims: int, seed: int = 11) -> Deployment:
    """Every claim on one host, ranges nested around one port and a few spanning 1-65535."""
    rng = random.Random(seed)
    host = Host("0")
    units = tuple(Unit(f"u{i}/0", f"u{i}", "svc", host) for i in range(claims))
    out: list[Claim] = []
    for i in range(claims):
        if i % 100 == 0:
            port = PortRange("tcp", 1, 65535)
        else:
            half = rng.randint(0, 30000)
            port = PortRange("tcp", 32768 - half, 32768 + half)
        out.append(Claim(units[i].name, port))
    apps = MappingProxyType({u.application: Application(u.application, u.charm) for u in units})
    return Deployment(f"adversarial-{claims}", apps, units, tuple(out))


def best_of(fn: Callable[[], T], repeats: int = REPEATS) -> tuple[float, T]:
    timings: list[float] = []
    results: list[T] = []
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        results.append(fn())
        timings.append(time.perf_counter() - started)
    return min(timings), results[-1]


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    print("engine: check() (sweep per host+protocol) vs brute-force pairwise oracle (tests/unit/oracle.py)")
    print(f"{'claims':>9} {'hosts':>7} {'units':>7} {'check() best of 3':>18} {'oracle':>34} {'findings':>9}")
    engine_times: list[float] = []
    oracle_times: list[float | None] = []
    per_pair: float | None = None
    for size in SIZES:
        deployment = realistic(size)
        hosts = len(deployment.hosts())
        took, report = best_of(lambda d=deployment: check(d))
        engine_times.append(took)
        findings = len(report.findings)
        pairs = size * (size - 1) // 2
        estimate = per_pair * pairs if per_pair is not None else None
        if estimate is not None and estimate > ORACLE_BUDGET_S:
            oracle_text = f"skipped (quadratic: est. {estimate:.0f} s)"
            oracle_times.append(None)
        else:
            repeats = REPEATS if estimate is None or estimate < 5 else 1
            oracle_took, expected = best_of(lambda d=deployment: oracle_pairs(d), repeats)
            agree = expected == conflict_pairs(deployment)
            oracle_text = f"{_fmt(oracle_took)} ({'agrees' if agree else 'DISAGREES'})"
            oracle_times.append(oracle_took)
            per_pair = oracle_took / pairs
        print(
            f"{size:>9,} {hosts:>7,} {len(deployment.units):>7,} {_fmt(took):>18} {oracle_text:>34} {findings:>9,}"
        )
    growth = ", ".join(
        f"{SIZES[i]:,}->{SIZES[i + 1]:,}: {engine_times[i + 1] / engine_times[i]:.1f}x"
        for i in range(len(SIZES) - 1)
    )
    print(f"growth per 10x claims, check(): {growth}")
    measured = [(SIZES[i], t) for i, t in enumerate(oracle_times) if t is not None]
    if len(measured) >= 2:
        oracle_growth = ", ".join(
            f"{measured[i][0]:,}->{measured[i + 1][0]:,}: {measured[i + 1][1] / measured[i][1]:.0f}x"
            for i in range(len(measured) - 1)
        )
        print(f"growth per 10x claims, oracle:  {oracle_growth}")

    size = 10_000
    deployment = adversarial(size)
    took, report = best_of(lambda: check(deployment))
    findings = report.findings
    pairs = size * (size - 1) // 2
    print(
        f"adversarial: {size:,} nested claims on one host: check() {_fmt(took)}, {len(findings)} findings "
        f"({pairs:,} conflicting pairs: {len(findings) - 1} listed, the rest summarised)"
    )
    print(
        f"  oracle skipped (quadratic: {pairs:,} pairs to compare and to hold in memory"
        + (f", est. {per_pair * pairs:.0f} s)" if per_pair is not None else ")")
    )


if __name__ == "__main__":
    main()
