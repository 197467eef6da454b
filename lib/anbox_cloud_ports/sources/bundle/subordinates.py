"""Step 5: which applications are subordinates, and on which principals' hosts their units live."""

from __future__ import annotations

from collections.abc import Mapping

from ...names import natural_key
from .placement import Placed
from .reader import Part


def split_endpoint(text: str) -> tuple[str, str]:
    application, _, endpoint = text.partition(":")
    return application, endpoint


def subordinates(part: Part, placed: Mapping[str, list[Placed]]) -> dict[str, list[str]]:
    """Which principals each subordinate follows.

    Without charm metadata a subordinate is recognised as an application with no units of its own
    that is related to an application with units; it then has one unit on each unit of each such
    principal (Juju creates one per principal unit in a container-scoped relation). Whether a
    relation is container-scoped is in the charms' metadata, which a bundle does not carry, so it is
    guessed: a principal endpoint that several applications relate to (`mysql-innodb-cluster:db-router`,
    `vault:certificates`) is a service many clients use, a global relation, and places nothing;
    `juju-info` is the exception (every subordinate attaches through it: juju internal/charm
    bundledata.go infoRelation). A relation to a SAAS or to another subordinate places nothing.
    """
    principals = {name for name, units in placed.items() if units}
    peers: dict[str, set[str]] = {}
    for relation in part.relations:
        if len(relation.endpoints) == 2:
            a, b = relation.endpoints
            peers.setdefault(a, set()).add(b.split(":", 1)[0])
            peers.setdefault(b, set()).add(a.split(":", 1)[0])
    result: dict[str, list[str]] = {}
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
            shared = len(peers.get(f"{principal}:{principal_ep}", ())) > 1
            if principal_ep and shared and "juju-info" not in (principal_ep, sub_ep):
                continue
            followed = result.setdefault(sub, [])
            if principal not in followed:
                followed.append(principal)
    for followed in result.values():
        followed.sort(key=natural_key)
    return result
