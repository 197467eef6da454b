"""`anbox-ports fix`: the overlay on stdout only when it is proved, exit 1 and the rest on stderr if not."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.cli import main
from anbox_cloud_ports.sources import load_bundle

from .fix.test_commands import STATUS

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


# -- Terraform ------------------------------------------------------------------------------------------

TERRAFORM = DATA / "terraform"


def test_fix_a_terraform_directory_with_its_variables(tmp_path: Path):
    code, out, err = run(
        "fix", str(TERRAFORM / "anbox-cloud-terraform"), "--var-file", str(TERRAFORM / "deploy.tfvars")
    )
    assert (code, err) == (0, "")
    assert out.endswith("# Nothing to change.\n")
    root = tmp_path / "plan"
    shutil.copytree(TERRAFORM / "anbox-cloud-terraform", root)
    control = root / "modules" / "subcluster" / "control_plane.tf"
    control.write_text(control.read_text().replace("use_embedded_etcd = !var.external_etcd", 'port = "443"'))
    code, out, err = run(
        "fix", str(root), "--var-file", str(TERRAFORM / "deploy.tfvars"), "--var", "enable_lb=true"
    )
    assert (code, err) == (0, "")
    assert '        + port = "444"\n' not in out
    assert '        ~ port = "443" -> "444"\n' in out


def test_fix_a_plan_json(tmp_path: Path):
    document = json.loads((TERRAFORM / "plans" / "plan-deploy.json").read_text())
    for change in document["resource_changes"]:
        if change["address"] == 'module.subcluster["a"].juju_application.ams':
            change["change"]["after"]["config"]["port"] = "443"
    (tmp_path / "plan.json").write_text(json.dumps(document))
    code, out, err = run("fix", str(tmp_path / "plan.json"))
    assert (code, err) == (0, "")
    assert '~ resource "juju_application" "ams" {' in out


def test_a_terraform_fix_that_leaves_an_error_is_refused():
    code, out, err = run(
        "fix",
        str(TERRAFORM / "anbox-cloud-terraform"),
        "--var-file",
        str(TERRAFORM / "deploy.tfvars"),
        "--var",
        'subclusters=[{name="a", lxd_node_count=1}, {name="b.x", lxd_node_count=1}]',
    )
    assert (code, out) == (1, "")
    assert err.splitlines()[:2] == [
        "anbox-ports fix: with the best Terraform changes found, 1 error would remain, so nothing is printed:",
        '  invalid-name: module.subcluster["b.x"].juju_model.subcluster: Juju refuses the model name '
        '"anbox-subcluster-b.x", so nothing is deployed into it; not checked',
    ]


@pytest.mark.parametrize(
    ("argv", "stderr"),
    [
        (
            ("fix",),
            "anbox-ports fix: INPUT: give a bundle, juju status dumps, a Terraform directory or plan, or --model\n",
        ),
        (
            ("fix", str(HULK), "--var", "x=1"),
            "anbox-ports fix: --var: applies to a Terraform root module directory INPUT\n",
        ),
        (("fix", str(HULK), "--timeout", "5"), "anbox-ports fix: --timeout: applies to --model\n"),
        (
            ("fix", str(TERRAFORM / "anbox-cloud-terraform"), str(HULK)),
            "anbox-ports fix: INPUT: a Terraform directory is fixed on its own, not beside other inputs\n",
        ),
        (
            ("fix", str(TERRAFORM / "anbox-cloud-terraform"), "--overlay", str(HULK)),
            "anbox-ports fix: --overlay: applies to bundles, not to a Terraform directory\n",
        ),
        (
            ("fix", "--model", "anbox", str(HULK)),
            "anbox-ports fix: --model: reads the model itself: give no INPUT or --overlay with it\n",
        ),
        (
            ("fix", "--model", "anbox;touch x"),
            'anbox-ports fix: --model: not a Juju model name: "anbox;touch x"\n',
        ),
    ],
)
def test_unusable_arguments_are_one_line_and_exit_2(argv: tuple[str, ...], stderr: str):
    assert run(*argv) == (2, "", stderr)


# -- several inputs -------------------------------------------------------------------------------------

ANBOX = DATA / "juju" / "anbox"


def test_fix_a_status_completed_by_its_dumps_narrows_exposure_to_the_external_endpoints(tmp_path: Path):
    shown = json.loads((ANBOX / "show-application.json").read_text())
    shown["lxd"]["exposed-endpoints"] = {"": {"expose-to-cidrs": ["0.0.0.0/0", "::/0"]}}
    (tmp_path / "show.json").write_text(json.dumps(shown))
    files = [str(ANBOX / "status.json"), str(tmp_path / "show.json"), str(ANBOX / "exec-opened-ports.json")]
    code, out, err = run("fix", *files)
    assert (code, err) == (0, "")
    assert [line for line in out.splitlines() if line.startswith("juju ")] == [
        "juju unexpose lxd",
        "juju expose lxd --endpoints public",
    ]
    # The status alone cannot tell the endpoints, nor the rules: a warning, nothing to fix.
    code, out, _ = run("fix", files[0])
    assert code == 0
    assert [line for line in out.splitlines() if not line.startswith("#")] == []


def test_fix_two_models_names_each_with_m(tmp_path: Path):
    paths = []
    for name in ("anbox", "edge"):
        status = json.loads(json.dumps(STATUS))
        status["model"]["name"] = name
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(status))
    code, out, err = run("fix", *map(str, paths))
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "# each names its model with -m."
    assert [line for line in out.splitlines() if line.startswith("juju ")] == [
        "juju add-unit -m anbox gateway-lb --to lxd:0",
        "juju remove-unit -m anbox gateway-lb/3",
        "juju add-unit -m edge gateway-lb --to lxd:0",
        "juju remove-unit -m edge gateway-lb/3",
    ]


def test_readme_shows_the_real_terraform_fix(monkeypatch: pytest.MonkeyPatch):
    repo = Path(__file__).parents[2]
    monkeypatch.chdir(repo)
    code, out, _ = run("fix", "docs/examples/terraform-crowded")
    assert code == 0
    assert "(it had 4)" in out
    readme = (repo / "README.md").read_text()
    assert "$ anbox-ports fix docs/examples/terraform-crowded\n" + out + "```\n" in readme


def test_space_options_say_what_the_fix_must_cure(tmp_path: Path):
    shown = json.loads((ANBOX / "show-application.json").read_text())
    shown["lxd"]["exposed-endpoints"] = {"": {"expose-to-spaces": ["dmz"]}}
    (tmp_path / "show.json").write_text(json.dumps(shown))
    files = (str(ANBOX / "status.json"), str(tmp_path / "show.json"), str(ANBOX / "exec-opened-ports.json"))
    code, out, _ = run("fix", *files, "--space", "dmz=10.0.0.0/8")
    assert code == 0
    assert "# Nothing to change." in out  # a private space: info, nothing to cure
    code, out, err = run("fix", *files, "--space", "dmz=203.0.113.0/24")
    assert (code, err) == (0, "")
    assert [line for line in out.splitlines() if line.startswith("juju ")] == [
        "juju unexpose lxd",
        "juju expose lxd --endpoints public --to-spaces dmz",
    ]
