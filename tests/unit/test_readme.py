"""The README's "Use it in your charm" is examples/coturn, verbatim, and its snippets run as written."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "examples/coturn/charmcraft.yaml",
    "examples/coturn/src/charm.py",
    "examples/coturn/tests/unit/test_charm.py",
)
_BLOCK = re.compile(r"<!-- (?P<path>[\w./-]+) -->\n```\w*\n(?P<body>.*?)```\n", re.S)


def readme_blocks() -> dict[str, str]:
    return {m["path"]: m["body"] for m in _BLOCK.finditer((ROOT / "README.md").read_text(encoding="utf-8"))}


@pytest.mark.parametrize("path", FILES)
def test_the_readme_shows_the_example_file_verbatim(path: str) -> None:
    assert readme_blocks()[path] == (ROOT / path).read_text(encoding="utf-8")


def _test_names() -> list[str]:
    return re.findall(r"^def (test_\w+)\(", readme_blocks()[FILES[2]], re.M)


@pytest.fixture(scope="module")
def readme_tests() -> Iterator[types.ModuleType]:
    """The README's test file, executed against the README's charm, imported as `charm` as in the charm's repository."""
    blocks = readme_blocks()
    charm = types.ModuleType("charm")
    charm.__file__ = str(ROOT / FILES[1])  # ops.testing finds charmcraft.yaml beside src/
    saved = sys.modules.get("charm")
    sys.modules["charm"] = charm
    try:
        exec(compile(blocks[FILES[1]], charm.__file__, "exec"), charm.__dict__)  # noqa: S102 - the README's own code
        tests = types.ModuleType("test_charm")
        exec(compile(blocks[FILES[2]], str(ROOT / FILES[2]), "exec"), tests.__dict__)  # noqa: S102
        yield tests
    finally:
        if saved is None:
            sys.modules.pop("charm", None)
        else:
            sys.modules["charm"] = saved


def test_the_readme_has_the_example_tests() -> None:
    assert len(_test_names()) == 5


@pytest.mark.parametrize("name", _test_names())
def test_the_readme_snippets_run(readme_tests: types.ModuleType, name: str) -> None:
    getattr(readme_tests, name)()
