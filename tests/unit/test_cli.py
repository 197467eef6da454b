"""`anbox-ports`: exit codes, one-line errors, and documents with nothing else on stdout."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from anbox_cloud_ports.cli import main

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"

BROKEN = """\
machines:
  "0": {}
  "1": {}
applications:
  anbox-stream-agent:
    charm: ch:anbox-stream-agent
    num_units: 1
    to: ["0"]
  anbox-stream-gateway-lb:
    charm: haproxy
    num_units: 1
    expose: true
    to: ["0"]
  lxd:
    charm: ams-lxd
    num_units: 1
    expose: true
    options:
      exposed_instance_ports: "10000 - 110000"
    to: ["1"]
  coturn:
    charm: coturn
    num_units: 1
    to: ["1"]
"""


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
        try:
            code = main(list(argv), out=out, err=err)
        finally:
            sys.stdin = old
    else:
        code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return path


def test_the_reference_deployment_is_clean_and_says_so() -> None:
    code, out, err = run("check")
    assert (code, err) == (0, "")
    assert out.startswith("Built-in reference deployment")
    assert "Clean: 10 units on 5 hosts match the catalog." in out


@pytest.mark.parametrize("juju", ["3", "4"])
def test_juju_is_deprecated_with_one_line_and_changes_nothing(juju: str, broken: Path) -> None:
    """Juju 3.x and 4.x refuse the same open-port calls (docs/juju-facts.md#open-port-conflicts):
    `--juju` is still accepted, says so once on stderr, and the verdict and exit status are unchanged."""
    code, out, err = run("check", "--juju", juju, "--format", "json")
    assert code == 0
    assert json.loads(out)["juju"] == juju
    assert err == (
        "anbox-ports check: --juju is deprecated and changes nothing: Juju 3.x and 4.x refuse the same "
        "open-port calls\n"
    )
    plain, with_juju = (
        run("check", str(broken), "--format", "json"),
        run("check", str(broken), "--juju", juju, "--format", "json"),
    )
    assert plain[0] == with_juju[0] == 1
    assert json.loads(plain[1])["findings"] == json.loads(with_juju[1])["findings"]
    code, out, err = run("check", "--juju", juju, "/nonexistent.yaml")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1


def test_findings_exit_1_with_every_rule_in_the_table(broken: Path) -> None:
    code, out, err = run("check", str(broken))
    assert (code, err) == (1, "")
    for rule in ("port-conflict", "internal-port-exposed", "invalid-port", "external-port-unexposed"):
        assert rule in out
    assert "anbox-stream-agent/0 and anbox-stream-gateway-lb/0 both need 443/tcp on machine 0" in " ".join(
        out.split()
    )
    assert max(len(line) for line in out.splitlines() if not line.startswith("  at: ")) <= 80
    assert "\033[" not in out  # no colour off a terminal
    assert out.rstrip().splitlines()[-1].startswith("FAILED: 3 errors, 1 warning")


def test_json_is_one_document_with_the_promised_schema(broken: Path) -> None:
    code, out, _ = run("check", str(broken), "--format", "json")
    document = json.loads(out)  # the whole of stdout is one JSON document
    assert code == 1
    assert set(document) == {"input", "juju", "findings", "summary"}
    assert document["summary"] == {
        "errors": 3,
        "warnings": 1,
        "infos": 0,
        "hosts": 2,
        "units": 4,
        "unchecked": 0,
    }
    conflict = next(f for f in document["findings"] if f["rule"] == "port-conflict")
    assert set(conflict) >= {"rule", "severity", "message", "hosts", "units", "ports", "fix", "location"}
    assert conflict["units"] == ["anbox-stream-agent/0", "anbox-stream-gateway-lb/0"]
    assert conflict["ports"] == ["443/tcp"]
    assert conflict["hosts"] == ["0"]
    assert conflict["location"] == {"file": str(broken), "line": 9}
    invalid = next(f for f in document["findings"] if f["rule"] == "invalid-port")
    assert invalid["location"]["line"] == 19


def test_sarif_is_sarif_2_1_0_with_rules_and_locations(broken: Path) -> None:
    _, out, _ = run("check", str(broken), "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    for result in run_["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        region = result["locations"][0]["physicalLocation"]
        assert region["artifactLocation"]["uri"] == str(broken)
        assert region["region"]["startLine"] >= 1


def test_markdown_is_a_table(broken: Path) -> None:
    _, out, _ = run("check", str(broken), "--format", "markdown")
    assert "| Severity | Rule" in out.replace("  ", " ")
    assert "`port-conflict`" in out


def test_standard_input(broken: Path) -> None:
    code, out, _ = run("check", "-", "--format", "json", stdin=broken.read_text())
    assert code == 1
    assert json.loads(out)["input"] == "<stdin>"


def test_overlays_apply_in_order(tmp_path: Path, broken: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "applications:\n  anbox-stream-gateway-lb:\n    to: ['1']\n  lxd: null\n  coturn:\n    expose: true\n"
    )
    code, out, _ = run("check", str(broken), "--overlay", str(overlay), "--format", "json")
    document = json.loads(out)
    assert code == 0, document
    assert document["findings"] == []


def test_an_extra_catalog_brings_its_services_into_the_checks(tmp_path: Path) -> None:
    catalog = tmp_path / "proxy.yaml"
    catalog.write_text(
        "services:\n  - service: Proxy\n    charms: [my-proxy]\n    ports: ['443/tcp']\n    required: yes\n"
    )
    bundle = tmp_path / "b.yaml"
    bundle.write_text(
        "machines: {'0': {}}\napplications:\n  my-proxy: {charm: my-proxy, num_units: 1, to: ['0']}\n"
        "  agent: {charm: anbox-stream-agent, num_units: 1, to: ['0']}\n"
    )
    code, out, _ = run("check", str(bundle), "--format", "json")
    assert code == 0
    assert json.loads(out)["summary"]["unchecked"] == 1
    code, out, _ = run("check", str(bundle), "--catalog", str(catalog), "--format", "json")
    assert code == 1
    assert json.loads(out)["findings"][0]["units"] == ["agent/0", "my-proxy/0"]


@pytest.mark.parametrize(
    ("content", "argv", "expected"),
    [
        (None, ("check", "/nonexistent/bundle.yaml"), "/nonexistent/bundle.yaml: cannot read"),
        ("applications: [", (), ": invalid YAML"),
        ("", (), "empty"),
        ("\x00\x01\x02binary", (), ""),
        ("applications:\n  a:\n    charm: ams\n    num_units: 1\n    to: ['7']\n", (), "machine"),
        (
            "services:\n  - service: X\n    charms: [x]\n    ports: ['2-1']\n",
            ("--catalog",),
            "invalid port range 2-1/tcp",
        ),
    ],
)
def test_unusable_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, content: str | None, argv: tuple[str, ...], expected: str
) -> None:
    path = tmp_path / "input.yaml"
    if content is not None:
        path.write_text(content)
    if argv == ("--catalog",):
        args = ["check", "--catalog", str(path)]
    elif argv:
        args = list(argv)
    else:
        args = ["check", str(path)]
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert expected in err
    assert err.startswith("anbox-ports check: ")


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "--juju", "5"),
        ("check", "--format", "xml"),
        ("frobnicate",),
        (),
        ("check", "--claim", "8444/tcp=x"),
        ("check", "--overlay", "x.yaml"),
        ("firewall", "--format", "pf"),
        ("firewall", "--internal", "10.0.0.1/8"),
        ("preflight", "--service", "nosuch"),
        ("check", "--space", "dmz=10.0.0.0/8"),
        ("check", "--timeout", "5"),
        ("check", "--model", "Anbox"),
        ("check", "--model", "anbox", "--timeout", "0"),
        ("check", "-", "-"),
        ("check", "--timeout", "soon", "--model", "anbox"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: tuple[str, ...]) -> None:
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err


@pytest.mark.parametrize(
    "argv",
    [
        ("firewall", "--internal", "10.0.0.0/8\n\x1b[31mx"),
        ("firewall", "--service", "coturn\n\x1b]0;title\x07"),
        ("preflight", "--service", "nosuch\x1b[2J\nline"),
        ("check", "no\nsuch\x1b[8mfile.yaml"),
        ("check", "--catalog", "cat\u2028alog\x9b.yaml"),
        ("check", "--overlay", "\x1b[31m", "bundle.yaml"),
        ("check", "--bogus\x1b[31m", "x\ny"),
        ("check", "--format", "\x1b[8m"),
        ("frobnicate\x1b]52;c;ZXZpbA==\x07",),
    ],
)
def test_one_error_line_escapes_what_it_quotes(argv: tuple[str, ...]) -> None:
    """A newline or ESC in an argument or a file name never makes two lines or reaches the terminal."""
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.endswith("\n")
    assert err[:-1].isprintable(), err


def test_an_internal_error_is_one_escaped_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from anbox_cloud_ports import checks

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom\n\x1b[2J")

    monkeypatch.setattr(checks, "check", broken)
    monkeypatch.delenv("ANBOX_PORTS_DEBUG", raising=False)
    code, out, err = run("check")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "boom\\n\\x1b[2J" in err


def test_show_unit_dumps_are_detected(tmp_path: Path) -> None:
    from anbox_cloud_ports.databag import PublishedClaim, encode_provider
    from anbox_cloud_ports.ports import PortRange

    def data(service: str, port: str) -> dict[str, str]:
        claims = [PublishedClaim(PortRange.parse(port), "public", True)]
        return {
            "private-address": "10.0.0.1",
            **encode_provider(service, "charmed", "5d0c52b4-8f8b-4d3a-9a3e-1f6c7b2d9e01", "0", claims),
        }

    dump = {
        "anbox-cloud-ports/0": {
            "workload-version": "",
            "machine": "5",
            "relation-info": [
                {
                    "relation-id": 3,
                    "endpoint": "ports",
                    "related-endpoint": "ports",
                    "application-data": {},
                    "related-units": {
                        "lb/0": {"in-scope": True, "data": data("haproxy", "443/tcp")},
                        "agent/0": {"in-scope": True, "data": data("anbox-stream-agent", "443/tcp")},
                    },
                }
            ],
        }
    }
    path = tmp_path / "show-unit.json"
    path.write_text(json.dumps(dump))
    code, out, err = run("check", str(path), "--format", "json")
    assert code == 1, err
    document = json.loads(out)
    assert [f["units"] for f in document["findings"] if f["rule"] == "port-conflict"] == [["agent/0", "lb/0"]]


@pytest.mark.parametrize("path", sorted(p.name for p in (CORPUS / "status").iterdir()))
def test_every_corpus_status_is_judged(path: str) -> None:
    code, out, err = run("check", str(CORPUS / "status" / path), "--format", "json")
    assert code in (0, 1), err
    assert json.loads(out)["summary"]["units"] >= 0


def test_the_console_script_runs_without_importing_ops() -> None:
    probe = (
        "import sys; from anbox_cloud_ports.cli import main; code = main(['check', '--format', 'json']);"
        "assert 'ops' not in sys.modules, 'ops imported'; assert 'pydantic' not in sys.modules or True;"
        "sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["errors"] == 0


def test_the_appliance_is_judged_by_its_sockets_not_by_juju() -> None:
    code, out, _ = run(
        "check", "--profile", "appliance", "--claim", "8444/tcp=my-service", "--format", "json"
    )
    document = json.loads(out)
    assert code == 1
    [finding] = document["findings"]
    assert (finding["rule"], finding["views"], finding["units"]) == (
        "port-conflict",
        ["bind"],
        ["ams/0", "my-service/0"],
    )
    assert "Juju" not in finding["message"]
    assert "juju" not in finding["fix"].lower()
    assert "8445/tcp" in finding["fix"]


def test_preflight_and_firewall_run_on_this_machine() -> None:
    code, out, err = run("preflight", "--format", "json")
    assert code in (0, 1), err
    assert json.loads(out)["summary"]["hosts"] == 1
    code, out, _ = run("firewall", "--format", "nftables", "--internal", "10.0.0.0/8")
    assert code == 0
    assert "udp dport" in out
    assert "10.0.0.0/8" in out


def test_appliance_claims_from_a_file(tmp_path: Path) -> None:
    claims = tmp_path / "claims.yaml"
    claims.write_text("claims:\n  node-exporter: 9100\n  my-proxy: [443/tcp]\n")
    code, out, _ = run("check", "--profile", "appliance", "--claims", str(claims), "--format", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["units"] == ["my-proxy/0", "ui-and-api/0"]
    claims.write_text("claims:\n  my-proxy: [70000/tcp]\n")
    code, out, err = run("check", "--profile", "appliance", "--claims", str(claims))
    assert (code, out) == (2, "")
    assert str(claims) in err
    assert "70000" in err


TERRAFORM_LAYOUT = """\
# The supported Terraform layout: NATS's client endpoint exposed to private networks on purpose.
machines:
  "0": {}
  "1": {}
  "2": {}
applications:
  nats:
    charm: nats
    num_units: 1
    to: ["0"]
  anbox-stream-gateway:
    charm: anbox-stream-gateway
    num_units: 1
    to: ["0"]
  ams:
    charm: ams
    num_units: 1
    to: ["1"]
  coturn:
    charm: coturn
    num_units: 1
    expose: true
    to: ["1"]
  lxd:
    charm: ams-lxd
    num_units: 1
    to: ["2"]
--- # overlay
applications:
  nats:
    exposed-endpoints:
      client:
        expose-to-cidrs: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
"""


def test_the_terraform_layout_exposes_nats_to_private_networks_only(tmp_path: Path) -> None:
    bundle = tmp_path / "terraform.yaml"
    bundle.write_text(TERRAFORM_LAYOUT)
    code, out, _ = run("check", str(bundle), "--format", "json")
    document = json.loads(out)
    assert code == 0, document
    [finding] = document["findings"]
    assert (finding["rule"], finding["severity"], finding["ports"]) == (
        "internal-port-exposed",
        "info",
        ["4222/tcp"],
    )


TF = Path(__file__).parent / "data" / "terraform"
TF_ROOT = str(TF / "anbox-cloud-terraform")
TF_VARS = str(TF / "deploy.tfvars")


def test_a_terraform_directory_is_checked_with_its_variable_file() -> None:
    code, out, err = run("check", TF_ROOT, "--var-file", TF_VARS, "--format", "json")
    document = json.loads(out)
    assert (code, err) == (0, "")
    assert [(f["rule"], f["severity"]) for f in document["findings"]] == [("internal-port-exposed", "info")]
    assert document["findings"][0]["hosts"] == ["anbox-controller:juju_machine.controller_node[0]"]


def test_var_and_var_file_apply_in_command_line_order(tmp_path: Path) -> None:
    off = tmp_path / "off.tfvars"
    off.write_text("enable_lb = false\n")
    lb = ("unlisted-port-exposed", "warning")
    code, out, _ = run(
        "check",
        TF_ROOT,
        "--var-file",
        TF_VARS,
        "--var",
        "enable_lb=true",
        "--var-file",
        str(off),
        "--format",
        "json",
    )
    assert code == 0
    assert lb not in [(f["rule"], f["severity"]) for f in json.loads(out)["findings"]]
    code, out, _ = run(
        "check",
        TF_ROOT,
        "--var-file",
        TF_VARS,
        "--var-file",
        str(off),
        "--var",
        "enable_lb=true",
        "--format",
        "json",
    )
    assert code == 0
    assert lb in [(f["rule"], f["severity"]) for f in json.loads(out)["findings"]]


def test_the_plan_json_of_the_same_variables_gives_the_same_findings() -> None:
    _, from_dir, _ = run(
        "check", TF_ROOT, "--var-file", TF_VARS, "--var", "enable_lb=true", "--format", "json"
    )
    _, from_plan, _ = run("check", str(TF / "plans" / "plan-lb.json"), "--format", "json")

    def strip(doc):
        return [(f["rule"], f["severity"], f["message"], f["hosts"]) for f in json.loads(doc)["findings"]]

    assert strip(from_plan) == strip(from_dir)


@pytest.mark.parametrize(
    ("extra", "file_text", "expected"),
    [
        (
            (),
            "enable_hA = true\n",
            "bad.tfvars:1: value for undeclared variable 'enable_hA': the root module declares no such variable",
        ),
        ((), 'enable_ha = "maybe"\n', "bad.tfvars:1: invalid value for var.enable_ha (declared at"),
        ((), "enable_ha = \n", "bad.tfvars:1:13: invalid HCL syntax: unexpected end of line"),
        (("--var", "nope=1"), "", "-var \"nope=1\": value for undeclared variable 'nope'"),
    ],
)
def test_a_wrong_variable_is_one_line_and_exit_2(
    tmp_path: Path, extra: tuple[str, ...], file_text: str, expected: str
) -> None:
    bad = tmp_path / "bad.tfvars"
    bad.write_text(file_text)
    code, out, err = run("check", TF_ROOT, "--var-file", TF_VARS, "--var-file", str(bad), *extra)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert expected in err.replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ("check", TF_VARS, "--var", "a=1"),
            "anbox-ports check: --var: applies to a Terraform root module directory INPUT\n",
        ),
        (
            ("check", "--var-file", TF_VARS),
            "anbox-ports check: --var-file: applies to a Terraform root module directory INPUT\n",
        ),
        (
            ("check", TF_ROOT, "--overlay", TF_VARS),
            "anbox-ports check: --overlay: applies to bundles, not to a Terraform directory\n",
        ),
    ],
)
def test_terraform_flags_out_of_place_are_refused(argv: tuple[str, ...], expected: str) -> None:
    assert run(*argv)[0::2] == (2, expected)


def test_without_python_hcl2_a_directory_input_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from anbox_cloud_ports.sources.terraform import hcl

    monkeypatch.setitem(sys.modules, "hcl2", None)
    hcl._parser.cache_clear()
    hcl._parse_body_cached.cache_clear()
    try:
        code, _, err = run("check", TF_ROOT, "--var-file", TF_VARS)
    finally:
        hcl._parser.cache_clear()
    assert (code, err) == (
        2,
        "anbox-ports check: reading a Terraform directory needs the optional dependency python-hcl2: "
        "pip install 'anbox-cloud-ports[terraform]'\n",
    )


ANBOX = DATA / "juju" / "anbox"


def test_several_inputs_complete_one_status(tmp_path: Path) -> None:
    status, shown, ports = (
        str(ANBOX / n) for n in ("status.json", "show-application.json", "exec-opened-ports.json")
    )
    code, out, err = run("check", status, shown, ports, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["findings"] == []
    assert json.loads(out)["input"] == f"{status}, {shown}, {ports}"
    code, out, _ = run("check", status, "--format", "json")
    [warning] = json.loads(out)["findings"]
    assert (code, warning["rule"], warning["severity"]) == (0, "internal-port-exposed", "warning")


def test_space_options_say_what_a_space_holds(tmp_path: Path) -> None:
    shown = json.loads((ANBOX / "show-application.json").read_text())
    shown["lxd"]["exposed-endpoints"] = {"": {"expose-to-spaces": ["dmz"]}}
    (tmp_path / "show.json").write_text(json.dumps(shown))
    files = (str(ANBOX / "status.json"), str(tmp_path / "show.json"), str(ANBOX / "exec-opened-ports.json"))
    severities = {}
    for extra in (
        (),
        ("--space", "dmz=10.0.0.0/8"),
        ("--space", "dmz=203.0.113.0/24"),
        (str(ANBOX / "spaces.json"),),
    ):
        code, out, err = run("check", *files, *extra, "--format", "json")
        assert code in (0, 1), err
        severities[extra] = [f["severity"] for f in json.loads(out)["findings"]]
    assert list(severities.values()) == [["warning"], ["info"], ["error"], ["error"]]


def test_standard_input_among_several_inputs() -> None:
    status = (ANBOX / "status.json").read_text()
    code, out, err = run("check", "-", str(ANBOX / "show-application.json"), "--format", "json", stdin=status)
    assert (code, err) == (0, "")
    assert json.loads(out)["input"].startswith("<stdin>, ")


@pytest.mark.parametrize(
    "text",
    [
        '{"applications": {"ams": {"charm": "ams", "num_units": 1}, "ams": {"charm": "ams", "num_units": 2}}}',
        '{"model": {"name": "m"}, "machines": {}, "applications": {}, "applications": {}}',
        '{"ams/0": {"charm": "ams", "leader": true, "opened-ports": [], "opened-ports": null}}',
    ],
)
def test_a_json_key_repeated_in_one_object_is_exit_2(text: str, tmp_path: Path) -> None:
    """As a repeated YAML key is: json.loads would keep the last one and hide the first."""
    path = tmp_path / "dump.json"
    path.write_text(text)
    code, out, err = run("check", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"anbox-ports check: {path}: invalid JSON: key ")
    assert err.count("\n") == 1


def _modules_after(tmp_path: Path, *argv: str) -> set[str]:
    """Top-level packages imported by a run of `anbox-ports` in a fresh interpreter."""
    return {name.split(".")[0] for name in _all_modules_after(tmp_path, *argv)}


def _all_modules_after(tmp_path: Path, *argv: str) -> set[str]:
    """Every module imported by a run of `anbox-ports` in a fresh interpreter."""
    report = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from anbox_cloud_ports.cli import main\n"
        f"status = main({list(argv)!r})\n"
        f"open({str(report)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return set(json.loads(report.read_text()))


def test_one_status_is_checked_without_the_merger_or_the_spaces_reader(tmp_path: Path) -> None:
    """Start-up pays only for what the input needs: one status is neither merged nor given spaces."""
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"model": {"name": "m"}, "machines": {}, "applications": {}}))
    unneeded = {
        "anbox_cloud_ports.sources.combine",
        "anbox_cloud_ports.sources.spaces",
        "binascii",
        "encodings.utf_8_sig",
    }
    alone = _all_modules_after(tmp_path, "check", str(status))
    assert "anbox_cloud_ports.sources.juju_status" in alone
    assert not alone & unneeded
    spaced = _all_modules_after(tmp_path, "check", str(status), "--space", "dmz=10.0.0.0/8")
    assert {"anbox_cloud_ports.sources.combine", "anbox_cloud_ports.sources.spaces"} <= spaced


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown", "mermaid"])
def test_the_cli_imports_neither_ops_nor_pydantic(tmp_path: Path, broken: Path, fmt: str) -> None:
    """The charm side's imports stay the charm's: the command starts fast and runs without them."""
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"model": {"name": "m"}, "machines": {}, "applications": {}}))
    for argv in (["check"], ["check", str(broken)], ["check", str(status)], ["catalog"]):
        imported = _modules_after(tmp_path, *argv, *(["--format", fmt] if argv[0] == "check" else []))
        assert "anbox_cloud_ports" in imported
        assert not imported & {"ops", "pydantic", "pydantic_core", "scenario"}, argv


def test_the_parser_spells_the_firewall_formats_as_the_firewall_module() -> None:
    from anbox_cloud_ports.cli import FIREWALL_FORMATS
    from anbox_cloud_ports.firewall import FORMATS

    assert FIREWALL_FORMATS == FORMATS


@pytest.mark.parametrize("columns", ["100", "0", None])
def test_help_is_laid_out_as_argparse_lays_it_out(
    monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    """The parser's formatter asks the terminal's width without shutil, and gets what shutil says."""
    import argparse

    from anbox_cloud_ports import cli

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    ours = [cli._parser().format_help(), run("check", "--help")[1]]
    monkeypatch.setattr(cli, "_Formatter", argparse.HelpFormatter)
    assert ours == [cli._parser().format_help(), run("check", "--help")[1]]


def test_the_command_keeps_the_report_for_its_exit_and_main_keeps_nothing(
    broken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run` leaves the report and the index to the process's exit (not freed one object at a time); `main` frees them."""
    from anbox_cloud_ports import cli

    def kept() -> list[object] | None:
        return cli._left_to_exit

    code, out, _ = run("check", str(broken), "--format", "json")
    assert kept() is None
    exits: list[int] = []

    def leave(status: int) -> None:
        exits.append(status)
        raise SystemExit(status)

    monkeypatch.setattr(cli.os, "_exit", leave)
    monkeypatch.setattr(sys, "argv", ["anbox-ports", "check", str(broken), "--format", "json"])
    monkeypatch.setattr(cli, "_left_to_exit", None)
    with pytest.raises(SystemExit):
        cli.run()
    assert exits == [code]
    assert capsys.readouterr().out == out
    assert [type(one).__name__ for one in kept() or ()] == ["list", "Index", "Report"]
    parsed = (kept() or [None])[0]
    assert [type(one).__name__ for one in cast(list[object], parsed)] == ["Parsed"]
