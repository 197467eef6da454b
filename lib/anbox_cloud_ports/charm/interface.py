"""The `anbox_ports` relation, ops side: a thin adapter over `anbox_cloud_ports.databag`.

A provider (an Anbox service charm) publishes the ports its unit holds in its own unit databag; a
requirer (the `anbox-cloud-ports` validator) reads every related unit, across relations and models,
into one Deployment the engine can judge. The schema, the limits and the error handling live in the
ops-free `databag` module, so `anbox-ports check` reads `juju show-unit` dumps with the same code.

Usage, provider (call on every hook: steady state writes nothing)::

    self.anbox_ports = PortsProvider(self)
    ...
    self.anbox_ports.publish("ams", "charmed", claims)

Usage, requirer::

    self.anbox_ports = PortsRequirer(self)
    ...
    report = check(self.anbox_ports.deployment())
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import ops

from ..catalog import Catalog, Profile
from ..databag import PublishedClaim, RelatedUnit, UnitDataError, encode_provider
from ..model import Deployment
from ..names import unit_sort_key
from ..sources.relation import deployment_from_units

__all__ = ["PortsProvider", "PortsRequirer", "PublishedClaim"]


class PortsProvider(ops.Object):
    """Publishes this unit's ports on every `relation_name` relation (unit databag: no leadership needed)."""

    def __init__(self, charm: ops.CharmBase, relation_name: str = "ports"):
        super().__init__(charm, f"anbox-ports-provider-{relation_name}")
        self._relation_name = relation_name

    def publish(self, service: str, profile: Profile, claims: Iterable[PublishedClaim]) -> bool:
        """Write the databag on every relation where it differs; True when anything was written.

        Call it from a handler that runs on every event (a reconcile, collect-status), or at least on
        `<relation_name>-relation-created` and whenever the claims change: a relation made later
        gets the data on its first hook. Comparing before writing keeps steady state silent, so a
        requirer is not woken by relation-changed on every hook of every provider.
        Raises ValueError when the claims cannot be published (a bug in the calling charm).
        """
        data = encode_provider(service, profile, self._model_uuid(), self._machine_id(), claims)
        written = False
        for relation in self.model.relations[self._relation_name]:
            databag = relation.data[self.model.unit]
            for key, value in data.items():
                if databag.get(key) != value:
                    databag[key] = value
                    written = True
        return written

    def _model_uuid(self) -> str:
        # A hook sees JUJU_MODEL_UUID (docs/juju-facts.md#relation-data); ops exposes the same value as Model.uuid.
        return os.environ.get("JUJU_MODEL_UUID") or self.model.uuid

    @staticmethod
    def _machine_id() -> str:
        # JUJU_MACHINE_ID is set for units on machines (docs/juju-facts.md#relation-data); a Kubernetes unit and an
        # ops.testing Context without machine_id have none, and "" makes the unit a host of its own.
        return os.environ.get("JUJU_MACHINE_ID", "")


class PortsRequirer(ops.Object):
    """Reads every related unit's published ports; never raises because of remote data."""

    def __init__(self, charm: ops.CharmBase, relation_name: str = "ports"):
        super().__init__(charm, f"anbox-ports-requirer-{relation_name}")
        self._relation_name = relation_name

    def deployment(self, catalog: Catalog | None = None, profile: Profile = "charmed") -> Deployment:
        """Every related unit as a Deployment: good units as hosts, units and claims, bad ones as findings.

        Relations are read in relation-id order and units in Juju's order, so the result (and any
        status built from it) is stable from hook to hook. Hosts in the requirer's own model are
        named as that model's `juju status` names them (`machine 0`); only other models are named.
        """
        return deployment_from_units(
            self._related_units(),
            input=f"relation {self._relation_name}",
            catalog=catalog,
            profile=profile,
            local_model=self.model.uuid,
        )

    def _related_units(self) -> Iterator[RelatedUnit]:
        relations = sorted(self.model.relations[self._relation_name], key=lambda r: r.id)
        for relation in relations:
            for unit in sorted(relation.units, key=lambda u: unit_sort_key(u.name)):
                try:
                    data = dict(relation.data[unit])
                except ops.ModelError as err:
                    # relation-get can fail for a unit that is going away; that unit alone is reported.
                    problem = f"cannot read its data on relation {relation.name}:{relation.id}: {err}"
                    yield unit.name, unit.app.name, UnitDataError(unit.name, problem)
                    continue
                yield unit.name, unit.app.name, data
