"""Rule: what a check is, declared in one place per rule (id, severity, description, remediation).

Shaped after yamllint's `rules/<id>.py` and kube-linter's check specs: the words a user reads about a
rule (in `--help`, SARIF, the README) live beside the code that raises it, not in a table elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from ..findings import Finding, Severity
from ..model import Deployment
from .index import Index


def always(_deployment: Deployment) -> bool:
    return True


class Rule(NamedTuple):
    """One check, with the words a user reads about it.

    `check` reads the shared Index and yields findings; `applies` says whether the input can answer
    the rule's question at all (exposure from relation data cannot), so a rule never guesses where
    its input is silent.
    """

    id: str
    severity: Severity
    description: str
    remediation: str
    check: Callable[[Index], Iterable[Finding]]
    applies: Callable[[Deployment], bool] = always


def problems_only(_index: Index) -> Iterator[Finding]:
    """The check of a rule whose findings are only what sources record while reading (`Problem.rule`).

    `check()` reports every Problem under the rule it names, whichever rule that is (a source may
    record an exposure finding too), so such a rule adds nothing of its own here.
    """
    yield from ()
