"""What every `anbox_ports` requirer must do: read any provider data without failing, write nothing.

The tester runs every function of this module as a test, so helpers here are values, not functions.
"""

from __future__ import annotations

from interface_tester import Tester
from ops.testing import Relation, State

_JUJU = {"ingress-address": "10.1.2.3", "egress-subnets": "10.1.2.3/32", "private-address": "10.1.2.3"}
_MODEL = '"0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"'

AMS_0 = {
    **_JUJU,
    "version": "1",
    "service": '"ams"',
    "profile": '"charmed"',
    "model": _MODEL,
    "machine": '"1"',
    "claims": '[{"endpoint":"","exposed":false,"port":"8444/tcp","source":"default"},'
    '{"endpoint":"","exposed":false,"port":"20002/tcp","source":"default"}]',
}
LXD_0 = {
    **_JUJU,
    "version": "1",
    "service": '"ams-lxd"',
    "profile": '"charmed"',
    "model": _MODEL,
    "machine": '"1/lxd/0"',
    "claims": '[{"endpoint":"","exposed":false,"port":"8443/tcp","source":"default"},'
    '{"endpoint":"instances","exposed":true,"port":"10000-11000/tcp","source":"default"},'
    '{"endpoint":"instances","exposed":true,"port":"10000-11000/udp","source":"default"}]',
}


def test_reads_valid_data_and_writes_nothing():
    t = Tester(
        State(
            relations=[
                Relation(
                    endpoint="ports",
                    interface="anbox_ports",
                    remote_app_name="ams",
                    remote_units_data={0: AMS_0, 1: {**AMS_0, "machine": '"2"'}},
                )
            ]
        )
    )
    t.run("ports-relation-changed")
    t.assert_relation_data_empty()


def test_survives_a_unit_that_has_not_published_yet():
    t = Tester(
        State(
            relations=[
                Relation(
                    endpoint="ports",
                    interface="anbox_ports",
                    remote_app_name="ams-lxd",
                    remote_units_data={0: dict(_JUJU), 1: LXD_0},
                )
            ]
        )
    )
    t.run("ports-relation-joined")
    t.assert_relation_data_empty()


def test_survives_hostile_data_from_one_unit():
    # GIVEN one unit publishing junk beside a good one: a command in a port, a flood, a wrong type
    hostile = {
        **AMS_0,
        "claims": '[{"endpoint":"","exposed":false,"port":"80/tcp; rm -rf /","source":"default"}]',
        "service": '"' + "a" * 100_000 + '"',
        "machine": "[[[[[[[[[[",
        "version": '"one"',
    }
    t = Tester(
        State(
            relations=[
                Relation(
                    endpoint="ports",
                    interface="anbox_ports",
                    remote_app_name="ams",
                    remote_units_data={0: hostile, 1: AMS_0},
                )
            ]
        )
    )
    # WHEN relation-changed arrives, THEN the requirer does not fail (the Tester fails the test if it raises)
    t.run("ports-relation-changed")
    t.assert_relation_data_empty()


def test_reads_the_v1_keys_of_a_newer_provider():
    # GIVEN a provider writing a later version beside the v1 keys it must keep (README: Versioning)
    newer = {**AMS_0, "version": "2", "claims-v2": '{"anything": ["a v1 reader ignores"]}'}
    t = Tester(
        State(
            relations=[
                Relation(
                    endpoint="ports",
                    interface="anbox_ports",
                    remote_app_name="ams",
                    remote_units_data={0: newer},
                )
            ]
        )
    )
    t.run("ports-relation-changed")
    t.assert_relation_data_empty()
