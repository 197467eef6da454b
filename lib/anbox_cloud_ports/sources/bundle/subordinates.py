"""Step 5: which applications are subordinates, and on which principals' hosts their units live.

A bundle carries no charm metadata, and Juju's bundle check loads none (docs/juju-facts.md#bundles,
"Subordinates"): only the charm says whether it is a subordinate. So what the catalog knows decides
(`Catalog.subordinate`: the known subordinate charms, and the catalog's own charms, all principals); an
application of an unknown charm that has no units and is related to applications with units is
guessed to be one, and the guess is said (`Guess`, reported by the `guessed-subordinate` rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...catalog import Catalog, Profile
from ...names import charm_name, natural_key
from .placement import Placed
from .reader import Part


@dataclass(frozen=True, slots=True)
class Guess:
    """An application read as a subordinate although nothing says its charm is one."""

    application: str
    charm: str
    relations: tuple[str, ...]  # the relations that placed it, as `sub:ep principal:ep`


def split_endpoint(text: str) -> tuple[str, str]:
    application, _, endpoint = text.partition(":")
    return application, endpoint


def subordinates(
    part: Part, placed: Mapping[str, list[Placed]], catalog: Catalog, profile: Profile
) -> tuple[dict[str, list[str]], list[Guess]]:
    """Which principals each subordinate follows, and which subordinates are guesses.

    A subordinate has one unit on each unit of each principal it relates to in a container-scoped
    relation (Juju creates one per principal unit). Whether a relation is container-scoped is in the
    charms' metadata too, so it is guessed: a principal endpoint that several applications relate to
    (`mysql-innodb-cluster:db-router`, `vault:certificates`) is a service many clients use, a global
    relation, and places nothing; `juju-info` is the exception (every subordinate attaches through
    it: juju internal/charm bundledata.go infoRelation). A relation to a SAAS or to another
    subordinate places nothing. An application of a charm the catalog knows as a principal is never a
    subordinate: with `num_units: 0` it simply has no unit.
    """
    principals = {name for name, units in placed.items() if units}
    peers: dict[str, set[str]] = {}
    for relation in part.relations:
        if len(relation.endpoints) == 2:
            a, b = relation.endpoints
            peers.setdefault(a, set()).add(b.split(":", 1)[0])
            peers.setdefault(b, set()).add(a.split(":", 1)[0])
    result: dict[str, list[str]] = {}
    via: dict[str, list[str]] = {}
    for relation in part.relations:
        if len(relation.endpoints) != 2:
            continue
        ends = relation.endpoints
        for (sub, sub_ep), (principal, principal_ep) in (
            (split_endpoint(ends[0]), split_endpoint(ends[1])),
            (split_endpoint(ends[1]), split_endpoint(ends[0])),
        ):
            app = part.applications.get(sub)
            if app is None or sub in principals or principal not in principals:
                continue
            if catalog.subordinate(charm_name(app.charm), profile) is False:
                continue
            shared = len(peers.get(f"{principal}:{principal_ep}", ())) > 1
            if principal_ep and shared and "juju-info" not in (principal_ep, sub_ep):
                continue
            followed = result.setdefault(sub, [])
            if principal not in followed:
                followed.append(principal)
                via.setdefault(sub, []).append(" ".join(ends))
    guesses = [
        Guess(sub, charm_name(app.charm), tuple(via[sub]))
        for sub in result
        if (app := part.applications.get(sub)) is not None
        and catalog.subordinate(charm_name(app.charm), profile) is None
    ]
    for followed in result.values():
        followed.sort(key=natural_key)
    return result, guesses
