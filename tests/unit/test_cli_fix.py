"""`anbox-ports fix`: the overlay on stdout only when it is proved, exit 1 and the rest on stderr if not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.cli import main
from anbox_cloud_ports.sources import load_bundle

DATA = Path(__file__).parent / "data"
HULK = DATA / "bundles" / "anbox-hulk-smashed.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_fix_prints_a_proved_overlay(tmp_path: Path):
    code, out, err = run("fix", str(HULK))
    assert (code, err) == (0, "")
    assert out.startswith(f"# Written by `anbox-ports fix` for {HULK}.")
    (tmp_path / "fix.yaml").write_text(out)
    code, _, _ = run("check", str(HULK), "--overlay", str(tmp_path / "fix.yaml"))
    assert code == 0


def test_fix_with_overlays_and_move_to_machine(tmp_path: Path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text('applications:\n  coturn: {to: ["0"]}\n')
    code, out, _ = run("fix", str(HULK), "--overlay", str(overlay), "--move-to", "machine")
    assert code == 0
    merged = load_bundle(
        HULK.read_bytes(), input="h", overlays=[(overlay.read_text(), "o"), (out, "fix.yaml")]
    )
    assert check(merged).summary.errors == 0
    assert '"new"' in out


def test_fix_refuses_to_print_a_fix_that_leaves_an_error():
    code, out, err = run("fix", str(DATA / "status" / "anbox-status.yaml"))
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == (
        "anbox-ports fix: with the best juju commands found, 2 errors would remain, so nothing is printed:"
    )
    assert any(line.startswith("  invalid-port: unit lxd/0 reports an open port") for line in lines)
    assert any(line.startswith("    cure: ") for line in lines)


def test_unusable_input_is_one_line_and_exit_2(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("applications: [1, 2]\n")
    code, out, err = run("fix", str(bad))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"anbox-ports fix: {bad}:1: applications: cannot unmarshal")


def test_overlays_on_a_status_dump_are_refused():
    status = str(DATA / "status" / "anbox-status.yaml")
    code, _, err = run("fix", status, "--overlay", str(HULK))
    assert code == 2
    assert "overlays apply to bundles" in err


def test_readme_shows_the_real_fix(monkeypatch: pytest.MonkeyPatch):
    repo = Path(__file__).parents[2]
    monkeypatch.chdir(repo)
    code, out, _ = run(
        "fix", "lib/anbox_cloud_ports/data/reference.yaml", "--overlay", "docs/examples/crowded.yaml"
    )
    assert code == 0
    readme = (repo / "README.md").read_text()
    assert "$ cat fix.yaml\n" + out + "$ anbox-ports check" in readme
