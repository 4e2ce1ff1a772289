"""gunicorn's settings for nuanxin that do not change from one deployment to the next, and its hooks.

Every command that starts gunicorn names this file with `-c` (`make run`, the systemd unit in
docs/deploy.md, benchmarks/city.py for nuanxin and for its ceiling alike). gunicorn would also
read ./gunicorn.conf.py by itself, but only when started from the checkout's directory: named
explicitly, the hooks cannot silently go missing from a unit with another WorkingDirectory, and
whoever reads the command sees where the rest of the settings come from.

What differs per deployment stays on the command line or in GUNICORN_CMD_ARGS, which win over
this file: --bind, --workers, --threads (each thread holds a database connection), --timeout,
--max-requests, the logs.
"""

import gc
from typing import Any

# Threads, so that a long request (an export) holds one thread, not a whole worker.
worker_class = "gthread"
# No keep-alive: a gthread worker keeps serving every connection it has accepted, so with
# keep-alive one or two of five workers held 90-100 % of the connections (of wrk, or of nginx's
# upstream pool) while the others idled, and the p99 went to seconds. Closing after each answer
# sends every request back through accept(), where the workers share them evenly. The client's
# keep-alive is nginx's (docs/deploy.md); on the loopback a new connection costs little.
# Measured in docs/performance.md, "Serving: the worker model, 2026-12-06".
keepalive = 0


def post_worker_init(worker: Any) -> None:
    """Freeze what the app made while loading (modules, settings, URL patterns, templates):
    the collector would otherwise walk those long-lived objects again in every full collection
    for as long as the worker lives. The collect first, so that start-up garbage is freed rather
    than frozen. The generation-0 threshold stays at Python's 700: after the freeze its
    collections are cheap, and 10,000 did not measurably lower the CPU per request."""
    gc.collect()
    gc.freeze()
