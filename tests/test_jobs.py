"""Background jobs: inline without Redis; with Redis (TEST_REDIS_URL) queued, retried, shown to administrators,
and run again when their worker dies."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.worker import Worker
from support import scalar

from certificates.issuing import issue_certificate, render_stored_pdf
from certificates.models import CertificateDocument
from courses.models import Course
from lms.accounts.models import Role, User
from lms.extensions import db
from lms.jobs.monitoring import forget_job
from lms.jobs.queues import all_queues, enqueue, get_queue, job
from lms.jobs.worker import InProcessWorker
from lms.mail import deliver_mail

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)")
REFRESH = '<meta http-equiv="refresh" content="3">'


@job("documents", timeout=120)
def hang_on_first_attempt(folder: str) -> None:
    """Hangs on its first attempt (its worker is killed meanwhile); later attempts finish at once."""
    started = Path(folder) / "started"
    if not started.exists():
        started.touch()
        time.sleep(120)
    (Path(folder) / "done").touch()


def documents(app) -> int:
    return scalar(app, sa.select(sa.func.count()).select_from(CertificateDocument))


def text(response) -> str:
    return response.get_data(as_text=True)


# Without Redis: everything runs at once, as the embedded default always did --------------------


def test_without_redis_a_mail_is_delivered_within_the_request(client, make, mail_outbox):
    user = make.user(email="amal@example.org")
    client.post_form("/password/forgot", {"email": user.email})
    [mail] = mail_outbox
    assert mail.to == "amal@example.org" and "/password/reset/" in mail.body


def test_without_redis_the_pdf_is_stored_once_the_certificate_is_committed(app, make):
    learner, course = make.user(), make.course(lessons=1)
    with app.app_context():
        issue_certificate(db.session.get(User, learner.id), db.session.get(Course, course.id))
        db.session.flush()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateDocument)) == 0
        db.session.commit()
    assert documents(app) == 1
    [pdf] = [row.pdf for row in _documents(app)]
    assert pdf.startswith(b"%PDF-")


def _documents(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(CertificateDocument)))


def test_without_redis_a_report_download_is_immediate(client, make, login_as):
    login_as(make.user(role=Role.ADMIN, locale="en"))
    response = client.get("/reports/report.csv?rows=organization&columns=")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="masar-report.csv"'
    assert client.get("/downloads/some-token").status_code == 404


def test_without_redis_the_jobs_page_says_there_is_no_queue(admin_client):
    page = text(admin_client.get("/admin/jobs"))
    assert "There is no job queue" in page and "<table" not in page
    assert 'href="/admin/jobs"' in text(admin_client.get("/admin/users"))


def test_the_worker_refuses_to_start_without_redis(runner):
    result = runner.invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_jobs_take_plain_data_only(app, make):
    user = make.user()
    with app.app_context():
        with pytest.raises(TypeError, match="plain data"):
            enqueue(render_stored_pdf, db.session.get(User, user.id))
        with pytest.raises(TypeError, match="not marked with @job"):
            enqueue(print, "hello")


# With Redis ------------------------------------------------------------------------------------


@pytest.fixture
def queued(app, monkeypatch):
    """Jobs go to Redis, on queues of this test only (retried at once); what they leave is deleted after."""
    prefix = f"masar-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE_PREFIX", prefix)
    monkeypatch.setitem(app.config, "JOBS_RETRY_INTERVALS", (0, 0))
    yield prefix
    with app.app_context():
        connection = all_queues()[0].connection
        for queue in all_queues():
            for worker in Worker.all(queue=queue):
                worker.register_death()
            ids = set(queue.get_job_ids())
            for registry in (queue.started_job_registry, queue.failed_job_registry, queue.finished_job_registry,
                             queue.scheduled_job_registry, queue.deferred_job_registry):
                ids |= set(registry.get_job_ids())
            for found in Job.fetch_many(list(ids), connection=connection, serializer=JSONSerializer):
                if found is not None:
                    forget_job(found)
        connection.srem("rq:queues", *(queue.key for queue in all_queues()))
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)


@contextmanager
def _signals_kept():
    """A worker installs its own SIGINT and SIGTERM handlers: give pytest its own back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def run_jobs(app) -> None:
    """What a worker does, in this process: run every queued job, retries included, then stop."""
    with app.app_context():
        queues = all_queues()
    with _signals_kept():
        InProcessWorker(queues, app=app, connection=queues[0].connection).work(burst=True, logging_level="WARNING")


def waiting(app, name: str) -> list[Job]:
    with app.app_context():
        return get_queue(name).get_jobs()


@needs_redis
def test_a_mail_is_queued_by_the_request_and_delivered_by_a_worker(app, client, make, mail_outbox, queued):
    user = make.user(email="nadia@example.org", locale="en")
    client.post_form("/password/forgot", {"email": user.email})

    assert mail_outbox == []
    [waiting_mail] = waiting(app, "mail")
    assert waiting_mail.func_name == "lms.mail.deliver_mail" and waiting_mail.args[0] == "nadia@example.org"
    run_jobs(app)
    [mail] = mail_outbox
    # Rendered in the request, in the reader's language, with links on the public address.
    assert mail.subject == "Reset your Masar password"
    assert f"{app.config['BASE_URL']}/password/reset/" in mail.body
    assert waiting(app, "mail") == []


@needs_redis
def test_a_certificate_pdf_is_queued_after_the_commit_and_rendered_by_a_worker(app, make, queued):
    learner, course = make.user(), make.course(lessons=1)
    with app.app_context():
        certificate = issue_certificate(db.session.get(User, learner.id), db.session.get(Course, course.id))
        db.session.flush()
        assert waiting(app, "documents") == []  # nothing before the commit: a worker could not see the row
        certificate_id = certificate.id
        db.session.commit()

    [render] = waiting(app, "documents")
    assert render.func_name == "certificates.issuing.render_stored_pdf" and render.args == [certificate_id]
    assert documents(app) == 0
    run_jobs(app)
    assert documents(app) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@needs_redis
def test_a_failing_job_is_retried_then_shown_to_administrators_who_requeue_it(app, admin_client, make, mail_outbox,
                                                                             queued, monkeypatch):
    # A real failure: the SMTP server refuses connections.
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", False)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    user = make.user(email="karim@example.org")
    admin_client.post_form("/password/forgot", {"email": user.email})
    run_jobs(app)  # the first attempt and both retries fail

    page = text(admin_client.get("/admin/jobs"))
    assert "Failed: 1" in page
    row = page[page.index("<tr id=\"job-"):]
    row = row[:row.index("</tr>")]
    assert "lms.mail.deliver_mail" in row and "karim@example.org" in row
    assert "/password/reset/" not in row  # the body, with its link, is not shown
    assert "3 of 3" in row and "ConnectionRefusedError" in row
    job_id = row[len('<tr id="job-'):row.index('"', len('<tr id="job-'))]

    monkeypatch.setitem(app.config, "MAIL_OUTBOX", True)  # the server is back
    response = admin_client.post_form(f"/admin/jobs/{job_id}/requeue")
    assert response.status_code == 302 and response.location == "/admin/jobs"
    assert [found.id for found in waiting(app, "mail")] == [job_id]
    run_jobs(app)
    assert [mail.to for mail in mail_outbox] == ["karim@example.org"]
    assert "No job is waiting, running or failed." in text(admin_client.get("/admin/jobs"))
    # A job that is no longer failed cannot be requeued twice.
    admin_client.post_form(f"/admin/jobs/{job_id}/requeue")
    assert waiting(app, "mail") == []


@needs_redis
def test_a_job_waiting_for_its_retry_shows_its_last_error(app, admin_client, make, queued, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_RETRY_INTERVALS", (3600,))
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", False)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    with app.app_context():
        job_id = enqueue(deliver_mail, "someone@example.org", "Subject", "Body")
    run_jobs(app)
    page = text(admin_client.get("/admin/jobs"))
    assert "waiting to be retried: 1" in page
    row = page[page.index(f'<tr id="job-{job_id}"'):]
    row = row[:row.index("</tr>")]
    assert "Waiting to be retried" in row and "1 of 2" in row and "ConnectionRefusedError" in row
    assert "/requeue" not in row and "/delete" in row


@needs_redis
def test_administrators_delete_a_waiting_job(app, admin_client, queued):
    with app.app_context():
        job_id = enqueue(deliver_mail, "someone@example.org", "Subject", "Body")
    page = text(admin_client.get("/admin/jobs"))
    assert " waiting: 1" in page and f'id="job-{job_id}"' in page and "0 of 3" in page
    admin_client.post_form(f"/admin/jobs/{job_id}/delete")
    assert waiting(app, "mail") == []
    assert f'id="job-{job_id}"' not in text(admin_client.get("/admin/jobs"))


@needs_redis
def test_a_report_export_is_prepared_by_a_job_for_the_user_who_asked_only(app, client, make, login_as, queued):
    asker = make.user(role=Role.MANAGER, organization=make.organization("Association Amal"), locale="en")
    login_as(asker)
    response = client.get("/reports/report.csv?rows=organization&columns=")
    assert response.status_code == 302 and response.location.startswith("/downloads/")
    page_url = response.location
    token = page_url.rsplit("/", 1)[1]
    assert len(token) >= 32

    page = text(client.get(page_url))
    assert REFRESH in page and "Your file is being prepared" in page
    assert client.get(f"{page_url}/file").status_code == 404  # not ready yet
    [export] = waiting(app, "exports")
    assert export.args[0] == token and asker.email not in repr(export.args)

    run_jobs(app)
    page = text(client.get(page_url))
    assert REFRESH not in page and f'href="{page_url}/file"' in page and "masar-report.csv" in page
    download = client.get(f"{page_url}/file")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == 'attachment; filename="masar-report.csv"'
    assert download.get_data(as_text=True).startswith("\ufeff")

    other = app.test_client()
    login_as(make.user(role=Role.ADMIN), target=other)
    assert other.get(page_url).status_code == 404 and other.get(f"{page_url}/file").status_code == 404


@needs_redis
def test_an_export_whose_job_failed_for_good_says_so(app, client, make, login_as, queued, monkeypatch):
    login_as(make.user(role=Role.ADMIN, locale="en"))
    page_url = client.get("/reports/report.xlsx?rows=organization&columns=").location

    def broken(*args, **kwargs):
        raise RuntimeError("workbook writer down")

    monkeypatch.setattr("lms.reports.downloads.report_xlsx", broken)
    run_jobs(app)
    page = text(client.get(page_url))
    assert REFRESH not in page and "could not be prepared" in page
    assert client.get(f"{page_url}/file").status_code == 404


@needs_redis
def test_a_job_whose_worker_is_killed_is_run_by_another_worker(app, make, queued, tmp_path):
    env = {**os.environ, "MASAR_ENV": "development", "SECRET_KEY": "worker-test", "BASE_URL": app.config["BASE_URL"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
           "JOBS_QUEUE_PREFIX": queued, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker"]
    with app.app_context():
        job_id = enqueue(hang_on_first_attempt, str(tmp_path))
    assert waiting(app, "documents")[0].func_name == "test_jobs.hang_on_first_attempt"

    with (tmp_path / "first.log").open("w") as log:
        first = subprocess.Popen([*flask, "--monitoring-interval", "1"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(600):
            if (tmp_path / "started").exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert (tmp_path / "started").exists(), (tmp_path / "first.log").read_text()
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the worker, its work horse and its scheduler, mid-job
        first.wait(timeout=30)

    with app.app_context():
        connection = get_queue("documents").connection
        assert Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status() == JobStatus.STARTED
        started = StartedJobRegistry(queue=get_queue("documents"))
        # Its heartbeat lapses after two missed beats (a few seconds with a one-second interval).
        for _ in range(200):
            if started.get_expired_job_ids():
                break
            time.sleep(0.1)
        assert started.get_expired_job_ids()
        # A certificate issued meanwhile waits for a worker too; the next one renders it in the database.
        learner, course = make.user(), make.course(lessons=1)
        issue_certificate(db.session.get(User, learner.id), db.session.get(Course, course.id))
        db.session.commit()

    second = subprocess.run([*flask, "--burst"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    with app.app_context():
        finished = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
        assert finished.get_status() == JobStatus.FINISHED
        assert finished.meta["error"].endswith("AbandonedJobError")  # what administrators saw meanwhile
    assert (tmp_path / "done").exists()
    assert documents(app) == 1
