"""Databag schemas of `anbox_ports` v1, as pytest-interface-tester reads them.

The provider's unit databag model is the library's own (`anbox_cloud_ports.databag.ProviderUnitData`),
so the specification and the code that reads it cannot drift apart. Examples are in README.md.

    ProviderSchema:
        unit: version, service, profile, model, machine, claims (each a string holding one JSON value)
        app:  <empty>
    RequirerSchema:
        unit: <empty> (Juju's own keys only)
        app:  <empty>
"""

from __future__ import annotations

from interface_tester.schema_base import DataBagSchema
from pydantic import BaseModel, ConfigDict, Field

from anbox_cloud_ports.databag import ProviderUnitData


class Empty(BaseModel):
    """A databag this side never writes."""

    model_config = ConfigDict(extra="forbid")


class JujuOnly(BaseModel):
    """A unit databag holding only what Juju itself writes into every unit databag."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ingress_address: str | None = Field(default=None, alias="ingress-address")
    egress_subnets: str | None = Field(default=None, alias="egress-subnets")
    private_address: str | None = Field(default=None, alias="private-address")


class ProviderSchema(DataBagSchema):
    """An Anbox service unit publishes the ports it holds in its unit databag, and nothing at app level."""

    unit: ProviderUnitData  # pyright: ignore[reportIncompatibleVariableOverride, reportGeneralTypeIssues]
    app: Empty | None = None  # pyright: ignore[reportIncompatibleVariableOverride]


class RequirerSchema(DataBagSchema):
    """The validator only reads: a v1 provider needs nothing from it (see README.md, Versioning)."""

    unit: JujuOnly | None = None  # pyright: ignore[reportIncompatibleVariableOverride]
    app: Empty | None = None  # pyright: ignore[reportIncompatibleVariableOverride]
