"""Every terminal session the README shows prints, run now, what the README says it prints."""

from __future__ import annotations

from tests.readme_outputs import README, rendered, sessions


def test_the_readme_shows_what_the_commands_print():
    text = README.read_text(encoding="utf-8")
    assert sum(1 for session in sessions(text) if session.runnable) >= 15
    # On failure: `python -m tests.readme_outputs` shows the difference, `--write` refreshes it.
    assert rendered(text) == text
