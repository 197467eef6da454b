#!/usr/bin/env python3
"""The anbox-cloud-ports validator charm: relation data in, the engine's verdict out.

Thin on purpose: reading the relation, judging and wording the verdict all live in the library, so
the charm, `anbox-ports check` on a `juju show-unit` dump, and the tests share one implementation.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated

import ops
from pydantic import BeforeValidator

from anbox_cloud_ports.catalog import PROFILES, Profile
from anbox_cloud_ports.charm.config import PortOptions
from anbox_cloud_ports.charm.interface import PortsRequirer
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.errors import OptionError
from anbox_cloud_ports.findings import JUJU_VERSIONS, JujuVersion, Report
from anbox_cloud_ports.render.as_json import report_json
from anbox_cloud_ports.render.status import deployment_json, status_line
from anbox_cloud_ports.text import one_line

RELATION = "ports"


def _one_of(option: str, choices: tuple[str, ...]) -> BeforeValidator:
    """The option's value if it is one of `choices`, else the one line `option="5": must be "3" or "4"`."""
    allowed = " or ".join(json.dumps(choice) for choice in choices)

    def check_choice(value: object) -> object:
        if value not in choices:
            raise OptionError(option, value, f"must be {allowed}")
        return value

    return BeforeValidator(check_choice)


class ValidatorConfig(PortOptions):
    """The charm's options; an invalid value is one line naming the option, the value and the choices."""

    juju: Annotated[JujuVersion, _one_of("juju", JUJU_VERSIONS)] = "3"
    profile: Annotated[Profile, _one_of("profile", PROFILES)] = "charmed"


class AnboxCloudPortsCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = PortsRequirer(self, RELATION)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)
        framework.observe(self.on.check_action, self._on_check)
        framework.observe(self.on.list_ports_action, self._on_list_ports)

    @functools.cached_property
    def _report(self) -> Report | OptionError:
        """This hook's verdict, or the config error that prevents one.

        One charm instance lives for one hook: an action's report and the status collected at the
        end of the same hook share one read of the relations and one check.
        """
        try:
            config = self.load_config(ValidatorConfig)
        except OptionError as err:
            return err
        return check(self.ports.deployment(profile=config.profile), juju=config.juju)

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        report = self._report
        if isinstance(report, OptionError):
            event.add_status(ops.BlockedStatus(one_line(f"Invalid config: {report}")))
            return
        if not self.model.relations[RELATION]:
            event.add_status(
                ops.BlockedStatus(
                    f"no anbox_ports relation: juju integrate {self.app.name}:{RELATION} <app>:{RELATION} "
                    "for each Anbox Cloud application"
                )
            )
            return
        state, message = status_line(report)
        message = one_line(message)
        event.add_status(ops.ActiveStatus(message) if state == "active" else ops.BlockedStatus(message))

    def _on_check(self, event: ops.ActionEvent) -> None:
        report = self._verdict(event)
        if report is None:
            return
        event.set_results(
            {
                "report": json.dumps(report_json(report)),
                "errors": report.summary.errors,
                "status": one_line(status_line(report)[1]),
            }
        )

    def _on_list_ports(self, event: ops.ActionEvent) -> None:
        report = self._verdict(event)
        if report is not None:
            event.set_results({"ports": json.dumps(deployment_json(report.deployment))})

    def _verdict(self, event: ops.ActionEvent) -> Report | None:
        """The report, or None after failing the action with the config error's one line."""
        report = self._report
        if isinstance(report, OptionError):
            event.fail(one_line(f"Invalid config: {report}"))
            return None
        return report


if __name__ == "__main__":  # pragma: nocover
    ops.main(AnboxCloudPortsCharm)
