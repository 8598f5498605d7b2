"""RQ workers that run each job in the application's context, with its own database session."""

import traceback

from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from lms.extensions import db
from lms.jobs.queues import all_queues, get_queue

# How often a worker runs RQ's maintenance (requeuing the jobs of workers that died, among others).
MAINTENANCE_INTERVAL = 60


def remember_error(job: Job, exc_type, exc_value, tb) -> bool:
    """Keep the last error on the job: RQ records none for an attempt that will be retried.

    RQ calls it for every failure, and for a job found abandoned by a worker that died.
    """
    lines = traceback.format_exception_only(exc_type, exc_value)
    job.meta["error"] = lines[-1].strip() if lines else exc_type.__name__
    job.save_meta()
    return True  # let RQ's own handling go on


class _InAppContext:
    """Each job runs inside ``app.app_context()``; the session is removed when it ends."""

    def __init__(self, queues, *, app: Flask, **kwargs):
        self.app = app
        kwargs.setdefault("serializer", JSONSerializer)
        kwargs.setdefault("exception_handlers", [remember_error])
        super().__init__(queues, **kwargs)

    def perform_job(self, job: Job, queue, execution) -> bool:
        with self.app.app_context():
            if self.is_horse:
                # A forked horse must not reuse connections its parent's pool may hold.
                db.engine.dispose(close=False)
            return super().perform_job(job, queue, execution)


class AppWorker(_InAppContext, Worker):
    """Forks a horse per job, so a job's timeout or crash never takes the worker down."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """The running job is declared abandoned once its worker missed two heartbeats.

        RQ's own margin is a fixed minute; this one follows ``job_monitoring_interval``, so the
        default (30 s) keeps it, and a short interval lets another worker take over sooner.
        """
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = min(interval, job.timeout - working_time)
        return int(max(interval, 1)) + 2 * self.job_monitoring_interval


class InProcessWorker(_InAppContext, SimpleWorker):
    """Runs jobs in the calling process, without forking: for tests and one-off commands."""


def run_worker(app: Flask, names: list[str], burst: bool = False, monitoring_interval: int = 30) -> bool:
    """Work on the named queues (every queue when empty) until stopped, or until they are empty."""
    with app.app_context():
        queues = [get_queue(name) for name in names] if names else all_queues()
        worker = AppWorker(queues, app=app, connection=queues[0].connection,
                           job_monitoring_interval=monitoring_interval,
                           maintenance_interval=MAINTENANCE_INTERVAL)
    # The scheduler moves retries whose delay has passed back onto their queue.
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
