"""Gunicorn settings for Masar in production: ``gunicorn -c gunicorn.conf.py`` (see docs/production.md).

Every value can be changed from the environment of the service, or on the command line, which wins
over this file (``gunicorn -c gunicorn.conf.py --workers 2 --bind 127.0.0.1:9000``).
"""

import os

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads, not processes alone: a page spends part of its time waiting on PostgreSQL, and a thread
# waiting on a socket releases the GIL. Two processes per core keep every core busy. Each thread
# uses at most one database connection at a time: count workers x threads per instance against
# PostgreSQL's max_connections (docs/production.md).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A worker that has not reported for `timeout` seconds is killed and replaced (a gthread worker's
# main loop reports even while its threads are busy, so this catches a wedged process, not a slow
# page). On SIGTERM or SIGHUP a worker finishes its requests for up to `graceful_timeout` seconds.
timeout = 30
graceful_timeout = 30
# Idle keep-alive connections from nginx are closed after this many seconds; nginx's upstream
# keepalive_timeout is shorter (deploy/nginx/masar.conf) so it never reuses one being closed.
keepalive = 5

# Replace each worker after about a thousand requests: memory a library leaks or a fragmented heap
# is given back. The jitter keeps the workers from restarting all at once.
max_requests = 1000
max_requests_jitter = 100

# No preload: each worker imports the application after the fork. A SIGHUP (systemctl reload)
# then starts workers on the newly deployed code while the old ones finish their requests, and no
# database connection or thread can be created before a fork by mistake. Preloading would save
# little: measured with three loaded workers, 311 MB in all with it and 315 MB without (each worker
# keeps 75 instead of 95 MB of its own, but the master holds a 65 MB copy of the application).
preload_app = False

# The heartbeat file lives in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Proxy headers (X-Forwarded-Proto) are believed only from these addresses: nginx on this host by
# default; FORWARDED_ALLOW_IPS lists a proxy elsewhere. The application itself reads the client's
# address and scheme with ProxyFix, trusting TRUSTED_PROXIES proxies.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs go to standard output and error (the journal under systemd). The access log starts with the
# client address nginx saw, and ends with the time taken in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Signals (systemctl reload, kill -TTIN/-TTOU) do what the control socket offers; its default path
# is per user, so several servers on one host would take each other's.
control_socket_disable = True
proc_name = "masar"
