"""Fixtures of the integration suites.

Real Juju (test_juju.py): `juju_controller` skips, once per session, unless a controller answers;
`validator_charm` / `example_charm` pack the two charms with `charmcraft pack` (or take prebuilt ones
from ANBOX_PORTS_VALIDATOR_CHARM / ANBOX_PORTS_EXAMPLE_CHARM); `juju` is a temporary model per module
(jubilant.temp_model), kept after the run when ANBOX_PORTS_KEEP_MODEL=1.
Options are environment variables, not pytest options, so installing pytest-jubilant (whose
`--juju-*` options and `juju` fixture cover the same ground) cannot clash with them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jubilant
import pytest

from .juju_helpers import charm_from_env, charm_name_of, host_arch, pick_packed_charm, probe_controller

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CHARM_DIR = REPO / "tests" / "example_charm"
MODEL_TIMEOUT = 30 * 60  # a fresh LXD machine, a charm install and its hooks, on a slow CI runner
PACK_TIMEOUT = 30 * 60


@pytest.fixture(scope="session")
def juju_controller() -> None:
    """Skip (every test using Juju, once per session) unless a Juju controller answers."""
    reason = probe_controller()
    if reason is not None:
        pytest.skip(reason)


def _packed_charm(var: str, project: Path) -> Path:
    try:
        prebuilt = charm_from_env(var, os.environ)
    except ValueError as err:
        pytest.fail(str(err))
    if prebuilt is not None:
        return prebuilt
    if shutil.which("charmcraft") is None:
        pytest.fail(
            f"cannot pack {project}: no charmcraft (sudo snap install charmcraft --classic), "
            f"or set {var} to a packed .charm"
        )
    name = charm_name_of((project / "charmcraft.yaml").read_text(encoding="utf-8"))
    try:
        packed = subprocess.run(
            ["charmcraft", "pack"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=PACK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"charmcraft pack in {project} took over {PACK_TIMEOUT}s")
    if packed.returncode != 0:
        tail = "\n".join((packed.stderr or packed.stdout).strip().splitlines()[-15:])
        pytest.fail(f"charmcraft pack in {project} failed ({packed.returncode}):\n{tail}")
    try:
        return pick_packed_charm(project.glob("*.charm"), name, host_arch()).resolve()
    except LookupError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def validator_charm(juju_controller: None) -> Path:
    """The anbox-cloud-ports validator charm (the repository root), packed for this machine."""
    return _packed_charm("ANBOX_PORTS_VALIDATOR_CHARM", REPO)


@pytest.fixture(scope="session")
def example_charm(juju_controller: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/example_charm: one charm that opens any catalog service's ports (config `service`).

    Packed from a staged copy with this checkout's library in its lib/ (a packed charm's lib/ is on
    its path, docs/juju-facts.md#library-packaging), so the suite tests the working tree, not a published release.
    """
    staged = tmp_path_factory.mktemp("example-charm") / "example_charm"
    shutil.copytree(EXAMPLE_CHARM_DIR, staged)
    shutil.copytree(
        REPO / "lib" / "anbox_cloud_ports",
        staged / "lib" / "anbox_cloud_ports",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return _packed_charm("ANBOX_PORTS_EXAMPLE_CHARM", staged)


@pytest.fixture(scope="module")
def juju(request: pytest.FixtureRequest, juju_controller: None) -> Iterator[jubilant.Juju]:
    """A temporary model for one test module; its debug-log is printed when a test failed."""
    keep = os.environ.get("ANBOX_PORTS_KEEP_MODEL", "") not in ("", "0")
    with jubilant.temp_model(keep=keep) as model:
        model.wait_timeout = MODEL_TIMEOUT
        failed_before = request.session.testsfailed
        yield model
        if request.session.testsfailed > failed_before:
            _show(request, f"juju debug-log of model {model.model}", model.debug_log(limit=1000))


def _show(request: pytest.FixtureRequest, title: str, text: str) -> None:
    """Write past pytest's output capture: a module fixture's teardown output is otherwise dropped."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print(f"\n--- {title} ---\n{text}")
        return
    reporter.write_sep("-", title)
    reporter.write_line(text)
