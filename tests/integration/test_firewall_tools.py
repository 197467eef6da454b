"""The firewall outputs, fed to the real tools: nft, iptables-restore, ufw, and a POSIX shell.

Each tool is optional: a test skips, saying which Debian package brings it, when the tool is absent
or cannot run here (most need root). With root and `ip netns`, the nftables and iptables outputs are
loaded for real, twice, in a throwaway namespace, to prove they load and that loading again replaces
rather than duplicates.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.firewall import firewall_rules
from anbox_cloud_ports.ports import merge

from .netns import namespace, require_netns

INTERNAL = ("10.0.0.0/8", "192.168.0.0/16", "fd00::/8")
CASES = [
    pytest.param(profile, internal, services, id=f"{profile}-{len(internal)}nets-{services or 'all'}")
    for profile in ("appliance", "charmed")
    for internal in ((), INTERNAL)
    for services in (None, ("coturn",))
]


def require_tool(name: str, package: str, probe: list[str] | None = None, stdin: str | None = None) -> None:
    """Skip unless `name` is installed and, when `probe` is given, that trivial command works here."""
    if shutil.which(name) is None:
        pytest.skip(f"`{name}` is not installed (Debian package {package})")
    if probe is not None:
        result = subprocess.run(probe, input=stdin, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"`{' '.join(probe)}` cannot run here: {result.stderr.strip() or result.returncode}")


def heredocs(script: str) -> dict[str, str]:
    """`tool <<'EOF' ... EOF` bodies of a script, by tool."""
    return {
        m["tool"]: m["body"]
        for m in re.finditer(r"^(?P<tool>\S+) --noflush <<'EOF'\n(?P<body>.*?)^EOF$", script, re.M | re.S)
    }


# -- nftables -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "internal", "services"), CASES)
def test_nft_accepts_the_ruleset(tmp_path: Path, profile: str, internal: tuple[str, ...], services):
    require_tool("nft", "nftables", ["nft", "-c", "-f", "-"], "table inet acp_probe { }\n")
    path = tmp_path / "anbox.nft"
    path.write_text(firewall_rules(profile, "nftables", internal=internal, services=services))
    result = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_nft_loads_twice_in_a_namespace_and_holds_the_catalog_ports(tmp_path: Path):
    require_netns()
    require_tool("nft", "nftables")
    path = tmp_path / "anbox.nft"
    path.write_text(firewall_rules("appliance", "nftables", internal=INTERNAL))
    with namespace() as ns:
        ns.run("nft", "-f", str(path))
        ns.run("nft", "-f", str(path))
        listed = ns.run("nft", "list", "table", "inet", "anbox_cloud").stdout
        tables = ns.run("nft", "list", "tables").stdout
    assert tables.split() == ["table", "inet", "anbox_cloud"]
    assert "tcp dport { 443, 10000-11000 } accept" in listed
    assert "udp dport { 5349, 10000-11000, 60000-60100 } accept" in listed
    assert (
        "ip saddr { 10.0.0.0/8, 192.168.0.0/16 } tcp dport { 4004, 5000, 8444, 9031, 9033 } accept" in listed
    )
    assert "ip6 saddr fd00::/8 tcp dport { 4004, 5000, 8444, 9031, 9033 } accept" in listed
    rules = [line for line in listed.splitlines() if " accept" in line and "policy" not in line]
    assert len(rules) == 7  # established, lo, icmp, tcp, udp, ip, ip6: loaded once, not twice


# -- iptables -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "internal", "services"), CASES)
def test_iptables_restore_accepts_both_families(profile: str, internal: tuple[str, ...], services):
    script = firewall_rules(profile, "iptables", internal=internal, services=services)
    bodies = heredocs(script)
    assert set(bodies) == {"iptables-restore", "ip6tables-restore"}
    for tool, body in bodies.items():
        require_tool(tool, "iptables", [tool, "--test"], "*filter\nCOMMIT\n")
        result = subprocess.run(
            [tool, "--test", "--noflush"], input=body, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{tool}: {result.stderr}\n{body}"


def test_iptables_script_runs_twice_in_a_namespace():
    require_netns()
    require_tool("iptables", "iptables")
    script = firewall_rules("appliance", "iptables", internal=INTERNAL)
    with namespace() as ns:
        ns.run("sh", "-c", script)
        ns.run("sh", "-c", script)
        v4 = ns.run("iptables", "-S").stdout.splitlines()
        v6 = ns.run("ip6tables", "-S").stdout.splitlines()
    assert v4.count("-A INPUT -j ANBOX-CLOUD") == 1
    assert v6.count("-A INPUT -j ANBOX-CLOUD") == 1
    v4_rules = [line for line in v4 if line.startswith("-A ANBOX-CLOUD")]
    v6_rules = [line for line in v6 if line.startswith("-A ANBOX-CLOUD")]
    # 5 external ranges in each family; 5 internal ports from each of the 2 IPv4 and the 1 IPv6 networks.
    assert len(v4_rules) == 5 + 5 * 2
    assert len(v6_rules) == 5 + 5
    assert (
        '-A ANBOX-CLOUD -p udp -m udp --dport 60000:60100 -m comment --comment "anbox-cloud: Coturn" -j ACCEPT'
        in v4_rules
    )
    assert any(line.startswith("-A ANBOX-CLOUD -s fd00::/8 -p tcp -m tcp --dport 8444") for line in v6_rules)


# -- ufw ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("internal", [(), INTERNAL])
def test_ufw_accepts_every_rule(internal: tuple[str, ...]):
    if os.geteuid() != 0:
        pytest.skip("ufw --dry-run needs root")
    require_tool("ufw", "ufw", ["ufw", "--dry-run", "allow", "443/tcp"])
    lines = [
        x for x in firewall_rules("appliance", "ufw", internal=internal).splitlines() if x.startswith("ufw ")
    ]
    assert lines
    for line in lines:
        argv = ["ufw", "--dry-run", *shlex.split(line)[1:]]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert result.returncode == 0, (line, result.stderr)
        assert "ERROR" not in result.stdout + result.stderr, line
        assert "### tuple ### allow" in result.stdout, line


# -- the cloud CLIs, through a POSIX shell with stand-ins --------------------------------------

STUB = """#!{python}
import json, os, sys
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
"""


def run_with_stubs(tmp_path: Path, script: str, env: dict[str, str]) -> list[list[str]]:
    """Run a script with `aws`, `gcloud`, `az` replaced by stubs that log their argv."""
    require_tool("sh", "dash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("aws", "gcloud", "az"):
        stub = bin_dir / name
        stub.write_text(STUB.format(python=sys.executable))
        stub.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    full_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log), **env}
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=full_env, check=False)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def flag(argv: list[str], name: str) -> list[str]:
    """The values after `name` (up to the next flag), or the `=` value."""
    for i, arg in enumerate(argv):
        if arg.startswith(name + "="):
            return [arg.split("=", 1)[1]]
        if arg == name:
            values: list[str] = []
            for value in argv[i + 1 :]:
                if value.startswith("--"):
                    break
                values.append(value)
            return values
    raise AssertionError(f"{name} not in {argv}")


def catalog_ports(profile: str, exposed: bool) -> list[str]:
    rows = [r for r in Catalog.builtin().profile(profile) if r.exposed == exposed]  # type: ignore[arg-type]
    return [str(p) for p in merge(p for r in rows for p in r.claims)]


@pytest.mark.parametrize("profile", ["appliance", "charmed"])
def test_aws_script_passes_the_permissions_json(tmp_path: Path, profile: str):
    script = firewall_rules(profile, "aws", internal=INTERNAL)
    calls = run_with_stubs(tmp_path, script, {"SECURITY_GROUP_ID": "sg-123"})
    assert len(calls) == 1
    (argv,) = calls
    assert argv[:3] == ["aws", "ec2", "authorize-security-group-ingress"]
    assert flag(argv, "--group-id") == ["sg-123"]
    permissions = json.loads(flag(argv, "--ip-permissions")[0])
    world = [p for p in permissions if p["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"]
    inside = [p for p in permissions if p not in world]
    as_text = [
        f"{p['FromPort']}{'' if p['FromPort'] == p['ToPort'] else '-' + str(p['ToPort'])}/{p['IpProtocol']}"
        for p in world
    ]
    assert as_text == catalog_ports(profile, exposed=True)
    assert all(
        p["Ipv6Ranges"] == [{"CidrIpv6": "::/0", "Description": p["Ipv6Ranges"][0]["Description"]}]
        for p in world
    )
    for p in inside:
        assert [r["CidrIp"] for r in p["IpRanges"]] == ["10.0.0.0/8", "192.168.0.0/16"]
        assert [r["CidrIpv6"] for r in p["Ipv6Ranges"]] == ["fd00::/8"]


def test_aws_script_refuses_to_run_without_a_security_group(tmp_path: Path):
    require_tool("sh", "dash")
    script = firewall_rules("appliance", "aws")
    env = {k: v for k, v in os.environ.items() if k != "SECURITY_GROUP_ID"}
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode != 0
    assert "set SECURITY_GROUP_ID" in result.stderr


def test_gcp_script_creates_one_rule_per_family(tmp_path: Path):
    script = firewall_rules("appliance", "gcp", internal=INTERNAL)
    calls = run_with_stubs(tmp_path, script, {})
    assert [argv[4] for argv in calls] == [
        "anbox-cloud-appliance-ipv4",
        "anbox-cloud-appliance-ipv6",
        "anbox-cloud-appliance-internal-ipv4",
        "anbox-cloud-appliance-internal-ipv6",
    ]
    assert flag(calls[0], "--allow") == ["tcp:443,tcp:10000-11000,udp:5349,udp:10000-11000,udp:60000-60100"]
    assert [flag(argv, "--source-ranges") for argv in calls] == [
        ["0.0.0.0/0"],
        ["::/0"],
        ["10.0.0.0/8,192.168.0.0/16"],
        ["fd00::/8"],
    ]
    assert {flag(argv, "--network")[0] for argv in calls} == {"default"}
    assert {flag(argv, "--target-tags")[0] for argv in calls} == {"anbox-cloud"}


def test_azure_script_gives_each_rule_its_own_priority(tmp_path: Path):
    script = firewall_rules("appliance", "azure", internal=INTERNAL)
    calls = run_with_stubs(tmp_path, script, {"RESOURCE_GROUP": "rg", "NSG_NAME": "nsg"})
    assert [flag(argv, "--priority")[0] for argv in calls] == ["1000", "1010", "1020", "1030"]
    assert [flag(argv, "--destination-port-ranges") for argv in calls] == [
        ["443", "10000-11000"],
        ["5349", "10000-11000", "60000-60100"],
        ["4004", "5000", "8444", "9031", "9033"],
        ["4004", "5000", "8444", "9031", "9033"],
    ]
    assert [flag(argv, "--source-address-prefixes") for argv in calls] == [
        ["*"],
        ["*"],
        ["10.0.0.0/8", "192.168.0.0/16"],
        ["fd00::/8"],
    ]
    assert {flag(argv, "--resource-group")[0] for argv in calls} == {"rg"}


@pytest.mark.parametrize("fmt", ["ufw", "iptables", "aws", "gcp", "azure"])
@pytest.mark.parametrize("profile", ["appliance", "charmed"])
def test_shell_outputs_parse(fmt: str, profile: str):
    require_tool("sh", "dash")
    script = firewall_rules(profile, fmt, internal=INTERNAL)
    result = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
