"""The rules that report what sources found while reading: invalid-port, invalid-name, unresolved-value."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.checks import RULES_BY_ID, check
from anbox_cloud_ports.model import Problem
from tests.unit.checks.builders import build, unit


@pytest.mark.parametrize(
    ("rule", "severity"),
    [("invalid-port", "error"), ("invalid-name", "error"), ("unresolved-value", "warning")],
)
def test_each_problem_is_reported_by_the_rule_it_names(rule: str, severity: str) -> None:
    problem = Problem("something", severity=RULES_BY_ID[rule].severity, rule=rule)
    [finding] = check(build([unit("ams/0", "0")], [], problems=(problem,))).findings
    assert (finding.rule, finding.severity, finding.message) == (rule, severity, "something")


def test_a_problem_naming_no_rule_is_a_programming_error_not_a_silence() -> None:
    with pytest.raises(ValueError, match="unregistered rule ids: no-such-rule"):
        check(build([unit("ams/0", "0")], [], problems=(Problem("x", rule="no-such-rule"),)))
