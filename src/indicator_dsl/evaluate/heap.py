"""The C heap of a scoring process the engine owns: big buffers kept for reuse (glibc).

A run passes buffers of about a megabyte around again and again: the blocks read from a file,
a range's result lines, the messages between processes. glibc's malloc maps each buffer over
128 KB afresh and hands freed memory at the top of its heap back to the system, so the same
pages are faulted in over and over: about 60,000 page faults in a one-process `ind eval` of
100,000 records, and 90,000 in the worker of a two-process run, more than that whole run
needed. `keep_freed_memory` has malloc take buffers up to 32 MB from its heap and keep up to
128 MB of freed memory for the next ones: 18,000 and 2,500 faults, and the one-process run
about 5 % faster (docs/performance.md).

It is set in the processes the engine owns (the `ind eval` command and every worker process),
never in a host application's own process, whose memory is the host's to tune. With another C
library or system (no `mallopt`), it does nothing.
"""

from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>: free memory kept at the heap's top before giving it back
M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>: the smallest request mapped apart from the heap
KEPT_FREE_BYTES = 128 << 20
HEAP_BUFFER_BYTES = 32 << 20  # the largest threshold glibc takes on 64-bit systems


def keep_freed_memory() -> bool:
    """Set this process's malloc to keep big buffers and freed memory for reuse; False where
    the C library has no `mallopt` (or refuses a value), which changes nothing."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to open by name, or no mallopt in it
        return False
    # both or neither: a trim threshold set alone stops glibc from raising its mapping threshold itself
    return bool(mallopt(M_MMAP_THRESHOLD, HEAP_BUFFER_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEPT_FREE_BYTES))
