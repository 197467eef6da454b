"""Reading HCL through python-hcl2: one-line syntax errors, bounded nesting, and a missing parser said plainly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from anbox_cloud_ports.sources.terraform import ParseError, ParserUnavailableError, hcl, load_directory
from anbox_cloud_ports.sources.terraform.syntax import Call, Template

from .reference import ROOT


def test_a_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "juju_model" "m" {\n  name = \n}\n')
    with pytest.raises(ParseError) as info:
        load_directory(str(tmp_path))
    assert str(info.value) == f"{tmp_path}/main.tf:2:10: invalid HCL syntax: unexpected end of line"


def test_nesting_too_deep_to_read_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n")
    with pytest.raises(ParseError) as info:
        load_directory(str(tmp_path))
    assert "\n" not in str(info.value)


def test_expressions_keep_their_place_and_a_bounded_text() -> None:
    body = hcl.parse_body('x = "a-${join(",", ["' + "y" * 400 + '"])}"\n', "f.tf", 9)
    expr = body.attributes["x"].expr
    assert isinstance(expr, Template)
    call = expr.parts[1]
    assert isinstance(call, Call)
    assert call.name == "join"
    assert (call.loc.file, call.loc.line) == ("f.tf", 10)
    assert len(call.text) <= hcl.MAX_TEXT


def test_without_python_hcl2_a_directory_is_one_line_naming_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "hcl2", None)
    hcl._parser.cache_clear()
    hcl._parse_body_cached.cache_clear()
    try:
        with pytest.raises(ParserUnavailableError) as info:
            load_directory(str(ROOT))
        assert str(info.value) == (
            "reading a Terraform directory needs the optional dependency python-hcl2: "
            "pip install 'anbox-cloud-ports[terraform]'"
        )
    finally:
        hcl._parser.cache_clear()
