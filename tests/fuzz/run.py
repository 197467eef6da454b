"""`tox -e fuzz`: the long fuzz campaign over every parser and source, printing what it tried and found.

    python tests/fuzz/run.py --examples 2000              # hypothesis, atheris when installed, growth, bombs
    python tests/fuzz/run.py --only bundle --examples 20000
    python tests/fuzz/run.py --atheris-runs 0 --no-growth  # hypothesis only

Per target it prints the inputs tried, the failures (exceptions outside the documented ones, each with
its smallest input) and, per input-size bucket, the slowest input: flat microseconds per character
across buckets is what linear time looks like. Then the time-versus-size table (each source at 1x, 10x
and 100x, ratio about 10 per step when linear) and the hostile documents (YAML bombs and friends),
each of which must be refused with a clear InputError within seconds.

Exit status: 0 when nothing new was found, 1 when a target failed in a way KNOWN_BUGS does not list,
an input family grew superlinearly, or a bomb was not refused in time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "lib"), str(ROOT)]

# Buckets of input size (characters) for the slowest-input table.
BUCKETS = (64, 256, 1_024, 4_096, 16_384, 65_536, math.inf)
# One input slower than this (plus a per-character allowance) is reported as a time failure.
SLOW_SECONDS = 1.0
SLOW_PER_CHAR = 50e-6
# Time growing faster than size to this power (from 10x to 100x) is superlinear; n log n gives ~1.05.
SUPERLINEAR_EXPONENT = 1.4
BOMB_SECONDS = 5.0
# An input slower than this is timed again before it is recorded.
RETIME_SECONDS = 0.02
ARTIFACTS = Path(tempfile.gettempdir()) / "acp-fuzz-artifacts"


@dataclass
class Failure:
    kind: str
    message: str
    value: Any
    size: int
    known: str | None
    count: int = 1


@dataclass
class Campaign:
    name: str
    tried: int = 0
    seconds: float = 0.0
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict[tuple[str, str], Failure])
    slowest: dict[float, tuple[float, int]] = field(default_factory=dict[float, tuple[float, int]])
    slow: list[tuple[float, int, Any]] = field(default_factory=list[tuple[float, int, Any]])
    atheris_runs: int | None = None
    atheris_note: str = ""

    def record(self, value: Any, size: int, seconds: float, outcome: Any) -> None:
        self.tried += 1
        self.seconds += seconds
        bucket = next(b for b in BUCKETS if size <= b)
        if seconds > self.slowest.get(bucket, (0.0, 0))[0]:
            self.slowest[bucket] = (seconds, size)
        if seconds > SLOW_SECONDS + SLOW_PER_CHAR * size:
            self.slow.append((seconds, size, value))
        error = outcome.error
        if error is not None:
            self.add_failure(
                type(error).__name__, str(error), value, size, outcome.known.title if outcome.known else None
            )

    def add_failure(self, kind: str, message: str, value: Any, size: int, known: str | None) -> None:
        # One entry per exception type and message shape (digits and quoted text blanked).
        signature = (kind, re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", message)[:80])
        found = self.failures.get(signature)
        if found is None:
            self.failures[signature] = Failure(kind, message, value, size, known)
            return
        found.count += 1
        if size < found.size:
            found.value, found.size, found.message = value, size, message

    @property
    def new_failures(self) -> list[Failure]:
        return [f for f in self.failures.values() if f.known is None]


# -- hypothesis --------------------------------------------------------------------------------------


def hypothesis_campaign(target: Any, examples: int, seed: int | None) -> Campaign:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from tests.fuzz.fuzz_targets import exercise, size_of

    campaign = Campaign(target.name)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=cast(list[HealthCheck], list(HealthCheck)),
    )
    @given(target.strategy())
    def run(value: Any) -> None:
        started = time.perf_counter()
        outcome = exercise(target, value)
        seconds = time.perf_counter() - started
        if seconds > RETIME_SECONDS:
            seconds = min(seconds, retime(target, value))
        campaign.record(value, size_of(value), seconds, outcome)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    run()
    return campaign


def retime(target: Any, value: Any) -> float:
    """The best of two more runs, after a collection: a pause of the collector over hypothesis' own
    heap, or another process on the machine, is not the library's time."""
    from tests.fuzz.fuzz_targets import exercise

    best = math.inf
    for _ in range(2):
        gc.collect()
        started = time.perf_counter()
        exercise(target, value)
        best = min(best, time.perf_counter() - started)
    return best


# -- atheris (coverage-guided, in a child process: libFuzzer exits the process when done) --------------


def atheris_child(name: str, argv: list[str]) -> None:
    import importlib

    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports(include=["anbox_cloud_ports"]):  # pyright: ignore[reportAttributeAccessIssue]
        # Every module the targets reach, so that coverage guides the fuzzer through all of them.
        for module in ("sources", "sources.show_unit", "charm", "appliance", "databag", "checks", "report"):
            importlib.import_module(f"anbox_cloud_ports.{module}")
    from tests.fuzz.fuzz_targets import exercise, target

    chosen = target(name)
    known = [0]

    strict = os.environ.get("ACP_FUZZ_STRICT") == "1"

    def one_input(data: bytes) -> None:
        value = chosen.from_bytes(data)
        outcome = exercise(chosen, value)
        if outcome.known is not None and not strict:
            known[0] += 1
        elif outcome.error is not None:
            raise outcome.error

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


def atheris_campaign(
    target: Any, campaign: Campaign, runs: int, max_len: int, *, strict: bool = False
) -> None:
    from tests.fuzz.fuzz_targets import YAML_TOKENS, exercise, size_of

    with tempfile.TemporaryDirectory(prefix="acp-fuzz-") as work:
        corpus = Path(work, "corpus")
        corpus.mkdir()
        for index, seed in enumerate(target.seeds()):
            Path(corpus, f"seed{index}").write_bytes(seed)
        dictionary = Path(work, "tokens.dict")
        dictionary.write_text(
            "".join(f'"{_dict_escape(token)}"\n' for token in YAML_TOKENS if len(token) < 64)
        )
        argv = [
            sys.executable, str(Path(__file__).resolve()), "--atheris-child", target.name, "--",
            f"-runs={runs}", f"-max_len={max_len}", "-timeout=10", "-rss_limit_mb=4096",
            f"-artifact_prefix={work}/", f"-dict={dictionary}", "-print_final_stats=0", str(corpus),
        ]  # fmt: skip
        env = {**os.environ, "ACP_FUZZ_STRICT": "1" if strict else "0"}
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
        output = done.stdout + done.stderr
        match = re.search(r"Done (\d+) runs", output)
        progress = re.findall(r"^#(\d+)\s", output, flags=re.MULTILINE)
        campaign.atheris_runs = int(match[1]) if match else (int(progress[-1]) if progress else None)
        if done.returncode == 0:
            return
        artifact = next(
            (p for p in Path(work).iterdir() if p.name.startswith(("crash-", "timeout-", "oom-"))), None
        )
        if artifact is None:
            tail = output.strip().splitlines()[-1:] or ["no output"]
            campaign.add_failure("atheris", f"exit {done.returncode}: {tail[0][:200]}", b"", 0, None)
            return
        data = artifact.read_bytes()
        kept = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', target.name)}-{artifact.name}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(data)
        value = target.from_bytes(data)
        # Replayed here, so the failure is classified (known or new) exactly as a hypothesis one.
        outcome = exercise(target, value)
        if outcome.error is not None:
            known = outcome.known.title if outcome.known else None
            campaign.add_failure(
                type(outcome.error).__name__, str(outcome.error), value, size_of(value), known
            )
        else:
            kind = artifact.name.split("-")[0]
            error = re.findall(r"^(\w+(?:Error|Exception)\b.*)$", output, flags=re.MULTILINE)
            detail = error[-1] if error else (output.strip().splitlines() or [""])[-1]
            campaign.add_failure(
                f"atheris {kind}",
                f"exit {done.returncode}, not reproduced in-process ({detail[:200]}); input kept in {kept}",
                value,
                size_of(value),
                None,
            )


def _dict_escape(token: str) -> str:
    """A libFuzzer dictionary entry: printable ASCII as is, everything else as \\xNN bytes."""
    out = ""
    for byte in token.encode():
        char = chr(byte)
        out += char if 32 <= byte < 127 and char not in '"\\' else f"\\x{byte:02x}"
    return out


# -- printing ------------------------------------------------------------------------------------------


def shown(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 20] + f"... ({len(text)} chars)"


def bucket_name(bucket: float) -> str:
    return f">{BUCKETS[-2]}" if bucket == math.inf else f"<={int(bucket)}"


def print_campaign(campaign: Campaign) -> None:
    rate = campaign.tried / campaign.seconds if campaign.seconds else 0.0
    atheris = ""
    if campaign.atheris_runs is not None:
        atheris = f", atheris {campaign.atheris_runs} runs"
    elif campaign.atheris_note:
        atheris = f", atheris: {campaign.atheris_note}"
    new = len(campaign.new_failures)
    known = len(campaign.failures) - new
    print(
        f"== {campaign.name}: {campaign.tried} hypothesis inputs ({rate:,.0f} calls/s){atheris}; "
        f"{new} new failure(s), {known} known, {len(campaign.slow)} slow"
    )
    cells = []
    for bucket in BUCKETS:
        if bucket in campaign.slowest:
            seconds, size = campaign.slowest[bucket]
            cells.append(
                f"{bucket_name(bucket)}: {seconds * 1e3:.1f} ms ({seconds * 1e6 / max(size, 1):.1f} us/char)"
            )
    if cells:
        print("   slowest per size bucket: " + "; ".join(cells))
    for failure in campaign.failures.values():
        label = f"KNOWN ({failure.known})" if failure.known else "NEW"
        print(f"   {label}: {failure.kind}: {failure.message[:200]}  [x{failure.count}]")
        print(f"      smallest input: {shown(failure.value)}")
    for seconds, size, value in sorted(campaign.slow, key=lambda s: s[0], reverse=True)[:3]:
        print(f"   SLOW: {seconds:.2f} s for {size} chars: {shown(value)}")


@contextlib.contextmanager
def timed() -> Generator[list[float], None, None]:
    box = [0.0]
    started = time.perf_counter()
    yield box
    box[0] = time.perf_counter() - started


def measure(growth: Any, n: int, repeats: int) -> float:
    value = growth.make(n)
    gc.collect()
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        with contextlib.suppress(*growth.allowed):
            growth.call(value)
        best = min(best, time.perf_counter() - started)
    return best


def growth_table(repeats: int) -> list[str]:
    """Each input family at 1x, 10x and 100x its base scale; the exponent of time in input size, from
    the 10x to the 100x step, is about 1 when linear (2 when quadratic)."""
    from tests.fuzz.fuzz_targets import growths, size_of

    problems: list[str] = []
    # The campaigns above leave a large heap (hypothesis' caches): freeze it, so that the collector's
    # passes over it are not billed to the library as superlinear time.
    gc.collect()
    gc.freeze()
    print(f"\n== time versus size (best of {repeats}; exponent of time in size: 1 linear, 2 quadratic)")
    print(f"   {'input family':58} {'1x':>18} {'10x':>18} {'100x':>18}  exponent")
    for growth in growths():
        sizes = [size_of(growth.make(growth.base * k)) for k in (1, 10, 100)]
        times = [
            measure(growth, growth.base * k, repeats if k < 100 else max(1, repeats - 1))
            for k in (1, 10, 100)
        ]
        power = exponent(sizes, times)
        if power > SUPERLINEAR_EXPONENT:  # a busy machine can spike once: measure the big step again
            times[2] = min(times[2], measure(growth, growth.base * 100, 1))
            times[1] = min(times[1], measure(growth, growth.base * 10, repeats))
            power = exponent(sizes, times)
        verdict = "linear" if power <= SUPERLINEAR_EXPONENT else "SUPERLINEAR"
        if verdict != "linear":
            if growth.known:
                verdict += f" (known: {growth.known})"
            else:
                problems.append(f"{growth.name}: time grows as size^{power:.1f} from 10x to 100x")
        cells = " ".join(f"{_chars(n):>7} {t * 1e3:8.1f}ms" for n, t in zip(sizes, times, strict=True))
        note = f"  ({growth.note})" if growth.note else ""
        print(f"   {growth.name:58} {cells}  {power:5.2f} {verdict}{note}")
    return problems


def exponent(sizes: list[int], times: list[float]) -> float:
    """log(t100 / t10) / log(s100 / s10); 0 when the big step is too fast to tell (under 5 ms)."""
    if times[2] < 0.005 or sizes[2] <= sizes[1] or times[1] <= 0:
        return 0.0
    return math.log(times[2] / times[1]) / math.log(sizes[2] / sizes[1])


def _chars(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e4 else str(n)


def bombs_table() -> list[str]:
    from anbox_cloud_ports.errors import InputError
    from tests.fuzz.fuzz_targets import BOMBS

    problems: list[str] = []
    print(f"\n== hostile documents (each must be an InputError within {BOMB_SECONDS:.0f} s)")
    for bomb in BOMBS:
        text = bomb.text()
        started = time.perf_counter()
        try:
            bomb.call(text)
            verdict, message = "ACCEPTED", ""
        except InputError as err:
            message = str(err)
            verdict = "refused" if bomb.says.lower() in message.lower() else "REFUSED FOR ANOTHER REASON"
        except Exception as err:  # noqa: BLE001 - a crash is the verdict
            verdict, message = f"CRASHED ({type(err).__name__})", str(err)
        seconds = time.perf_counter() - started
        if seconds > BOMB_SECONDS:
            verdict += " TOO SLOWLY"
        if verdict != "refused":
            problems.append(f"{bomb.name}: {verdict}")
        print(f"   {seconds * 1e3:8.1f} ms  {bomb.name:42} {verdict}: {message[:110]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--atheris-child"]:
        rest = args[3:] if len(args) > 2 and args[2] == "--" else args[2:]
        atheris_child(args[1], rest)
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples", type=int, default=2000, help="hypothesis inputs per target (default 2000)"
    )
    parser.add_argument(
        "--atheris-runs",
        type=int,
        default=None,
        help="atheris runs per target (default 10x --examples when atheris is installed; 0 skips)",
    )
    parser.add_argument("--atheris-max-len", type=int, default=8192)
    parser.add_argument(
        "--only", action="append", default=[], help="targets whose name contains this (repeatable)"
    )
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed, to replay a campaign")
    parser.add_argument("--no-growth", action="store_true", help="skip the time-versus-size table")
    parser.add_argument("--no-bombs", action="store_true", help="skip the hostile documents")
    parser.add_argument("--strict", action="store_true", help="count known bugs as failures (to check a fix)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per growth point (best is kept)")
    options = parser.parse_args(args)  # fmt: skip

    from tests.fuzz.fuzz_targets import KNOWN_BUGS, targets

    try:
        import atheris  # type: ignore[import-not-found]  # noqa: F401

        have_atheris = True
    except ImportError:
        have_atheris = False
    atheris_runs = (
        options.atheris_runs
        if options.atheris_runs is not None
        else (10 * options.examples if have_atheris else 0)
    )

    chosen = [
        t for t in targets() if not options.only or any(o.lower() in t.name.lower() for o in options.only)
    ]
    print(
        f"fuzzing {len(chosen)} targets: {options.examples} hypothesis inputs each"
        + (f", {atheris_runs} atheris runs each" if atheris_runs and have_atheris else
           ", atheris not installed" if not have_atheris else ", atheris skipped")
    )  # fmt: skip
    campaigns: list[Campaign] = []
    with timed() as elapsed:
        for target in chosen:
            campaign = hypothesis_campaign(target, options.examples, options.seed)
            if atheris_runs and have_atheris:
                atheris_campaign(
                    target, campaign, atheris_runs, options.atheris_max_len, strict=options.strict
                )
            print_campaign(campaign)
            sys.stdout.flush()
            campaigns.append(campaign)
    problems = [
        f"{c.name}: {f.kind}: {f.message[:120]}"
        for c in campaigns
        for f in (c.failures.values() if options.strict else c.new_failures)
    ]
    problems += [f"{c.name}: {len(c.slow)} slow input(s)" for c in campaigns if c.slow]
    if not options.no_growth:
        problems += growth_table(options.repeats)
    if not options.no_bombs:
        problems += bombs_table()

    tried = sum(c.tried for c in campaigns)
    fuzzed = sum(c.atheris_runs or 0 for c in campaigns)
    known_hit = {f.known for c in campaigns for f in c.failures.values() if f.known}
    print(
        f"\n== {tried} hypothesis inputs and {fuzzed} atheris runs over {len(campaigns)} targets in {elapsed[0]:.0f} s; "
        f"{len(known_hit)} of {len(KNOWN_BUGS)} known bugs seen; {len(problems)} new problem(s)"
    )
    for problem in problems:
        print(f"   {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
