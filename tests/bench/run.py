"""`tox -e bench`: every benchmark, one after the other, printing figures (no timed assertions)."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1] / "lib"), str(HERE.parents[1]), str(HERE.parent)]

BENCHES = (
    "bench_floor",
    "bench_engine",
    "bench_check",
    "bench_hooktools",
    "bench_terraform",
    "bench_hostile",
)


def main() -> None:
    only = set(sys.argv[1:])
    for name in BENCHES:
        if only and name not in only:
            continue
        if not (HERE / f"{name}.py").exists():
            print(f"== {name}: not present, skipped")
            continue
        print(f"== {name}")
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"== {name}: {time.perf_counter() - started:.1f} s\n")


if __name__ == "__main__":
    main()
