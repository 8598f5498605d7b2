"""Files a job prepares (large exports), kept in Redis for an hour for the one user who asked.

Nothing is written on the web server's disk: any instance serves the file once it is ready.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.utils import import_attribute

from lms.jobs.queues import connection, enqueue, job

KEPT = 3600  # seconds a prepared file (or its request) stays in Redis


@dataclass(frozen=True)
class PreparedFile:
    status: str  # "pending", "ready" or "failed"
    filename: str = ""
    mimetype: str = ""
    body: bytes = b""


def _key(token: str) -> str:
    return f"{current_app.config['JOBS_QUEUE_PREFIX']}:file:{token}"


def prepare_file(user_id: int, builder: Callable, *args) -> str:
    """Have a job call ``builder(*args)`` (which returns filename, mimetype and bytes) for ``user_id``.

    Returns the random token of the file's page.
    """
    token = secrets.token_urlsafe(24)
    key = _key(token)
    redis = connection()
    with redis.pipeline() as pipeline:
        pipeline.hset(key, mapping={"user_id": user_id, "status": "pending"})
        pipeline.expire(key, KEPT)
        pipeline.execute()
    job_id = enqueue(produce_file, token, f"{builder.__module__}.{builder.__qualname__}", *args)
    redis.hset(key, "job_id", job_id)
    return token


@job("exports", timeout=600, shown_args=2)
def produce_file(token: str, builder: str, *args) -> None:
    """Build the file and keep it for an hour from now, unless its request has already expired."""
    key = _key(token)
    redis = connection()
    if not redis.exists(key):
        return
    filename, mimetype, body = import_attribute(builder)(*args)
    with redis.pipeline() as pipeline:
        pipeline.hset(key, mapping={"status": "ready", "filename": filename, "mimetype": mimetype, "body": body})
        pipeline.expire(key, KEPT)
        pipeline.execute()


def _job_failed(job_id: str | None) -> bool:
    """Whether the job gave up (no retry left) or was deleted by an administrator."""
    if not job_id:
        return False
    try:
        status = Job.fetch(job_id, connection=connection(), serializer=JSONSerializer).get_status()
    except NoSuchJobError:
        return True
    return status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


def prepared_file(token: str, user_id: int) -> PreparedFile | None:
    """The file behind ``token`` if ``user_id`` asked for it and it has not expired."""
    values = {key.decode(): value for key, value in connection().hgetall(_key(token)).items()}
    if not values or values.get("user_id", b"").decode() != str(user_id):
        return None
    status = values["status"].decode()
    if status == "ready":
        return PreparedFile("ready", values["filename"].decode(), values["mimetype"].decode(), values["body"])
    job_id = values.get("job_id", b"").decode()
    return PreparedFile("failed" if _job_failed(job_id) else "pending")
