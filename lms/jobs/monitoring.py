"""What administrators see of the queues: waiting, running, retrying and failed jobs, and what they can do."""

import re
from dataclasses import dataclass
from datetime import datetime

from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from lms.jobs.queues import QUEUES, all_queues, connection, get_queue

SHOWN_PER_STATE = 200  # per queue and state: enough to see what is wrong, never the whole backlog
JOB_ID = re.compile(r"[0-9a-f-]{1,64}")
STATES = ("failed", "started", "scheduled", "queued")  # the order of the page


@dataclass(frozen=True)
class JobRow:
    id: str
    queue: str
    state: str
    function: str
    arguments: str
    attempts: int
    tries: int
    error: str
    enqueued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def can_requeue(self) -> bool:
        return self.state == "failed"

    @property
    def can_delete(self) -> bool:
        return self.state != "started"


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _attempts(job: Job, state: str, tries: int) -> int:
    """Attempts made so far: each failure before the last used up one retry."""
    failures = tries - 1 - (job.retries_left if job.retries_left is not None else tries - 1)
    return failures + (1 if state in ("started", "failed") else 0)


def _row(job: Job, queue: str, state: str) -> JobRow:
    tries = int(job.meta.get("tries", 1))
    result = job.latest_result() if state in ("failed", "scheduled", "queued") else None
    return JobRow(
        id=job.id, queue=queue, state=state, function=job.func_name, arguments=job.meta.get("summary", ""),
        attempts=_attempts(job, state, tries), tries=tries,
        error=_last_line(result.exc_string) if result is not None else job.meta.get("error", ""),
        enqueued_at=job.enqueued_at, started_at=job.started_at, ended_at=job.ended_at,
    )


def _ids(queue, state: str) -> list[str]:
    if state == "queued":
        return queue.get_job_ids(0, SHOWN_PER_STATE - 1)
    registry = {"started": StartedJobRegistry, "scheduled": ScheduledJobRegistry, "failed": FailedJobRegistry}[state]
    ids = registry(queue=queue).get_job_ids(0, SHOWN_PER_STATE - 1)
    return list(dict.fromkeys(ids))  # a started job may be listed once per execution


def list_jobs() -> list[JobRow]:
    """Jobs of every queue, failed ones first, then running, retrying later and waiting."""
    rows = []
    for state in STATES:
        for name, queue in zip(QUEUES, all_queues(), strict=True):
            ids = _ids(queue, state)
            jobs = Job.fetch_many(ids, connection=connection(), serializer=JSONSerializer) if ids else []
            rows += [_row(job, name, state) for job in jobs if job is not None]
    return rows


def counts() -> dict[str, int]:
    """How many jobs wait, run, wait to be retried and failed, over every queue."""
    totals = dict.fromkeys(STATES, 0)
    for queue in all_queues():
        totals["queued"] += queue.count
        totals["started"] += StartedJobRegistry(queue=queue).count
        totals["scheduled"] += ScheduledJobRegistry(queue=queue).count
        totals["failed"] += FailedJobRegistry(queue=queue).count
    return totals


def _fetch(job_id: str) -> Job | None:
    if not JOB_ID.fullmatch(job_id):
        return None
    try:
        job = Job.fetch(job_id, connection=connection(), serializer=JSONSerializer)
    except NoSuchJobError:
        return None
    return job if job.origin in {get_queue(name).name for name in QUEUES} else None


def requeue_job(job_id: str) -> bool:
    """Put a failed job back on its queue for one more attempt; False when it is not a failed job."""
    job = _fetch(job_id)
    if job is None or job.get_status() != JobStatus.FAILED:
        return False
    try:
        FailedJobRegistry(job.origin, connection=connection(), serializer=JSONSerializer).requeue(job)
    except InvalidJobOperation:
        return False
    return True


def delete_job(job_id: str) -> bool:
    """Forget a job that is not running; False when there is no such job or it is running."""
    job = _fetch(job_id)
    if job is None or job.get_status() == JobStatus.STARTED:
        return False
    forget_job(job)
    return True


def forget_job(job: Job) -> None:
    """Delete a job and everything RQ keeps about it."""
    try:
        job.delete()
    except ValueError:
        # For a minute after a dead worker's execution record expires, RQ still lists it and fails
        # to load it: drop the list, then delete again (what was already removed stays removed).
        job.connection.delete(job.execution_registry.key)
        job.delete()
