"""Process setup for fast CPU training and inference with Debian's torch.

Debian's python3-torch allocates every intermediate tensor afresh; with
glibc's default malloc, buffers above 128 KB are mmap'ed and unmapped each
time, and the page faults make elementwise ops ~30x slower than their
arithmetic. Raising glibc's mmap and trim thresholds keeps that memory in the
heap. And on a machine shared with other work, OpenMP's default spin-waiting
(GOMP_SPINCOUNT 300000) makes two threads 20x slower than one when the other
core is busy; a short spin (1000) keeps the gain of the second thread when it
is free. Both must be set before the process starts, so the script
re-executes itself once with them.
"""

import os
import sys

import torch

MALLOC_TUNABLES = ("glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296:"
                   "glibc.malloc.top_pad=268435456")


def setup(threads):
    """Re-exec with the malloc tunables and a short OpenMP spin unless already
    set; then pin torch's thread count."""
    if "glibc.malloc" not in os.environ.get("GLIBC_TUNABLES", ""):
        env = dict(os.environ, GLIBC_TUNABLES=MALLOC_TUNABLES, GOMP_SPINCOUNT="1000")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    torch.set_num_threads(threads)
