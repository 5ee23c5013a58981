"""Giving memory a finished step freed back to the operating system.

glibc keeps freed blocks in each thread's heap for reuse, so after one mode's run on a
province its hundreds of MB stay resident while the next step (another thread, or writing
the outputs) allocates anew. :func:`give_back` asks glibc to return them; elsewhere it does
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)


def give_back() -> None:
    """Return the freed heap memory of every thread to the operating system (glibc only)."""
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (musl has no malloc_trim)
        log.debug("malloc_trim not available: freed memory stays with the allocator")
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
