"""What every `anbox_ports` provider must do, whatever its charm: publish a valid unit databag.

The tester runs every function of this module as a test, so helpers here are values, not functions.
"""

from __future__ import annotations

from interface_tester import Tester
from ops.testing import Relation, State

# The tester points the relation at the charm's own anbox_ports endpoint, whatever it is called.
TO_VALIDATOR = Relation(endpoint="ports", interface="anbox_ports", remote_app_name="anbox-cloud-ports")


def test_publishes_on_relation_created():
    # GIVEN a fresh relation to the validator, and a unit that is not the leader
    t = Tester(State(leader=False, relations=[TO_VALIDATOR]))
    # WHEN the provider sees relation-created
    t.run("ports-relation-created")
    # THEN its unit databag holds valid v1 data (no leadership needed) and its app databag nothing
    t.assert_schema_valid()


def test_publishes_on_relation_joined():
    t = Tester(State(leader=True, relations=[TO_VALIDATOR]))
    t.run("ports-relation-joined")
    t.assert_schema_valid()


def test_keeps_valid_data_on_relation_changed():
    # GIVEN the validator wrote nothing (v1 requirers never do)
    t = Tester(State(relations=[TO_VALIDATOR]))
    # WHEN a relation-changed arrives
    t.run("ports-relation-changed")
    # THEN the provider's data is (still) valid
    t.assert_schema_valid()
