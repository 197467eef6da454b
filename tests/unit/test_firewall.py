"""Firewall rules: the exact text per format, and properties that hold for any selection of services."""

from __future__ import annotations

import io
import json
import re
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.firewall import FORMATS, firewall_plan, firewall_rules, parse_networks
from anbox_cloud_ports.ports import PortRange, merge

INTERNAL = ("10.0.0.0/8", "fd00::/8")

# The reviewed outputs. A change here is a change an operator sees: review the diff, not just the test.
APPLIANCE = {
    "ufw": """\
# anbox-cloud-ports ufw rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 60000-60100/udp from anywhere; 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp from 10.0.0.0/8, fd00::/8 only.
# Run as root with `sh FILE`. The rules act once ufw is enabled: allow SSH before `ufw enable`.
ufw allow 443/tcp comment 'anbox-cloud: UI and API'
ufw allow 10000:11000/tcp comment 'anbox-cloud: AMS node controller'
ufw allow 5349/udp comment 'anbox-cloud: Coturn'
ufw allow 10000:11000/udp comment 'anbox-cloud: AMS node controller'
ufw allow 60000:60100/udp comment 'anbox-cloud: Coturn'
ufw allow from 10.0.0.0/8 to any port 4004 proto tcp comment 'anbox-cloud: NATS'
ufw allow from 10.0.0.0/8 to any port 5000 proto tcp comment 'anbox-cloud: Anbox Cloud Dashboard'
ufw allow from 10.0.0.0/8 to any port 8444 proto tcp comment 'anbox-cloud: AMS API'
ufw allow from 10.0.0.0/8 to any port 9031 proto tcp comment 'anbox-cloud: Anbox Stream Gateway'
ufw allow from 10.0.0.0/8 to any port 9033 proto tcp comment 'anbox-cloud: Anbox Stream Agent'
ufw allow from fd00::/8 to any port 4004 proto tcp comment 'anbox-cloud: NATS'
ufw allow from fd00::/8 to any port 5000 proto tcp comment 'anbox-cloud: Anbox Cloud Dashboard'
ufw allow from fd00::/8 to any port 8444 proto tcp comment 'anbox-cloud: AMS API'
ufw allow from fd00::/8 to any port 9031 proto tcp comment 'anbox-cloud: Anbox Stream Gateway'
ufw allow from fd00::/8 to any port 9033 proto tcp comment 'anbox-cloud: Anbox Stream Agent'
""",
    "nftables": """\
# anbox-cloud-ports nftables rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 60000-60100/udp from anywhere; 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp from 10.0.0.0/8, fd00::/8 only.
#
# Load with `nft -f FILE`; loading it again replaces the table (declaring and deleting it
# first makes that work whether or not it exists).
#
# The policy stays accept: a drop policy here would also cut SSH and everything else this file
# does not know about. nftables runs every base chain on a hook and a drop in any of them wins, so
# an accept here does not override another firewall's drop: admit these ports there, or make this
# the host's firewall by adding your own way in (see the SSH line) and setting `policy drop`.
table inet anbox_cloud
delete table inet anbox_cloud
table inet anbox_cloud {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tct state established,related accept
\t\tiif "lo" accept
\t\tmeta l4proto { icmp, ipv6-icmp } accept
\t\t# tcp dport 22 accept comment "ssh"
\t\ttcp dport { 443, 10000-11000 } accept comment "anbox-cloud: UI and API, AMS node controller"
\t\tudp dport { 5349, 10000-11000, 60000-60100 } accept comment "anbox-cloud: Coturn, AMS node controller"
\t\tip saddr 10.0.0.0/8 tcp dport { 4004, 5000, 8444, 9031, 9033 } accept comment "anbox-cloud: NATS, Anbox Cloud Dashboard, AMS API, Anbox Stream Gateway, Anbox Stream Agent"
\t\tip6 saddr fd00::/8 tcp dport { 4004, 5000, 8444, 9031, 9033 } accept comment "anbox-cloud: NATS, Anbox Cloud Dashboard, AMS API, Anbox Stream Gateway, Anbox Stream Agent"
\t}
}
""",
    "iptables": """\
# anbox-cloud-ports iptables rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 60000-60100/udp from anywhere; 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp from 10.0.0.0/8, fd00::/8 only.
#
# Run as root with `sh FILE`. The rules live in their own chain, ANBOX-CLOUD, which INPUT
# jumps to first; running it again replaces the chain's rules (iptables-restore --noflush
# flushes a chain it declares) and adds the jump only once. Persist them your usual way
# (e.g. iptables-persistent's `netfilter-persistent save`).
set -e
iptables-restore --noflush <<'EOF'
*filter
:ANBOX-CLOUD - [0:0]
-A ANBOX-CLOUD -p tcp -m tcp --dport 443 -m comment --comment "anbox-cloud: UI and API" -j ACCEPT
-A ANBOX-CLOUD -p tcp -m tcp --dport 10000:11000 -m comment --comment "anbox-cloud: AMS node controller" -j ACCEPT
-A ANBOX-CLOUD -p udp -m udp --dport 5349 -m comment --comment "anbox-cloud: Coturn" -j ACCEPT
-A ANBOX-CLOUD -p udp -m udp --dport 10000:11000 -m comment --comment "anbox-cloud: AMS node controller" -j ACCEPT
-A ANBOX-CLOUD -p udp -m udp --dport 60000:60100 -m comment --comment "anbox-cloud: Coturn" -j ACCEPT
-A ANBOX-CLOUD -s 10.0.0.0/8 -p tcp -m tcp --dport 4004 -m comment --comment "anbox-cloud: NATS" -j ACCEPT
-A ANBOX-CLOUD -s 10.0.0.0/8 -p tcp -m tcp --dport 5000 -m comment --comment "anbox-cloud: Anbox Cloud Dashboard" -j ACCEPT
-A ANBOX-CLOUD -s 10.0.0.0/8 -p tcp -m tcp --dport 8444 -m comment --comment "anbox-cloud: AMS API" -j ACCEPT
-A ANBOX-CLOUD -s 10.0.0.0/8 -p tcp -m tcp --dport 9031 -m comment --comment "anbox-cloud: Anbox Stream Gateway" -j ACCEPT
-A ANBOX-CLOUD -s 10.0.0.0/8 -p tcp -m tcp --dport 9033 -m comment --comment "anbox-cloud: Anbox Stream Agent" -j ACCEPT
COMMIT
EOF
iptables -C INPUT -j ANBOX-CLOUD 2>/dev/null || iptables -I INPUT -j ANBOX-CLOUD
ip6tables-restore --noflush <<'EOF'
*filter
:ANBOX-CLOUD - [0:0]
-A ANBOX-CLOUD -p tcp -m tcp --dport 443 -m comment --comment "anbox-cloud: UI and API" -j ACCEPT
-A ANBOX-CLOUD -p tcp -m tcp --dport 10000:11000 -m comment --comment "anbox-cloud: AMS node controller" -j ACCEPT
-A ANBOX-CLOUD -p udp -m udp --dport 5349 -m comment --comment "anbox-cloud: Coturn" -j ACCEPT
-A ANBOX-CLOUD -p udp -m udp --dport 10000:11000 -m comment --comment "anbox-cloud: AMS node controller" -j ACCEPT
-A ANBOX-CLOUD -p udp -m udp --dport 60000:60100 -m comment --comment "anbox-cloud: Coturn" -j ACCEPT
-A ANBOX-CLOUD -s fd00::/8 -p tcp -m tcp --dport 4004 -m comment --comment "anbox-cloud: NATS" -j ACCEPT
-A ANBOX-CLOUD -s fd00::/8 -p tcp -m tcp --dport 5000 -m comment --comment "anbox-cloud: Anbox Cloud Dashboard" -j ACCEPT
-A ANBOX-CLOUD -s fd00::/8 -p tcp -m tcp --dport 8444 -m comment --comment "anbox-cloud: AMS API" -j ACCEPT
-A ANBOX-CLOUD -s fd00::/8 -p tcp -m tcp --dport 9031 -m comment --comment "anbox-cloud: Anbox Stream Gateway" -j ACCEPT
-A ANBOX-CLOUD -s fd00::/8 -p tcp -m tcp --dport 9033 -m comment --comment "anbox-cloud: Anbox Stream Agent" -j ACCEPT
COMMIT
EOF
ip6tables -C INPUT -j ANBOX-CLOUD 2>/dev/null || ip6tables -I INPUT -j ANBOX-CLOUD
""",
    "aws": """\
# anbox-cloud-ports aws rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 60000-60100/udp from anywhere; 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp from 10.0.0.0/8, fd00::/8 only.
# Set SECURITY_GROUP_ID to the security group of the instance, then run with `sh FILE`.
aws ec2 authorize-security-group-ingress \\
  --group-id "${SECURITY_GROUP_ID:?set SECURITY_GROUP_ID to the security group id}" \\
  --ip-permissions '[
  {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anbox-cloud: UI and API"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "anbox-cloud: UI and API"}]},
  {"IpProtocol": "tcp", "FromPort": 10000, "ToPort": 11000, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anbox-cloud: AMS node controller"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "anbox-cloud: AMS node controller"}]},
  {"IpProtocol": "udp", "FromPort": 5349, "ToPort": 5349, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anbox-cloud: Coturn"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "anbox-cloud: Coturn"}]},
  {"IpProtocol": "udp", "FromPort": 10000, "ToPort": 11000, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anbox-cloud: AMS node controller"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "anbox-cloud: AMS node controller"}]},
  {"IpProtocol": "udp", "FromPort": 60000, "ToPort": 60100, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anbox-cloud: Coturn"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "anbox-cloud: Coturn"}]},
  {"IpProtocol": "tcp", "FromPort": 4004, "ToPort": 4004, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "anbox-cloud: NATS"}], "Ipv6Ranges": [{"CidrIpv6": "fd00::/8", "Description": "anbox-cloud: NATS"}]},
  {"IpProtocol": "tcp", "FromPort": 5000, "ToPort": 5000, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "anbox-cloud: Anbox Cloud Dashboard"}], "Ipv6Ranges": [{"CidrIpv6": "fd00::/8", "Description": "anbox-cloud: Anbox Cloud Dashboard"}]},
  {"IpProtocol": "tcp", "FromPort": 8444, "ToPort": 8444, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "anbox-cloud: AMS API"}], "Ipv6Ranges": [{"CidrIpv6": "fd00::/8", "Description": "anbox-cloud: AMS API"}]},
  {"IpProtocol": "tcp", "FromPort": 9031, "ToPort": 9031, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "anbox-cloud: Anbox Stream Gateway"}], "Ipv6Ranges": [{"CidrIpv6": "fd00::/8", "Description": "anbox-cloud: Anbox Stream Gateway"}]},
  {"IpProtocol": "tcp", "FromPort": 9033, "ToPort": 9033, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "anbox-cloud: Anbox Stream Agent"}], "Ipv6Ranges": [{"CidrIpv6": "fd00::/8", "Description": "anbox-cloud: Anbox Stream Agent"}]}
]'
""",
    "gcp": """\
# anbox-cloud-ports gcp rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 60000-60100/udp from anywhere; 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp from 10.0.0.0/8, fd00::/8 only.
# Tag the instance first: gcloud compute instances add-tags INSTANCE --tags=anbox-cloud
# (or set TARGET_TAG), and set NETWORK if it is not `default`. Run with `sh FILE`.
gcloud compute firewall-rules create anbox-cloud-appliance-ipv4 \\
  --network="${NETWORK:-default}" --direction=INGRESS \\
  --allow=tcp:443,tcp:10000-11000,udp:5349,udp:10000-11000,udp:60000-60100 \\
  --source-ranges=0.0.0.0/0 \\
  --target-tags="${TARGET_TAG:-anbox-cloud}" \\
  --description='Anbox Cloud appliance, from anywhere: UI and API, AMS node controller, Coturn'
gcloud compute firewall-rules create anbox-cloud-appliance-ipv6 \\
  --network="${NETWORK:-default}" --direction=INGRESS \\
  --allow=tcp:443,tcp:10000-11000,udp:5349,udp:10000-11000,udp:60000-60100 \\
  --source-ranges=::/0 \\
  --target-tags="${TARGET_TAG:-anbox-cloud}" \\
  --description='Anbox Cloud appliance, from anywhere: UI and API, AMS node controller, Coturn'
gcloud compute firewall-rules create anbox-cloud-appliance-internal-ipv4 \\
  --network="${NETWORK:-default}" --direction=INGRESS \\
  --allow=tcp:4004,tcp:5000,tcp:8444,tcp:9031,tcp:9033 \\
  --source-ranges=10.0.0.0/8 \\
  --target-tags="${TARGET_TAG:-anbox-cloud}" \\
  --description='Anbox Cloud appliance, internal: NATS, Anbox Cloud Dashboard, AMS API, Anbox Stream Gateway, Anbox Stream Agent'
gcloud compute firewall-rules create anbox-cloud-appliance-internal-ipv6 \\
  --network="${NETWORK:-default}" --direction=INGRESS \\
  --allow=tcp:4004,tcp:5000,tcp:8444,tcp:9031,tcp:9033 \\
  --source-ranges=fd00::/8 \\
  --target-tags="${TARGET_TAG:-anbox-cloud}" \\
  --description='Anbox Cloud appliance, internal: NATS, Anbox Cloud Dashboard, AMS API, Anbox Stream Gateway, Anbox Stream Agent'
""",
    "azure": """\
# anbox-cloud-ports azure rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 60000-60100/udp from anywhere; 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp from 10.0.0.0/8, fd00::/8 only.
# Set RESOURCE_GROUP and NSG_NAME (the network security group of the VM), then run with
# `sh FILE`. Priorities from 1000 up, in steps of 10, must be free in that NSG.
az network nsg rule create \\
  --resource-group "${RESOURCE_GROUP:?set RESOURCE_GROUP}" --nsg-name "${NSG_NAME:?set NSG_NAME}" \\
  --name anbox-cloud-appliance-tcp --priority 1000 \\
  --direction Inbound --access Allow --protocol Tcp \\
  --source-address-prefixes '*' --source-port-ranges '*' \\
  --destination-address-prefixes '*' --destination-port-ranges 443 10000-11000 \\
  --description 'anbox-cloud appliance: UI and API, AMS node controller'
az network nsg rule create \\
  --resource-group "${RESOURCE_GROUP:?set RESOURCE_GROUP}" --nsg-name "${NSG_NAME:?set NSG_NAME}" \\
  --name anbox-cloud-appliance-udp --priority 1010 \\
  --direction Inbound --access Allow --protocol Udp \\
  --source-address-prefixes '*' --source-port-ranges '*' \\
  --destination-address-prefixes '*' --destination-port-ranges 5349 10000-11000 60000-60100 \\
  --description 'anbox-cloud appliance: Coturn, AMS node controller'
az network nsg rule create \\
  --resource-group "${RESOURCE_GROUP:?set RESOURCE_GROUP}" --nsg-name "${NSG_NAME:?set NSG_NAME}" \\
  --name anbox-cloud-appliance-internal-tcp-ipv4 --priority 1020 \\
  --direction Inbound --access Allow --protocol Tcp \\
  --source-address-prefixes 10.0.0.0/8 --source-port-ranges '*' \\
  --destination-address-prefixes '*' --destination-port-ranges 4004 5000 8444 9031 9033 \\
  --description 'anbox-cloud appliance: NATS, Anbox Cloud Dashboard, AMS API, Anbox Stream Gateway, Anbox Stream Agent'
az network nsg rule create \\
  --resource-group "${RESOURCE_GROUP:?set RESOURCE_GROUP}" --nsg-name "${NSG_NAME:?set NSG_NAME}" \\
  --name anbox-cloud-appliance-internal-tcp-ipv6 --priority 1030 \\
  --direction Inbound --access Allow --protocol Tcp \\
  --source-address-prefixes fd00::/8 --source-port-ranges '*' \\
  --destination-address-prefixes '*' --destination-port-ranges 4004 5000 8444 9031 9033 \\
  --description 'anbox-cloud appliance: NATS, Anbox Cloud Dashboard, AMS API, Anbox Stream Gateway, Anbox Stream Agent'
""",
}
CHARMED = {
    "ufw": """\
# anbox-cloud-ports ufw rules for the charmed profile: admit 80/tcp, 443/tcp, 5349/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 50000-51000/udp from anywhere.
# Not admitted: the internal ports 2379/tcp, 4000/tcp, 4222/tcp, 5000/tcp, 7000/tcp, 8443-8444/tcp, 20002/tcp; name the internal networks to admit them from there only.
# Run as root with `sh FILE`. The rules act once ufw is enabled: allow SSH before `ufw enable`.
ufw allow 80/tcp comment 'anbox-cloud: HAProxy'
ufw allow 443/tcp comment 'anbox-cloud: HAProxy'
ufw allow 5349/tcp comment 'anbox-cloud: Coturn'
ufw allow 10000:11000/tcp comment 'anbox-cloud: LXD'
ufw allow 5349/udp comment 'anbox-cloud: Coturn'
ufw allow 10000:11000/udp comment 'anbox-cloud: LXD'
ufw allow 50000:51000/udp comment 'anbox-cloud: Coturn'
""",
    "nftables": """\
# anbox-cloud-ports nftables rules for the charmed profile: admit 80/tcp, 443/tcp, 5349/tcp, 10000-11000/tcp, 5349/udp, 10000-11000/udp, 50000-51000/udp from anywhere.
# Not admitted: the internal ports 2379/tcp, 4000/tcp, 4222/tcp, 5000/tcp, 7000/tcp, 8443-8444/tcp, 20002/tcp; name the internal networks to admit them from there only.
#
# Load with `nft -f FILE`; loading it again replaces the table (declaring and deleting it
# first makes that work whether or not it exists).
#
# The policy stays accept: a drop policy here would also cut SSH and everything else this file
# does not know about. nftables runs every base chain on a hook and a drop in any of them wins, so
# an accept here does not override another firewall's drop: admit these ports there, or make this
# the host's firewall by adding your own way in (see the SSH line) and setting `policy drop`.
table inet anbox_cloud
delete table inet anbox_cloud
table inet anbox_cloud {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tct state established,related accept
\t\tiif "lo" accept
\t\tmeta l4proto { icmp, ipv6-icmp } accept
\t\t# tcp dport 22 accept comment "ssh"
\t\ttcp dport { 80, 443, 5349, 10000-11000 } accept comment "anbox-cloud: HAProxy, Coturn, LXD"
\t\tudp dport { 5349, 10000-11000, 50000-51000 } accept comment "anbox-cloud: Coturn, LXD"
\t}
}
""",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_appliance_rules_exactly(fmt: str):
    assert firewall_rules("appliance", fmt, internal=INTERNAL) == APPLIANCE[fmt]


@pytest.mark.parametrize("fmt", sorted(CHARMED))
def test_charmed_rules_exactly(fmt: str):
    assert firewall_rules("charmed", fmt) == CHARMED[fmt]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("profile", ["appliance", "charmed"])
def test_every_output_starts_with_a_comment_naming_profile_and_ports(fmt: str, profile: str):
    first = firewall_rules(profile, fmt).splitlines()[0]
    assert first.startswith(f"# anbox-cloud-ports {fmt} rules for the {profile} profile: admit ")
    assert "from anywhere" in first


def test_appliance_without_internal_networks_says_what_stays_closed():
    text = firewall_rules("appliance", "ufw")
    assert text.splitlines()[:2] == [
        "# anbox-cloud-ports ufw rules for the appliance profile: admit 443/tcp, 10000-11000/tcp, 5349/udp, "
        "10000-11000/udp, 60000-60100/udp from anywhere.",
        "# Not admitted: the internal ports 4004/tcp, 5000/tcp, 8444/tcp, 9031/tcp, 9033/tcp; name the internal "
        "networks to admit them from there only.",
    ]
    assert "from " not in "\n".join(x for x in text.splitlines() if not x.startswith("#"))


def test_charmed_internal_port_also_exposed_is_admitted_once():
    # 443/tcp: HAProxy (exposed) and Stream Agent (internal); 8443 LXD and 8444 AMS merge into one range.
    plan = firewall_plan("charmed", internal=["10.0.0.0/8"])
    assert [str(r.port) for r in plan.external] == [
        "80/tcp",
        "443/tcp",
        "5349/tcp",
        "10000-11000/tcp",
        "5349/udp",
        "10000-11000/udp",
        "50000-51000/udp",
    ]
    assert [str(r.port) for r in plan.internal] == [
        "2379/tcp",
        "4000/tcp",
        "4222/tcp",
        "5000/tcp",
        "7000/tcp",
        "8443-8444/tcp",
        "20002/tcp",
    ]
    assert next(r for r in plan.internal if r.port.start == 8443).services == ("AMS", "LXD")


def test_service_selection():
    text = firewall_rules("appliance", "nftables", services=["coturn"], internal=INTERNAL)
    assert text.splitlines()[0] == (
        "# anbox-cloud-ports nftables rules for the appliance profile (services: coturn): "
        "admit 5349/udp, 60000-60100/udp from anywhere."
    )
    assert '\t\tudp dport { 5349, 60000-60100 } accept comment "anbox-cloud: Coturn"' in text
    assert "tcp dport" not in text.replace("# tcp dport 22", "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_internal_only_selection_without_networks_admits_nothing(fmt: str):
    text = firewall_rules("appliance", fmt, services=["ams"])
    assert text.splitlines()[0].endswith("admit nothing from anywhere.")
    assert "8444" in text.splitlines()[1]  # named as not admitted
    assert "8444" not in "\n".join(text.splitlines()[2:])


def test_merged_and_duplicate_ranges_become_one_rule():
    from anbox_cloud_ports.catalog import CatalogRow

    extra = [
        CatalogRow("appliance", "Relay B", ("relay-b",), "60050-60200", "UDP", True, "no", "More relays"),
        CatalogRow("appliance", "Relay C", ("relay-c",), "60201", "UDP", True, "no", "Adjacent"),
        CatalogRow("appliance", "Again", ("again",), "443", "TCP", True, "no", "Duplicate"),
    ]
    text = firewall_rules("appliance", "ufw", catalog=Catalog.builtin().extend(extra))
    rules = [x for x in text.splitlines() if x.startswith("ufw ")]
    assert rules == [
        "ufw allow 443/tcp comment 'anbox-cloud: UI and API, Again'",
        "ufw allow 10000:11000/tcp comment 'anbox-cloud: AMS node controller'",
        "ufw allow 5349/udp comment 'anbox-cloud: Coturn'",
        "ufw allow 10000:11000/udp comment 'anbox-cloud: AMS node controller'",
        "ufw allow 60000:60201/udp comment 'anbox-cloud: Coturn, Relay B, Relay C'",
    ]


# -- properties -----------------------------------------------------------------------------------

_UFW_ANYWHERE = re.compile(r"ufw allow (?P<ports>[0-9:]+)/(?P<proto>tcp|udp) comment '[^']*'")
_UFW_FROM = re.compile(
    r"ufw allow from (?P<net>\S+) to any port (?P<ports>[0-9:]+) proto (?P<proto>tcp|udp) comment '[^']*'"
)


def _ports(text: str, proto: str) -> PortRange:
    return PortRange.parse(f"{text.replace(':', '-')}/{proto}")


def _expand(ranges: list[PortRange]) -> set[tuple[str, int]]:
    return {(r.protocol, p) for r in ranges for p in r.ports()}


@given(
    profile=st.sampled_from(["appliance", "charmed"]),
    data=st.data(),
    networks=st.lists(
        st.sampled_from(["10.0.0.0/8", "192.168.1.0/24", "fd00::/8", "2001:db8::/32"]), unique=True
    ),
)
def test_ufw_admits_exactly_the_exposed_ports_and_internal_ones_only_from_the_networks(
    profile, data, networks
):
    catalog = Catalog.builtin()
    keys = list(catalog.charms(profile))
    services = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(keys), unique=True)))
    text = firewall_rules(profile, "ufw", services=services, internal=networks)
    rows = [r for r in catalog.profile(profile) if services is None or any(c in services for c in r.charms)]
    exposed = _expand([p for r in rows if r.exposed for p in r.claims])
    internal = _expand([p for r in rows if not r.exposed for p in r.claims]) - exposed

    anywhere: list[PortRange] = []
    from_networks: dict[str, list[PortRange]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if m := _UFW_ANYWHERE.fullmatch(line):
            anywhere.append(_ports(m["ports"], m["proto"]))
        elif m := _UFW_FROM.fullmatch(line):
            from_networks.setdefault(m["net"], []).append(_ports(m["ports"], m["proto"]))
        else:
            raise AssertionError(f"unexpected line {line!r}")
    assert anywhere == merge(anywhere)  # already merged: no two rules overlap or touch
    assert _expand(anywhere) == exposed
    assert set(from_networks) == (set(networks) if internal else set())
    for ranges in from_networks.values():
        assert _expand(ranges) == internal


def open_to_everyone(fmt: str, text: str) -> list[PortRange]:
    """The port ranges an output admits from every address, read back from the format's own syntax."""
    out: list[PortRange] = []
    if fmt == "ufw":
        for m in _UFW_ANYWHERE.finditer(text):
            out.append(_ports(m["ports"], m["proto"]))
    elif fmt == "nftables":
        for m in re.finditer(r"^\t\t(?P<proto>tcp|udp) dport (?P<set>\{[^}]*\}|\S+) accept", text, re.M):
            out += [_ports(x, m["proto"]) for x in m["set"].strip("{} ").split(", ")]
    elif fmt == "iptables":
        for m in re.finditer(r"^-A ANBOX-CLOUD -p (?P<proto>\w+) -m \w+ --dport (?P<ports>\S+)", text, re.M):
            out.append(_ports(m["ports"], m["proto"]))
    elif fmt == "aws":
        # One command whose JSON argument spans lines: split the whole script as the shell would.
        argv = shlex.split(text, comments=True)
        if argv:
            for p in json.loads(argv[argv.index("--ip-permissions") + 1]):
                if {"CidrIp": "0.0.0.0/0"}.items() <= (p.get("IpRanges") or [{}])[0].items():
                    out.append(PortRange(p["IpProtocol"], p["FromPort"], p["ToPort"]))
    else:
        # gcp and azure: one shell command per rule; join continued lines, split each, read the flags.
        for command in text.replace("\\\n", " ").splitlines():
            if command.startswith("#") or not command.strip():
                continue
            argv = shlex.split(command)
            if fmt == "gcp":
                flags = dict(a.split("=", 1) for a in argv if a.startswith("--") and "=" in a)
                if flags["--source-ranges"] in ("0.0.0.0/0", "::/0"):
                    for item in flags["--allow"].split(","):
                        proto, ports = item.split(":")
                        out.append(_ports(ports, proto))
            elif fmt == "azure":
                i = argv.index("--source-address-prefixes")
                if argv[i + 1] == "*":
                    proto = argv[argv.index("--protocol") + 1].lower()
                    j = argv.index("--destination-port-ranges") + 1
                    while j < len(argv) and not argv[j].startswith("--"):
                        out.append(_ports(argv[j], proto))
                        j += 1
    return out


@given(
    profile=st.sampled_from(["appliance", "charmed"]),
    fmt=st.sampled_from(FORMATS),
    data=st.data(),
    networks=st.lists(st.sampled_from(["10.0.0.0/8", "192.168.1.0/24", "fd00::/8"]), unique=True),
)
def test_every_format_opens_exactly_the_exposed_ports_to_everyone(profile, fmt, data, networks):
    catalog = Catalog.builtin()
    services = data.draw(
        st.one_of(st.none(), st.lists(st.sampled_from(catalog.charms(profile)), unique=True))
    )
    text = firewall_rules(profile, fmt, services=services, internal=networks)
    rows = [r for r in catalog.profile(profile) if services is None or any(c in services for c in r.charms)]
    exposed = _expand([p for r in rows if r.exposed for p in r.claims])
    opened = open_to_everyone(fmt, text)
    # iptables repeats the rules for each family, gcp has a rule per family: compare sets of ports.
    assert _expand(opened) == exposed


# -- networks and errors --------------------------------------------------------------------------


def test_parse_networks_orders_collapses_and_accepts_single_addresses():
    nets = parse_networks(
        ["fd00::/8", "10.1.0.0/16", "10.0.0.0/8", "192.168.1.7", "fd12::/16", " 172.16.0.0/12 "]
    )
    assert [str(n) for n in nets] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.1.7/32", "fd00::/8"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.1/8", '--internal: "10.0.0.1/8" has host bits set: did you mean 10.0.0.0/8 (or 10.0.0.1)?'),
        ("fd00::1/8", '--internal: "fd00::1/8" has host bits set: did you mean fd00::/8 (or fd00::1)?'),
        (
            "0.0.0.0/0",
            '--internal: "0.0.0.0/0" is every address: internal ports must not be open to everyone',
        ),
        ("::/0", '--internal: "::/0" is every address: internal ports must not be open to everyone'),
        ("10.0.0.0/33", '--internal: "10.0.0.0/33" is not an IPv4 or IPv6 network (e.g. 10.0.0.0/8): '),
        ("intranet", '--internal: "intranet" is not an IPv4 or IPv6 network (e.g. 10.0.0.0/8): '),
        ("", '--internal: "" is not an IPv4 or IPv6 network'),
    ],
)
def test_parse_networks_rejects(text: str, message: str):
    with pytest.raises(InputError) as caught:
        parse_networks([text])
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_unknown_format_profile_service_are_one_line_input_errors():
    with pytest.raises(InputError) as caught:
        firewall_rules("appliance", "pf")
    assert str(caught.value) == (
        '--format: unknown firewall format "pf": expected one of ufw, nftables, iptables, aws, gcp, azure'
    )
    with pytest.raises(
        InputError, match=r'^--profile: unknown profile "k8s": expected charmed or appliance$'
    ):
        firewall_rules("k8s", "ufw")
    with pytest.raises(InputError, match=r'^--service: unknown service "haproxy" in the appliance profile'):
        firewall_rules("appliance", "ufw", services=["haproxy"])
    with pytest.raises(InputError, match=r"^--internal: "):
        firewall_rules("appliance", "nftables", internal=["10.0.0.0/8", "nope"])


@pytest.mark.parametrize(
    ("networks", "family"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], "IPv4"),
        (["::/1", "8000::/1"], "IPv6"),
        (["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2", "10.0.0.0/8"], "IPv4"),
    ],
)
def test_networks_that_together_are_every_address_are_refused_even_when_public_is_allowed(
    networks: list[str], family: str
):
    """The guard judges the union a firewall admits, after collapsing, not each network alone."""
    with pytest.raises(InputError) as caught:
        parse_networks(networks, allow_public=True)
    assert f"together are every {family} address" in str(caught.value)
    assert "internal ports must not be open to everyone" in str(caught.value)


@pytest.mark.parametrize(
    "network",
    ["0.0.0.0/1", "::/1", "8.8.8.0/24", "10.0.0.0/7", "172.0.0.0/11", "2001:4860::/32", "::ffff:0:0/96"],
)
def test_a_public_network_needs_the_flag_that_says_so(network: str):
    with pytest.raises(InputError) as caught:
        parse_networks(["10.0.0.0/8", network])
    message = str(caught.value)
    assert message.startswith(f'--internal: "{network}" holds public addresses')
    assert "--allow-public-internal" in message
    assert [str(n) for n in parse_networks([network], allow_public=True)] == [network]


@pytest.mark.parametrize(
    "network",
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fd00::/8",
        "fe80::/10",
        "2001:db8::/32",
    ],
)
def test_private_networks_need_no_flag(network: str):
    assert [str(n) for n in parse_networks([network])] == [network]


def test_the_cli_refuses_the_split_internet_in_one_line():
    from anbox_cloud_ports.cli import main

    for args in (
        ["--internal", "0.0.0.0/1", "--internal", "128.0.0.0/1"],
        ["--internal", "0.0.0.0/1", "--internal", "128.0.0.0/1", "--allow-public-internal"],
        ["--internal", "::/1", "--internal", "8000::/1", "--allow-public-internal"],
    ):
        out, err = io.StringIO(), io.StringIO()
        assert main(["firewall", *args], out=out, err=err) == 2
        assert out.getvalue() == ""
        assert err.getvalue().count("\n") == 1
        assert err.getvalue().startswith("anbox-ports firewall: --internal: ")
    out = io.StringIO()
    assert main(["firewall", "--internal", "8.8.8.0/24", "--allow-public-internal"], out=out) == 0
    assert "8.8.8.0/24" in out.getvalue()
