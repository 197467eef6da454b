"""pytest-interface-tester runs interfaces/anbox_ports/v1/interface_tests against both roles.

The tester fetches the spec with `git clone` (its only way in); a throwaway local repository holding
this checkout's `interfaces/` stands in for the published one, so the tests judge the working tree
and need no network.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ops
import pytest
from interface_tester import InterfaceTester

from tests.unit.interface_charms.conftest import configure_provider, configure_requirer

# pytest-interface-tester 3.4.1, its latest release, reads scenario's `_EventPath.suffix`
# (interface_tester/interface_test.py `_cast_event`), which ops-scenario 8.8.1 renamed `python_suffix`.
# No shim: `tox -e interface` runs these tests with ops-scenario 8.8.0, the last release the tester
# works with; elsewhere they skip and say so.
pytestmark = pytest.mark.skipif(
    not hasattr(importlib.import_module("scenario.state")._EventPath("config_changed"), "suffix"),
    reason="pytest-interface-tester 3.4.1 needs ops-scenario<=8.8.0 (it reads _EventPath.suffix): "
    "run `tox -e interface`",
)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "interfaces" / "anbox_ports"


@pytest.fixture(scope="module")
def spec_repo(tmp_path_factory: pytest.TempPathFactory) -> str:
    repo = tmp_path_factory.mktemp("spec") / "anbox-ports-spec"
    shutil.copytree(SPEC, repo / "interfaces" / "anbox_ports", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run([*git, "init", "--quiet", "--initial-branch=main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "--quiet", "--no-gpg-sign", "-m", "spec"], check=True)
    return f"file://{repo}"


@pytest.fixture(autouse=True)
def _isolated_spec_modules() -> Iterator[None]:
    """The tester imports the spec as top-level `test_provider`, `test_requirer` and `schema`.

    A module of the same name already imported (another suite's test_provider.py) would be taken
    instead, so they are set aside for the run and put back after.
    """
    names = ("test_provider", "test_requirer", "schema")
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    yield
    for name in names:
        sys.modules.pop(name, None)
    sys.modules.update(saved)


def test_provider_role(interface_tester: InterfaceTester, spec_repo: str):
    configure_provider(interface_tester, repo=spec_repo)
    interface_tester.run()


def test_requirer_role(interface_tester: InterfaceTester, spec_repo: str):
    configure_requirer(interface_tester, repo=spec_repo)
    interface_tester.run()


def test_validator_charm_requirer_role(
    interface_tester: InterfaceTester, spec_repo: str, monkeypatch: pytest.MonkeyPatch
):
    """The real validator (src/charm.py), once it exists, must pass the requirer's tests too."""
    if not (ROOT / "src" / "charm.py").exists():
        pytest.skip("src/charm.py is not written yet")
    monkeypatch.syspath_prepend(str(ROOT / "src"))  # tox puts src/ on PYTHONPATH; a bare pytest does not
    module = importlib.import_module("charm")
    charms = [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, ops.CharmBase) and obj is not ops.CharmBase and obj.__module__ == module.__name__
    ]
    assert len(charms) == 1, f"expected one charm class in src/charm.py, found {charms}"
    # Metadata autoloads from charmcraft.yaml beside src/.
    interface_tester.configure(
        charm_type=charms[0], repo=spec_repo, branch="main", interface_name="anbox_ports", interface_version=1
    )
    interface_tester.run()
