"""What a user gets from the built distribution: install the wheel in a fresh venv and use it.

    python tests/packaging/check_wheel.py DIST_DIR VENV_DIR

DIST_DIR holds what `python -m build --sdist --wheel` made. The wheel is installed with the
`[charm]` extra into a new virtual environment (its dependencies from the package index), away from
this checkout; then `anbox-ports check` must pass on the built-in reference deployment, the charm
library must import, and its version must be the distribution's. The sdist must carry the catalog
data and the type marker. Prints one line per check; exits 1 on the first failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path

IMPORT_CHECK = """
import importlib.metadata, pathlib, sys
import anbox_cloud_ports, anbox_cloud_ports.charm
from anbox_cloud_ports.charm import ServicePorts, DeclarationError
assert anbox_cloud_ports.__version__ == importlib.metadata.version("anbox-cloud-ports"), anbox_cloud_ports.__version__
where = pathlib.Path(anbox_cloud_ports.__file__).resolve()
assert "site-packages" in where.parts, where
print(anbox_cloud_ports.__version__, where.parent)
"""


def _run(argv: list[str], cwd: Path) -> str:
    # No PYTHONPATH: this checkout's lib/ (and any egg-info a build left there) must not stand in
    # for the installed wheel.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def main(dist: Path, target: Path) -> None:
    wheels = sorted(dist.glob("anbox_cloud_ports-*.whl"))
    sdists = sorted(dist.glob("anbox_cloud_ports-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        sys.exit(f"FAILED: expected one wheel and one sdist in {dist}, found {wheels + sdists}")
    with tarfile.open(sdists[0]) as sdist:
        names = sdist.getnames()
    for needed in ("anbox_cloud_ports/data/anbox-cloud.yaml", "anbox_cloud_ports/py.typed", "CHANGELOG.md"):
        if not any(name.endswith(needed) for name in names):
            sys.exit(f"FAILED: {sdists[0].name} lacks {needed}")
    print(f"ok sdist {sdists[0].name}: {len(names)} files")

    venv.create(target, with_pip=True, clear=True)
    bin_dir = target / "bin"
    _run([str(bin_dir / "pip"), "install", "-q", f"{wheels[0]}[charm]"], cwd=target)
    print(f"ok installed {wheels[0].name}[charm] into {target}")
    with tempfile.TemporaryDirectory() as away:  # never import from this checkout
        out = _run([str(bin_dir / "anbox-ports"), "check"], cwd=Path(away))
        print(f"ok anbox-ports check: {out.strip().splitlines()[-1]}")
        out = _run([str(bin_dir / "python"), "-c", IMPORT_CHECK], cwd=Path(away))
        print(f"ok import anbox_cloud_ports.charm: version {out.strip()}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
