"""gunicorn's settings for Haven (decision 0045), read from the working directory: `gunicorn haven.wsgi`.

The environment says what differs per host: HAVEN_BIND (default 127.0.0.1:8000; `unix:/run/haven/haven.sock`
behind nginx), HAVEN_WORKERS (default 2 x cores + 1), HAVEN_TIMEOUT (seconds a request may take, default 60).
No access log: the app logs each request itself, as JSON with its request id (haven.requests).
"""

import multiprocessing
import os

wsgi_app = "haven.wsgi:application"
bind = [os.environ.get("HAVEN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("HAVEN_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
# Synchronous workers: Haven's views are short database reads and writes; long work goes to the task worker.
worker_class = "sync"
timeout = int(os.environ.get("HAVEN_TIMEOUT", "60"))
# On SIGTERM or a reload (SIGHUP), a worker finishes the requests it has for this long before it is stopped.
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they do not all restart at once): a bound on any
# slow growth of memory.
max_requests = 2000
max_requests_jitter = 200
accesslog = None
errorlog = "-"
loglevel = os.environ.get("HAVEN_GUNICORN_LOG_LEVEL", "info")
# The proxy's X-Forwarded-* headers are trusted only from these addresses (nginx on the same host, unix socket).
forwarded_allow_ips = os.environ.get("HAVEN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Load the app in each worker, after the fork: database connections and the per-process cache are never shared.
preload_app = False
proc_name = "haven"
