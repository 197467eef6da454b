"""The built-in reference shipped as Python is exactly what reading data/reference.yaml gives."""

from __future__ import annotations

import subprocess
import sys

from anbox_cloud_ports.catalog import Catalog, CatalogRow
from anbox_cloud_ports.sources import reference, reference_from_yaml
from tests.reference_module import source


def test_the_shipped_reference_is_the_yaml_read_as_a_bundle() -> None:
    shipped, read = reference(), reference_from_yaml()
    assert shipped == read, (
        "run `PYTHONPATH=lib python tests/reference_module.py` after changing reference.yaml"
    )
    # Rows are the catalog's own objects, as the bundle reader hands them out.
    assert all(a.row is b.row for a, b in zip(shipped.claims, read.claims, strict=True))


def test_the_generator_writes_what_it_reads() -> None:
    namespace: dict[str, object] = {}
    text = source(reference_from_yaml()).replace("from ..", "from anbox_cloud_ports.")
    exec(compile(text, "reference_deployment.py", "exec"), namespace)  # noqa: S102 - our own generated code
    built = namespace["deployment"]()  # pyright: ignore[reportCallIssue]
    assert built == reference_from_yaml()


def test_another_catalog_reads_the_yaml_with_it() -> None:
    """An operator's --catalog may claim other ports for the reference's charms."""
    row = CatalogRow("charmed", "NATS", ("nats",), "4223", "TCP", False, "no", "monitoring")
    catalog = Catalog.builtin().extend([row])
    ports = {str(c.port) for c in reference(catalog).claims if c.unit == "nats/0"}
    assert ports == {"4222/tcp", "4223/tcp"}


def test_checking_the_reference_imports_no_yaml_parser() -> None:
    code = (
        "import sys\n"
        "from anbox_cloud_ports.cli import main\n"
        "main(['check'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', '_yaml')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
