"""gunicorn settings for serving learnapp in production (`make serve`).

gunicorn reads this file itself (``gunicorn -c gunicorn.conf.py app:app``; it is also the
default file name gunicorn looks for in the working directory). Options given on gunicorn's
command line override the values here.

Three environment variables tune it; they belong to gunicorn, not to the app, which is why
they are read here and not in ``learnapp/config.py``:

- ``LEARNAPP_BIND``: address to listen on (default ``127.0.0.1:8000``; behind a proxy on
  another machine use e.g. ``0.0.0.0:8000``, or ``unix:/run/learnapp.sock``).
- ``LEARNAPP_WORKERS``: worker processes (default 4). Each has its own database pool.
- ``LEARNAPP_THREADS``: request threads per worker (default 1, with sync workers; more
  than 1 gives threaded workers; see ``threads`` and ``worker_class`` below).
"""

from __future__ import annotations

import gc
import os
from typing import Any

bind = os.environ.get("LEARNAPP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LEARNAPP_WORKERS", "4"))

# One request thread per worker: Python runs one thread at a time per process, and a
# request here is work for the CPU, not a wait (SQLite is a local file). A second thread
# did not answer more; it made each request cost more CPU and, worse, a thread holding
# SQLite's write lock lost the interpreter to its sibling for milliseconds while every
# writer waited (write lock held 0.4 to 0.7 ms at the median with two threads and 3 ms at
# p99, against 0.35 and 0.6 ms with one; bench/README.md). Processes (LEARNAPP_WORKERS) give
# parallelism.
# With PostgreSQL on another machine, where requests do wait on the network, 2 may pay.
threads = int(os.environ.get("LEARNAPP_THREADS", "1"))
# With one thread, sync workers: a sync worker accepts a connection only when it is free and
# closes it after the response, so each request goes to a worker that can answer it now. A
# threaded worker accepts whenever its main thread wakes and keeps the connection: with a
# client's connections opened at once, one worker could hold most of them and answer at half
# the pace while the other idled (one worker served 92% of a benchmark run's quick entries,
# at half the rate; bench/README.md). Sync workers read a request as it comes, so they need a
# buffering proxy in front (nginx buffers by default; README, "Running in production").
# With more threads, gthread: its main thread watches idle keep-alive connections.
worker_class = "sync" if threads == 1 else "gthread"

# A request that takes longer than `timeout` is stuck (a SQLite write waits at most 5 s for
# the lock, a password hash well under 1 s): its worker is restarted. On shutdown or reload,
# requests in flight get `graceful_timeout` to finish. Under gthread, an idle keep-alive
# connection stays open longer than the 60 s idle timeout of nginx and most load balancers, so
# the balancer closes it first and never sends a request down a connection we have just closed
# (a 502). Sync workers answer `Connection: close`, so no client keeps one.
timeout = 30
graceful_timeout = 30
keepalive = 75

# The app is imported in each worker after the fork (gunicorn's default, made explicit):
# no database connection, pool or lock is ever created in the master and shared by
# children, so there is no engine to dispose in post_fork.
preload_app = False

# Logs go to stdout (access) and stderr (errors), for systemd's journal or a container.
accesslog = "-"
errorlog = "-"

# Proxy headers are trusted in one place only: the app's ProxyFix, switched on by
# LEARNAPP_PROXY_COUNT. gunicorn would otherwise believe X-Forwarded-Proto from 127.0.0.1
# (and from any client over a unix socket) whatever the app is told.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

# The heartbeat file on a memory file system, so a slow disk never makes a worker look dead.
# gunicorn creates its own unpredictably named, already unlinked file there.
if os.path.isdir("/dev/shm"):  # noqa: S108  # nosec B108  # only asks if the folder exists
    worker_tmp_dir = "/dev/shm"  # noqa: S108  # nosec B108  # a folder for gunicorn's mkstemp


def post_worker_init(worker: Any) -> None:
    """Make a worker that has loaded the app ready to serve.

    It starts the thread that checkpoints SQLite's log off the request path
    (``learnapp/checkpoint.py``; nothing for PostgreSQL). Then it freezes what loading the
    app made (modules, mappers, templates): those objects live as long as the worker, and
    frozen, the garbage collector stops walking all of them again on every full collection,
    which under load paused a worker for tens of milliseconds (68 ms once in 1,000 quick
    entries, in-process).
    """
    # Imported here, in the worker: the master reads this file but never loads the app.
    from learnapp.checkpoint import start_checkpointer

    start_checkpointer(worker.wsgi)
    gc.collect()
    gc.freeze()
