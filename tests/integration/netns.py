"""Throwaway Linux network namespaces for integration tests that need a real kernel.

A fresh namespace has its own sockets, firewall tables and loopback, so a test can bind any port,
load any firewall rules and read /proc/net without touching the host or depending on what the host
runs. Everything here is cleaned up on the way out of the context manager, whatever the test did:
processes started in a namespace are killed, then the namespace is deleted.

Usage:

    from .netns import namespace, namespaces, require_netns

    def test_something():
        require_netns()                       # pytest.skip with the reason when unusable
        with namespace() as ns:
            ns.run("ip", "addr")              # CompletedProcess, text mode, checked
            server = ns.spawn_python(CODE)    # Popen, killed on exit
            out = ns.python("print(1)")       # this interpreter (and its packages), inside ns
        with namespaces(2) as (a, b):
            connect(a, b)                     # a veth pair, 10.200.0.1/24 <-> 10.200.0.2/24

Needs root (CAP_SYS_ADMIN) and iproute2's `ip`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import warnings
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest

DEFAULT_TIMEOUT = 60.0


def unavailable() -> str | None:
    """Why namespaces cannot be used here, or None when they can (probed once per process)."""
    if _PROBE:
        return _PROBE[0]
    reason = _probe()
    _PROBE.append(reason)
    return reason


_PROBE: list[str | None] = []


def _probe() -> str | None:
    if sys.platform != "linux":
        return f"network namespaces need Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "network namespaces need root (run the integration tests as root, e.g. in CI)"
    if shutil.which("ip") is None:
        return "`ip` (Debian package iproute2) is not installed"
    name = _new_name("probe")
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip() or made.returncode}"
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)
    return None


def require_netns() -> None:
    """Skip the calling test, with the reason, when namespaces are unusable."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)


def _new_name(prefix: str) -> str:
    # pid + random: parallel runs (xdist, two CI jobs on one host) never collide or delete each other's.
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class Namespace:
    """One network namespace; every command runs in it through `ip netns exec`."""

    name: str
    _children: list[subprocess.Popen[str]] = field(default_factory=list, repr=False)

    def argv(self, *command: str) -> list[str]:
        # `ip netns exec` calls setns() then execvp(): no fork, so a Popen's pid is the command's pid.
        return ["ip", "netns", "exec", self.name, *command]

    def run(
        self, *command: str, input: str | None = None, timeout: float = DEFAULT_TIMEOUT, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command to completion inside the namespace (text mode, output captured)."""
        result = subprocess.run(
            self.argv(*command), input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)!r} in netns {self.name} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def spawn(self, *command: str, **popen: object) -> subprocess.Popen[str]:
        """Start a long-running command inside the namespace; it is killed when the namespace goes."""
        options: dict[str, object] = {
            "stdin": subprocess.PIPE,
            "stdout": subprocess.PIPE,
            "stderr": subprocess.PIPE,
            "text": True,
        }
        options.update(popen)
        child: subprocess.Popen[str] = subprocess.Popen(self.argv(*command), **options)  # type: ignore[call-overload]
        self._children.append(child)
        return child

    def python(
        self,
        code: str,
        *args: str,
        input: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run Python code with this test's interpreter (so its packages import) inside the namespace."""
        return self.run(sys.executable, "-c", code, *args, input=input, timeout=timeout, check=check)

    def spawn_python(self, code: str, *args: str, **popen: object) -> subprocess.Popen[str]:
        return self.spawn(sys.executable, "-c", code, *args, **popen)

    def pids(self) -> list[int]:
        """Processes whose network namespace is this one (`ip netns pids`)."""
        out = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True, check=False)
        return [int(word) for word in out.stdout.split() if word.isdigit()]

    def _cleanup(self) -> list[str]:
        problems: list[str] = []
        for child in self._children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.communicate(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.communicate()
            else:
                child.communicate()
        # Anything else still in the namespace was started from a test here (a grandchild, a daemon
        # a command left behind): the namespace is ours and fresh, so so is every process in it.
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deleted = subprocess.run(
            ["ip", "netns", "delete", self.name], capture_output=True, text=True, check=False
        )
        if deleted.returncode != 0:
            problems.append(f"ip netns delete {self.name}: {deleted.stderr.strip()}")
        return problems


@contextlib.contextmanager
def namespaces(
    count: int = 1, *, prefix: str = "acp-test", loopback: bool = True
) -> Generator[list[Namespace], None, None]:
    """`count` fresh namespaces (loopback up unless told otherwise), always deleted on exit.

    A cleanup problem (a namespace that would not go) fails the test only when nothing else did, so
    the first error a reader sees is the real one.
    """
    made: list[Namespace] = []
    failed = False
    try:
        for _ in range(count):
            ns = Namespace(_new_name(prefix))
            subprocess.run(["ip", "netns", "add", ns.name], capture_output=True, text=True, check=True)
            made.append(ns)
            if loopback:
                ns.run("ip", "link", "set", "lo", "up")
        yield made
    except BaseException:
        failed = True
        raise
    finally:
        problems = [problem for ns in reversed(made) for problem in ns._cleanup()]
        if problems:
            message = "network namespace cleanup failed: " + "; ".join(problems)
            if not failed:
                raise RuntimeError(message)
            warnings.warn(message, stacklevel=2)


@contextlib.contextmanager
def namespace(*, prefix: str = "acp-test", loopback: bool = True) -> Generator[Namespace, None, None]:
    """One fresh namespace; see `namespaces`."""
    with namespaces(1, prefix=prefix, loopback=loopback) as (ns,):
        yield ns


def connect(
    a: Namespace, b: Namespace, a_address: str = "10.200.0.1/24", b_address: str = "10.200.0.2/24"
) -> tuple[str, str]:
    """Join two namespaces with a veth pair and address both ends; returns the interface names.

    The pair lives inside the namespaces, so deleting them deletes it.
    """
    suffix = secrets.token_hex(3)
    a_if, b_if = f"va{suffix}", f"vb{suffix}"  # interface names are limited to 15 characters
    subprocess.run(
        ["ip", "link", "add", a_if, "netns", a.name, "type", "veth", "peer", "name", b_if, "netns", b.name],
        capture_output=True,
        text=True,
        check=True,
    )
    for ns, interface, address in ((a, a_if, a_address), (b, b_if, b_address)):
        ns.run("ip", "addr", "add", address, "dev", interface)
        ns.run("ip", "link", "set", interface, "up")
    return a_if, b_if
