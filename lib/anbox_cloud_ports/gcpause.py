"""Pausing Python's cyclic garbage collector around bulk work.

Reading an input and checking it build hundreds of thousands of small, acyclic objects (YAML nodes,
units, claims, index tuples). Reference counting frees them all; the cyclic collector would only walk
them again and again, costing about as much as the work itself and growing faster than the input
(measured at 100k claims, and flagged by the fuzz suite's growth check).
"""

from __future__ import annotations

import gc
from collections.abc import Generator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Generator[None]:
    """Hold off the collector; nested pauses leave it as the outermost one found it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
