"""The job queues: RQ on Redis when ``JOBS_REDIS_URL`` is set, otherwise each job runs inline at once.

A job is a module-level function marked with ``@job(queue, timeout)`` whose arguments are plain
data (ids, strings, numbers, and lists or dicts of them): the worker loads what it needs from the
database itself, in its own application context and session.
"""

from collections.abc import Callable

import redis
from flask import current_app
from rq import Queue, Retry
from rq.serializers import JSONSerializer

# Most urgent first: a worker empties a queue before it looks at the next one. Someone waits on
# an export's page; a mail may wait a little; a stored PDF only spares the first download's wait.
QUEUES = ("exports", "mail", "documents")
FAILED_JOBS_KEPT = 14 * 24 * 3600  # seconds a failed job stays on the administrators' page
RESULTS_KEPT = 3600
PLAIN_TYPES = (str, int, float, bool, type(None))


def job(queue: str, timeout: int, shown_args: int | None = None):
    """Mark a function as a job of ``queue`` that may run ``timeout`` seconds.

    ``shown_args`` limits the arguments that administrators see (a mail's body holds its links).
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def mark(function: Callable) -> Callable:
        function.job_queue = queue
        function.job_timeout = timeout
        function.job_shown_args = shown_args
        return function

    return mark


def jobs_enabled() -> bool:
    """Whether jobs go to a queue (Redis is configured) rather than run at once."""
    return bool(current_app.config.get("JOBS_REDIS_URL"))


def connection() -> redis.Redis:
    """The Redis client of the jobs, one per process and URL."""
    url = current_app.config["JOBS_REDIS_URL"]
    clients = current_app.extensions.setdefault("masar_jobs", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url)
    return clients[url]


def queue_name(name: str) -> str:
    return f"{current_app.config['JOBS_QUEUE_PREFIX']}-{name}"


def get_queue(name: str) -> Queue:
    return Queue(queue_name(name), connection=connection(), serializer=JSONSerializer)


def all_queues() -> list[Queue]:
    return [get_queue(name) for name in QUEUES]


def _check_plain(value, where: str) -> None:
    if isinstance(value, PLAIN_TYPES):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_plain(item, where)
    elif isinstance(value, dict) and all(isinstance(key, str) for key in value):
        for item in value.values():
            _check_plain(item, where)
    else:
        raise TypeError(f"{where}: job arguments must be plain data (ids, strings), not {type(value).__name__}")


def summary(function: Callable, args: tuple) -> str:
    """The arguments as administrators see them: the first few, each cut short."""
    shown = getattr(function, "job_shown_args", None)
    listed = args if shown is None else args[:shown]
    parts = [text if len(text := repr(value)) <= 60 else text[:59] + "…" for value in listed]
    if len(listed) < len(args):
        parts.append("…")
    return ", ".join(parts)


def enqueue(function: Callable, *args, **kwargs) -> str | None:
    """Run ``function(*args, **kwargs)`` in a worker, with retries; without a queue, run it now.

    Returns the job's id, or None when it ran inline (its exceptions then reach the caller).
    """
    where = f"{function.__module__}.{function.__qualname__}"
    if not hasattr(function, "job_queue"):
        raise TypeError(f"{where} is not marked with @job")
    _check_plain(list(args), where)
    _check_plain(kwargs, where)
    if not jobs_enabled():
        run_inline(function, args, kwargs)
        return None
    intervals = list(current_app.config["JOBS_RETRY_INTERVALS"])
    queued = get_queue(function.job_queue).enqueue(
        function, args=args, kwargs=kwargs, job_timeout=function.job_timeout,
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        description=where, result_ttl=RESULTS_KEPT, failure_ttl=FAILED_JOBS_KEPT,
        meta={"summary": summary(function, args), "tries": len(intervals) + 1},
    )
    return queued.id


def run_inline(function: Callable, args: tuple, kwargs: dict):
    """Run a job at once, in a fresh application context: its own database session, as in a worker."""
    with current_app.app_context():
        return function(*args, **kwargs)
