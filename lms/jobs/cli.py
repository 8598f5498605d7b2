"""``flask lms worker``: the process that runs background jobs."""

import click
from flask import current_app

from lms.cli import lms_cli
from lms.jobs.queues import QUEUES, jobs_enabled
from lms.jobs.worker import run_worker


def _queue_names(ctx, param, values) -> list[str]:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown:
        raise click.BadParameter(f"unknown queue {', '.join(unknown)}; the queues are {', '.join(QUEUES)}.")
    return names


@lms_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--queues", "-q", multiple=True, callback=_queue_names, metavar="NAMES",
              help=f"Queues to work on, most urgent first, comma-separated (default: {','.join(QUEUES)}).")
@click.option("--monitoring-interval", type=click.IntRange(min=1), default=30, show_default=True,
              help="Seconds between heartbeats while a job runs; a job whose worker missed two is run again.")
def worker_command(burst: bool, queues: list[str], monitoring_interval: int) -> None:
    """Run background jobs (mail, certificate PDFs, exports) from the Redis in REDIS_URL."""
    if not jobs_enabled():
        raise click.ClickException("REDIS_URL is not set: there is no queue to work on "
                                   "(without Redis, jobs run at once in the process that starts them).")
    run_worker(current_app._get_current_object(), queues, burst=burst, monitoring_interval=monitoring_interval)
