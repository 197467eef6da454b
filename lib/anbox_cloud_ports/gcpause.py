"""Pausing Python's cyclic garbage collector around bulk work.

Reading an input and checking it build hundreds of thousands of small, acyclic objects (YAML nodes,
units, claims, index tuples). Reference counting frees them all; the cyclic collector would only walk
them again and again, costing about as much as the work itself and growing faster than the input
(measured at 100k claims, and flagged by the fuzz suite's growth check).
"""

from __future__ import annotations

import gc
from types import TracebackType


class gc_paused:  # noqa: N801 - used as a function: `with gc_paused():`
    """Hold off the collector; nested pauses leave it as the outermost one found it.

    Whatever the paused work allocated and still holds when the pause ends is walked by the first
    collection after it: a caller frees its temporaries (a parsed document) inside the pause.
    """

    __slots__ = ("_enabled",)

    def __enter__(self) -> None:
        self._enabled = gc.isenabled()
        gc.disable()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._enabled:
            gc.enable()
