"""Step 3: the checks Juju runs on a bundle before deploying it, refused with Juju's own words.

juju internal/charm/bundledata.go `verifyBundle` (docs/juju-facts.md#bundles): run on the base alone,
then on the merged bundle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ... import names
from ...errors import InputError
from ...model import Location
from ...names import natural_key
from ...text import plain, quote
from ..yamlload import path
from .charmurl import is_path, parse_charm_url
from .placement import parse_placement
from .reader import AppSpec, Part


def go_quote_list(items: Sequence[str]) -> str:
    """Go's %q of a []string (`["a:x" "b:y"]`), as Juju prints a relation in its errors."""
    return "[" + " ".join(quote(item) for item in items) + "]"


@dataclass
class VerifyProblem:
    message: str
    location: Location | None
    where: str | None


class Verifier:
    def __init__(self, part: Part):
        self.part = part
        self.problems: list[VerifyProblem] = []

    def add(self, message: str, location: Location | None = None, where: str | None = None) -> None:
        self.problems.append(VerifyProblem(message, location, where))

    def run(self) -> None:
        part = self.part
        if part.bundle_type not in ("", "kubernetes"):
            self.add(f"bundle has an invalid type {quote(part.bundle_type)}", part.location, "bundle")
        if part.bundle_type == "kubernetes" and part.machines:
            self.add("bundle machines not valid for Kubernetes bundles", part.location, "machines")
        refs = dict.fromkeys(part.machines or {}, 0)
        for name, location in part.saas.items():
            if name in part.applications:
                self.add(
                    f"application {quote(name)} already exists with SAAS {quote(name)} name",
                    location,
                    path("saas", name),
                )
            if not names.APPLICATION.fullmatch(name):
                self.add(f"invalid SAAS name {quote(name)} found", location, path("saas", name))
        for machine, location in (part.machines or {}).items():
            if not names.MACHINE_NUMBER.fullmatch(machine):
                self.add(
                    f"invalid machine id {quote(machine)} found in machines",
                    location,
                    path("machines", machine),
                )
        self._applications(refs)
        self._relations()
        for machine in sorted((m for m, count in refs.items() if count == 0), key=natural_key):
            if refs[machine] == 0:
                location = (part.machines or {}).get(machine)
                self.add(
                    f"machine {quote(machine)} is not referred to by a placement directive",
                    location,
                    path("machines", machine),
                )

    def _applications(self, refs: dict[str, int]) -> None:
        part = self.part
        if not part.applications:
            message = "at least one application must be specified"
            if "services" in part.keys and "applications" not in part.keys:
                # juju/charm dropped legacy `services:` in v9 (commit "Remove legacy services"):
                # Juju 3 and 4 ignore it as an unknown field.
                message += " (Juju 3 and 4 no longer read the legacy services: key; rename it applications:)"
            self.add(message, part.applications_location or part.location)
            return
        for name, app in part.applications.items():
            if app is None:
                self.add(
                    f"bundle application for key {quote(name)} is undefined",
                    part.applications_location,
                    path("applications", name),
                )
                continue
            if not app.charm:
                self.add("empty charm path", app.charm_location or app.location, f"{app.where}.charm")
            if name in part.saas:
                self.add(
                    f"SAAS {quote(name)} already exists with application {quote(name)} name",
                    app.location,
                    app.where,
                )
            self._charm(name, app)
            self._names(name, app)
            if app.k8s_placement and part.bundle_type != "kubernetes":
                self.add(
                    f"placement ({plain(app.k8s_placement)}) not valid for non-Kubernetes application {quote(name)}",
                    app.location,
                    f"{app.where}.placement",
                )
            if app.num_units < 0:
                self.add(
                    f"negative number of units specified on application {quote(name)}",
                    app.location,
                    f"{app.where}.num_units",
                )
            if part.bundle_type == "kubernetes":
                if len(app.to) > 1:
                    self.add(
                        f"too many placement directives for application {quote(name)}",
                        app.location,
                        f"{app.where}.to",
                    )
            else:
                self._placement(name, app, refs)
            self._expose(name, app)

    def _charm(self, name: str, app: AppSpec) -> None:
        """The charm URL and revision checks of verifyApplications (3.6's series checks aside)."""
        if is_path(app.charm):
            return  # Juju checks that the path exists, relative to the bundle's directory
        curl = parse_charm_url(app.charm)
        where, location = f"{app.where}.charm", app.charm_location or app.location
        if isinstance(curl, str):
            self.add(f"invalid charm URL in application {quote(name)}: {curl}", location, where)
            return
        if curl.schema == "ch" and curl.revision != -1:
            self.add(f"cannot specify revision in {quote(str(curl))}, please use revision", location, where)
        if app.revision is not None:
            if curl.schema == "ch" and not app.channel:
                self.add(
                    f"application {quote(name)} with a revision requires a channel for future upgrades, "
                    "please use channel",
                    location,
                    f"{app.where}.revision",
                )
            if app.revision < 0:
                self.add(
                    f"the revision for application {quote(name)} must be zero or greater",
                    location,
                    f"{app.where}.revision",
                )

    def _names(self, name: str, app: AppSpec) -> None:
        """Storage, device, offer and resource names, as verifyApplications checks them."""
        for storage, location in (app.storage or {}).items():
            if not names.APPLICATION.fullmatch(storage):  # names.StorageNameSnippet: the same pattern
                self.add(
                    f"invalid storage name {quote(storage)} in application {quote(name)}", location, app.where
                )
        for device, location in (app.devices or {}).items():
            if not names.APPLICATION.fullmatch(device):  # bundledata.go validDeviceName: the same pattern
                self.add(
                    f"invalid device name {quote(device)} in application {quote(name)}", location, app.where
                )
        for offer, (endpoints, location) in (app.offers or {}).items():
            if not names.APPLICATION.fullmatch(offer):
                self.add(
                    f"invalid offer name {quote(offer)} in application {quote(name)}", location, app.where
                )
            for endpoint in endpoints:
                if not names.ENDPOINT.fullmatch(endpoint):
                    self.add(
                        f"invalid endpoint name {quote(endpoint)} for offer {quote(offer)} in application {quote(name)}",
                        location,
                        app.where,
                    )
        for resource, (revision, location) in (app.resources or {}).items():
            if resource == "":
                self.add(f"missing resource name on application {quote(name)}", location, app.where)
            if isinstance(revision, bool) or not isinstance(revision, int | str):
                # sic: Juju prints the application's name where it means the resource's
                self.add(f"resource revision {quote(name)} is not int or string", location, app.where)

    def _placement(self, name: str, app: AppSpec, refs: dict[str, int]) -> None:
        """verifyPlacement: syntax, targets that exist, unit numbers within the target's num_units."""
        part = self.part
        if app.num_units >= 0 and len(app.to) > app.num_units:
            self.add(
                f"too many units specified in unit placement for application {quote(name)}",
                app.location,
                f"{app.where}.to",
            )
        for text, location, where in app.to:
            placement = parse_placement(text)
            if placement is None:
                hint = " (juju-deployer's app=N form; Juju writes app/N)" if "=" in text else ""
                self.add(f"invalid placement syntax {quote(text)}{hint}", location, where)
                continue
            if placement.application:
                target = part.applications.get(placement.application)
                if placement.application not in part.applications:
                    self.add(
                        f"placement {quote(text)} refers to an application not defined in this bundle",
                        location,
                        where,
                    )
                    continue
                count = target.num_units if target is not None else 0
                if placement.unit >= 0 and placement.unit >= count:
                    self.add(
                        f"placement {quote(text)} specifies a unit greater than the {count} unit(s) started by the target application",
                        location,
                        where,
                    )
            elif placement.machine != "new":
                if placement.machine not in refs:
                    self.add(
                        f"placement {quote(text)} refers to a machine not defined in this bundle",
                        location,
                        where,
                    )
                    continue
                refs[placement.machine] += 1

    def _expose(self, name: str, app: AppSpec) -> None:
        if not app.exposed_endpoints:
            return
        if app.expose:
            self.add(
                f'exposed-endpoints cannot be specified together with "exposed:true" in application {quote(name)} '
                "as this poses a security risk when deploying bundles to older controllers",
                app.exposed_endpoints_location or app.location,
                f"{app.where}.exposed-endpoints",
            )
            return
        for endpoint, rule in app.exposed_endpoints.items():
            for cidr in rule.cidrs or ():
                if not names.is_cidr(cidr):
                    self.add(
                        f"invalid CIDR {quote(cidr)} for expose to CIDRs field for endpoint {quote(endpoint)} in application {quote(name)}",
                        rule.location,
                        f"{app.where}.exposed-endpoints",
                    )

    def _relations(self) -> None:
        """verifyRelations: two endpoints each, valid syntax, known applications, no self or repeat."""
        part = self.part
        seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
        for relation in part.relations:
            shown = go_quote_list(relation.endpoints)
            if len(relation.endpoints) != 2:
                self.add(
                    f"relation {shown} has {len(relation.endpoints)} endpoint(s), not 2",
                    relation.location,
                    relation.where,
                )
                continue
            pair: list[tuple[str, str]] = []
            for endpoint in relation.endpoints:
                parsed = parse_endpoint(endpoint)
                if parsed is None:
                    self.add(f"invalid relation syntax {quote(endpoint)}", relation.location, relation.where)
                    break
                if parsed[0] not in part.applications and parsed[0] not in part.saas:
                    self.add(
                        f"relation {shown} refers to application {quote(parsed[0])} not defined in this bundle",
                        relation.location,
                        relation.where,
                    )
                pair.append(parsed)
            if len(pair) != 2:
                continue
            if pair[0][0] == pair[1][0]:
                self.add(
                    f"relation {shown} relates an application to itself", relation.location, relation.where
                )
            key = (min(pair), max(pair))
            if key in seen:
                self.add(f"relation {shown} is defined more than once", relation.location, relation.where)
            seen.add(key)

    def raise_first(self) -> None:
        """Juju reports every problem; one line names the first and counts the rest (VerificationError)."""
        if not self.problems:
            return
        first = self.problems[0]
        more = len(self.problems) - 1
        message = first.message + (f" (and {more} more errors)" if more else "")
        location = first.location
        raise InputError(
            location.file if location else self.part.input,
            message,
            where=first.where,
            line=location.line if location else None,
        )


def parse_endpoint(text: str) -> tuple[str, str] | None:
    match = re.fullmatch(names.APPLICATION_ENDPOINT, text)
    if match is not None:
        return match.group(1), match.group(2)
    if names.APPLICATION.fullmatch(text):
        return text, ""
    return None


def verify(part: Part) -> None:
    verifier = Verifier(part)
    verifier.run()
    verifier.raise_first()


def refuse_overlay_fields_in_base(base: Part) -> None:
    """juju internal/charm/overlay.go VerifyNoOverlayFieldsPresent: overlay-only keys in the base bundle."""
    for name, app in base.applications.items():
        if app is None:
            continue
        # isZero of a map is IsNil: an empty `exposed-endpoints: {}` is refused too.
        present = (
            ("exposed-endpoints", app.exposed_endpoints is not None),
            ("offers", app.offers is not None),
        )
        for key, set_ in present:
            if set_:
                location = app.exposed_endpoints_location if key == "exposed-endpoints" else app.location
                raise InputError(
                    base.input,
                    f"{path('applications', name, key)} can only appear in an overlay section",
                    where=f"{app.where}.{key}",
                    line=(location or app.location).line,
                )
