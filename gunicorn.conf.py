"""gunicorn's settings for nuanxin that do not change from one deployment to the next, and its hooks.

Every command that starts gunicorn names this file with `-c` (`make run`, the systemd unit in
docs/deploy.md, benchmarks/city.py for nuanxin and for its ceiling alike). gunicorn would also
read ./gunicorn.conf.py by itself, but only when started from the checkout's directory: named
explicitly, the hooks cannot silently go missing from a unit with another WorkingDirectory, and
whoever reads the command sees where the rest of the settings come from.

What differs per deployment stays on the command line or in GUNICORN_CMD_ARGS, which win over
this file: --bind, --workers (each holds a database connection), --timeout, --max-requests, the
logs. Not --threads: with more than one, gunicorn runs gthread workers whatever this file says
(why not, below).
"""

import gc
from typing import Any

# Sync workers: a process per request in flight, no threads. A sync worker calls accept() only
# when it is free, so the kernel hands each new connection to an idle worker, and a long request
# (an export, an import) holds its own process while the others keep answering. Threaded
# (gthread) workers measured worse on both counts: a worker's threads wait for one interpreter
# lock behind each other's Python (the p99 at 10 connections was 1.2-4 times the same-work
# twin's), and a gthread worker keeps accepting connections while its threads are busy, so
# requests queued behind an export (at 10 workers x 1 thread, throughput fell to 4-24 % of the
# twin). A sync worker answers and closes: no keep-alive, the client's keep-alive is nginx's
# (docs/deploy.md), which also buffers slow clients. --timeout ends any request that outlives
# it, so it is set above the longest export or import (300 s).
# Measured in docs/performance.md; decided in docs/decisions/0006-sync-workers.md.
worker_class = "sync"


def post_worker_init(worker: Any) -> None:
    """Freeze what the app made while loading (modules, settings, URL patterns, templates):
    the collector would otherwise walk those long-lived objects again in every full collection
    for as long as the worker lives. The collect first, so that start-up garbage is freed rather
    than frozen. The generation-0 threshold stays at Python's 700: after the freeze its
    collections are cheap, and 10,000 did not measurably lower the CPU per request."""
    gc.collect()
    gc.freeze()
