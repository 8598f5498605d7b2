"""Slow clients (a 2G uplink, a phone reading a long page) do not stop others from being served.

The documented setup runs for real: gunicorn with gunicorn.conf.py, behind nginx with
deploy/nginx/masar.conf (its ports and paths changed). Gunicorn gets one worker of four threads:
four requests at a time. Fifty slow clients connect: some send their request's headers a few bytes
at a time, some their form's body, some read a 6 MB lesson page a few bytes at a time. Through
nginx, fast clients are all served meanwhile; straight to gunicorn, the slow clients hold its four
threads and no fast request is answered until they leave.

One worker, not two of two threads: gthread accepts every connection and queues it for its threads,
and the kernel hands new connections to workers unevenly (in trials, 48 or all 50 of the slow ones
went to one worker). Straight to a two-worker gunicorn, a fast client is then starved when the
busy worker accepts it and served when the other does: the outcome would be chance, not a test.

What each nginx setting contributes: without request buffering (proxy_request_buffering off) the
slow uploaders reach gunicorn and the fast clients starve. Without response buffering they would
not, here: on one host the kernel's socket buffers between gunicorn and nginx grow to tens of
megabytes and take a 6 MB page whole; proxy_buffering is what holds larger responses.
"""

import http.client
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from conftest import PASSWORD

from courses.models import Enrollment, Lesson, LessonTranslation
from lms.extensions import db

pytestmark = pytest.mark.slow_clients

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
HAS_GUNICORN = importlib.util.find_spec("gunicorn") is not None
FAST_TIMEOUT = 5  # seconds: a fast request not answered by then counts as starved
SLOW_SENDERS, SLOW_UPLOADERS, SLOW_READERS = 20, 15, 15
BIG_PAGE_BYTES = 6 * 1024 * 1024  # more than the kernel buffers between gunicorn and a reader hold

requires_servers = pytest.mark.skipif(
    NGINX is None or not HAS_GUNICORN,
    reason="needs nginx (apt-get install nginx; `make test` installs it) and gunicorn (requirements.txt)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def get(port: int, path: str, cookie: str = "", timeout: float = FAST_TIMEOUT) -> http.client.HTTPResponse:
    """One request on a new connection; the response with its body read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def answers(port: int, path: str = "/healthz") -> bool:
    try:
        return get(port, path, timeout=1).status == 200
    except OSError:
        return False


def session_cookie(response: http.client.HTTPResponse) -> str:
    found = re.search(r"session=([^;]+)", response.getheader("Set-Cookie") or "")
    assert found, response.getheaders()
    return f"session={found.group(1)}"


def sign_in(port: int, email: str) -> str:
    """Sign in through the real form; the session cookie."""
    page = get(port, "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.body).group(1).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/login", urlencode({"csrf_token": token, "email": email, "password": PASSWORD}),
                           {"Content-Type": "application/x-www-form-urlencoded", "Cookie": session_cookie(page)})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 302, response.status
    return session_cookie(response)


class Stack:
    """gunicorn with gunicorn.conf.py and, optionally, nginx with deploy/nginx/masar.conf in front."""

    def __init__(self, folder: Path, database_url: str):
        self.folder = folder
        self.database_url = database_url
        self.processes: list[subprocess.Popen] = []
        self.gunicorn_port = free_port()
        self.nginx_port = None

    def start_gunicorn(self) -> None:
        environment = {key: value for key, value in os.environ.items()
                       if key not in {"REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"}}
        environment.update(
            MASAR_ENV="production", SECRET_KEY=os.urandom(16).hex(), DATABASE_URL=self.database_url,
            BASE_URL="https://masar.example.org", TRUSTED_PROXIES="1")
        with (self.folder / "gunicorn.log").open("wb") as log:
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--workers", "1",
                 "--threads", "4", "--bind", f"127.0.0.1:{self.gunicorn_port}", "wsgi:app"],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT))
        wait_until(lambda: answers(self.gunicorn_port), 30, f"gunicorn (log: {self.folder / 'gunicorn.log'})")

    def start_nginx(self) -> None:
        self.nginx_port = free_port()
        site = site_config(self.nginx_port, free_port(), self.gunicorn_port, self.folder)
        (self.folder / "masar.conf").write_text(site)
        temp = self.folder / "nginx-temp"
        temp.mkdir()
        (self.folder / "nginx.conf").write_text(
            "daemon off;\nworker_processes 1;\n"
            f"pid {self.folder}/nginx.pid;\nerror_log {self.folder}/nginx-error.log;\n"
            + ("user root;\n" if os.geteuid() == 0 else "")
            + "events { worker_connections 512; }\nhttp {\n"
            "    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            + "".join(f"    {kind}_temp_path {temp}/{kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"    include {self.folder}/masar.conf;\n}}\n")
        with (self.folder / "nginx-stderr.log").open("wb") as log:
            self.processes.append(subprocess.Popen(
                [NGINX, "-p", str(self.folder), "-e", str(self.folder / "nginx-error.log"),
                 "-c", str(self.folder / "nginx.conf")], stdout=subprocess.DEVNULL, stderr=log))
        wait_until(lambda: answers(self.nginx_port), 10, f"nginx (log: {self.folder / 'nginx-error.log'})")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def site_config(port: int, redirect_port: int, gunicorn_port: int, folder: Path) -> str:
    """deploy/nginx/masar.conf on local ports, without TLS, logging into ``folder``."""
    text = (ROOT / "deploy/nginx/masar.conf").read_text()
    changes = [
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{port};"),
        (r"listen 80;", f"listen 127.0.0.1:{redirect_port};"),
        (r"\n\s*listen \[::\]:\d+[^;]*;", ""),
        (r"\n\s*ssl_[a-z_]+ [^;]+;", ""),
        (r"server 127\.0\.0\.1:8000", f"server 127.0.0.1:{gunicorn_port}"),
        (r"/srv/masar/lms/static/", f"{ROOT}/lms/static/"),
        (r"/var/log/nginx/", f"{folder}/"),
    ]
    for pattern, replacement in changes:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx/masar.conf no longer has {pattern!r}"
    return text


class SlowClients:
    """Connections that send or read a few bytes every half second, all driven by one background thread."""

    def __init__(self, port: int, cookie: str, lesson_path: str):
        host = f"Host: 127.0.0.1:{port}\r\nUser-Agent: 2G phone\r\n"
        body = urlencode({"locale": "ar", "next": "/" + "a" * 400})
        # Headers a few bytes at a time; a form's body a few bytes at a time; a long page read slowly.
        self.senders = [SlowClient(port, "", f"GET /courses HTTP/1.1\r\n{host}X-Padding: {'a' * 400}\r\n\r\n")
                        for _ in range(SLOW_SENDERS)]
        self.uploaders = [SlowClient(port, f"POST /language HTTP/1.1\r\n{host}Content-Type: application/"
                                           f"x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                                           f"Cookie: {cookie}\r\n\r\n", body)
                          for _ in range(SLOW_UPLOADERS)]
        self.readers = [SlowClient(port, f"GET {lesson_path} HTTP/1.1\r\n{host}Cookie: {cookie}\r\n"
                                         "Connection: close\r\n\r\n", reads=True)
                        for _ in range(SLOW_READERS)]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    @property
    def everyone(self) -> list["SlowClient"]:
        return self.senders + self.uploaders + self.readers

    def start(self) -> None:
        for client in self.everyone:
            client.step()
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stopped.wait(0.5):
            for client in self.everyone:
                client.step()

    def answered(self) -> list[str]:
        """The senders and uploaders that got an answer or were dropped: none while they are still sending."""
        return [kind for kind, clients in (("sender", self.senders), ("uploader", self.uploaders))
                for client in clients if client.peek() is not None]

    def close(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        for client in self.everyone:
            client.socket.close()


class SlowClient:
    """One connection: ``head`` is sent at once, then ``trickle`` 4 bytes at a time; or it reads 64 bytes a step."""

    def __init__(self, port: int, head: str, trickle: str = "", reads: bool = False):
        self.socket = socket.socket()
        if reads:  # a small receive window, as on a phone that reads slowly
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.socket.connect(("127.0.0.1", port))
        self.socket.sendall(head.encode())
        self.socket.setblocking(False)
        self.pending = trickle.encode()
        self.reads = reads
        self.received = b""

    def step(self) -> None:
        try:
            if self.reads:
                self.received += self.socket.recv(64)
            elif self.pending:
                chunk, self.pending = self.pending[:4], self.pending[4:]
                self.socket.send(chunk)
        except BlockingIOError:
            pass
        except OSError:  # the server gave up on this client: peek() tells
            self.pending = b""

    def peek(self) -> bytes | None:
        """What the server has sent and not yet been read (b"" when it closed), None when nothing yet."""
        try:
            return self.socket.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return None
        except OSError:  # reset by the server
            return b""


@pytest.fixture
def stack(app, tmp_path):
    servers = Stack(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    yield servers
    servers.stop()


@pytest.fixture
def learner_with_long_lesson(app, make):
    """A learner enrolled in a course whose first lesson's page weighs more than 6 MB; its path."""
    learner = make.user(password=PASSWORD)
    course = make.course(slug="long-read", lessons=1, languages=("fr",))
    with app.app_context():
        lesson_id = db.session.scalar(sa.select(Lesson.id).where(Lesson.course_id == course.id))
        paragraph = "<p>" + "Un paragraphe de la leçon, lu lentement sur un téléphone. " * 20 + "</p>\n"
        db.session.execute(sa.update(LessonTranslation).where(LessonTranslation.lesson_id == lesson_id)
                           .values(body_html=paragraph * (BIG_PAGE_BYTES // len(paragraph.encode()) + 1)))
        db.session.add(Enrollment(user_id=learner.id, course_id=course.id))
        db.session.commit()
    return learner, "/courses/long-read/lessons/lesson-001"


def fetch(port: int, path: str, cookie: str):
    """A whole page on a new connection within FAST_TIMEOUT seconds: its status, or the error's name."""
    try:
        response = get(port, path, cookie)
    except OSError as error:
        return type(error).__name__
    return response.status if response.body.rstrip().endswith(b"</html>") else "truncated"


@requires_servers
def test_nginx_serves_fast_clients_while_fifty_slow_clients_hold_connections(stack, learner_with_long_lesson):
    learner, lesson_path = learner_with_long_lesson
    stack.start_gunicorn()
    stack.start_nginx()
    cookie = sign_in(stack.nginx_port, learner.email)
    assert get(stack.nginx_port, lesson_path, cookie).status == 200

    slow = SlowClients(stack.nginx_port, cookie, lesson_path)
    try:
        slow.start()
        # nginx has had every reader's page from gunicorn and sends it a few bytes at a time.
        wait_until(lambda: all(client.received.startswith(b"HTTP/1.1 200") for client in slow.readers), 15,
                   "the slow readers' pages to start")
        # Twelve pages one after another, each on a new connection.
        pages = ["/", "/courses", "/courses/long-read", "/account"] * 3
        results = [fetch(stack.nginx_port, path, cookie) for path in pages]
        answered = slow.answered()
        still_reading = [client.peek() is not None for client in slow.readers]
    finally:
        slow.close()

    assert results == [200] * 12
    # The slow clients were still there, slow, while the fast ones came and went: senders still
    # sending, readers with most of their page still to read.
    assert answered == []
    assert still_reading == [True] * SLOW_READERS


@requires_servers
def test_gunicorn_alone_serves_nobody_while_slow_clients_hold_its_threads(stack, learner_with_long_lesson):
    learner, lesson_path = learner_with_long_lesson
    stack.start_gunicorn()
    cookie = sign_in(stack.gunicorn_port, learner.email)

    slow = SlowClients(stack.gunicorn_port, cookie, lesson_path)
    try:
        slow.start()
        time.sleep(1.5)
        # Four fast clients at once, as many as gunicorn has threads.
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda path: fetch(stack.gunicorn_port, path, cookie), ["/courses"] * 4))
        answered = slow.answered()
    finally:
        slow.close()

    # gthread reads a request's headers and body in a worker thread, with a blocking socket, and
    # writes a response larger than the socket buffers the same way: each slow client holds a
    # thread for as long as it is slow. Nothing was answered.
    assert results == ["TimeoutError"] * 4
    assert answered == []
    # Once the slow clients are gone, the threads are free again.
    wait_until(lambda: answers(stack.gunicorn_port, "/courses"), 10, "gunicorn to serve again")


@requires_servers
def test_nginx_serves_static_files_itself_compressed_and_cached_only_when_fingerprinted(stack):
    stack.start_gunicorn()
    stack.start_nginx()

    def static(path):
        connection = http.client.HTTPConnection("127.0.0.1", stack.nginx_port, timeout=FAST_TIMEOUT)
        try:
            connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        # The application adds a Content-Security-Policy to everything it serves; nginx does not.
        return (response.status, response.getheader("Content-Encoding"), response.getheader("Cache-Control"),
                response.getheader("Content-Security-Policy"))

    assert static("/static/css/masar.css") == (200, "gzip", "no-cache", None)
    assert static("/static/css/masar.css?v=3f9a1c2e") == (200, "gzip", "public, max-age=31536000, immutable", None)
    assert static("/courses")[3] is not None
