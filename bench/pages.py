"""Learner pages: throughput next to a bare WSGI app, SQL queries at two data sizes, page weight.

``make bench`` runs these through bench/run.py, with the certificate and report benchmarks; alone:
``.venv/bin/python bench/pages.py``. The database is bench/reports.py's (``BENCH_DATABASE_URL``, default
``masar_bench``), created, migrated and seeded with 100,000 synthetic learners when it has none.

- Throughput: gunicorn with the production gunicorn.conf.py serves the application and bench/hello.py;
  wrk loads them in turn (hello, page, hello, page...) for several rounds. A page's ratio is to the
  hello run just before it; medians are reported. A synthetic learner who completed the most followed
  course is signed in once through the real /login form and their cookie goes with every request.
  Rate limits stay on, in Redis (``BENCH_REDIS_URL``, default database 6) when it answers, with a
  verification limit too high to be reached.
- Queries: statements per request (a before_cursor_execute listener), in two worlds built inside a
  transaction rolled back at the end: a 5-lesson course with 10 learners, a 200-lesson course with 10,000.
- Weight: each page's HTML and every stylesheet, script, image and font it references, in bytes as the
  application sends them: raw, and compressed for a browser that accepts gzip, or brotli.
"""

import argparse
import json
import os
import re
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import psutil  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from reports import DEFAULT_URL, ensure_database  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from support import write_course  # noqa: E402

from certificates.codes import new_code  # noqa: E402
from certificates.models import Certificate, CertificateKind  # noqa: E402
from courses.content_files import import_course, read_course_folder  # noqa: E402
from courses.models import Course, Enrollment, Lesson, LessonProgress, Module  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts.models import Role, User  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.security import hash_password  # noqa: E402
from lms.synthetic import DOMAIN, seed_synthetic, synthetic_data_exists  # noqa: E402
from quizzes.models import Attempt, AttemptState, Quiz, QuizKind  # noqa: E402

PASSWORD = "bench learner passphrase"
PAGES = ("catalogue", "course", "lesson", "quiz", "verify")
WORLDS = {"small": (5, 10), "large": (200, 10_000)}  # lessons, learners enrolled
RESULTS = Path(__file__).resolve().parent / "results"
SAVEPOINT = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
# What a browser asks for: the application (or nginx) may compress its answers.
BROWSER_ENCODINGS = "gzip, deflate, br"


class BenchError(RuntimeError):
    """A measurement that cannot be trusted (an error answer, a server that does not start)."""


@dataclass
class Learner:
    id: int
    email: str
    pages: dict  # page name -> path


def bench_app(url: str):
    """The application in this process, for the test client (rate limits off, as in bench/reports.py)."""
    return create_app({"MASAR_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "BASE_URL": "https://masar.example.org", "RATELIMIT_ENABLED": False})


def prepare(app, learners: int) -> float | None:
    """Migrate, and seed ``learners`` synthetic learners when there are none; the seeding time in seconds."""
    with app.app_context():
        upgrade()
        if synthetic_data_exists():
            return None
        start = time.perf_counter()
        seed_synthetic(learners, seed=1)
        db.session.execute(sa.text("analyze"))
        db.session.commit()
        return round(time.perf_counter() - start, 1)


def bench_learner(app) -> Learner:
    """The first French-speaking synthetic learner certified in the most followed course, with a known password."""
    with app.app_context():
        course_id = db.session.scalar(sa.select(Enrollment.course_id).group_by(Enrollment.course_id)
                                      .order_by(sa.func.count().desc(), Enrollment.course_id).limit(1))
        user, code = db.session.execute(
            sa.select(User, Certificate.code).join(Certificate, Certificate.user_id == User.id)
            .where(User.email.like(f"%@{DOMAIN}"), User.role == Role.LEARNER, User.locale == "fr",
                   Certificate.course_id == course_id, Certificate.kind == CertificateKind.COMPLETION,
                   Certificate.revoked_at.is_(None))
            .order_by(User.id).limit(1)).one()
        user.password_hash = hash_password(PASSWORD)
        course = db.session.get(Course, course_id)
        lessons = list(db.session.scalars(
            sa.select(Lesson.key).join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id == course_id, sa.not_(Lesson.is_retired))
            .order_by(Module.position, Lesson.position)))
        quiz = db.session.scalar(sa.select(Quiz.key).where(Quiz.course_id == course_id, Quiz.kind == QuizKind.GRADED,
                                                           sa.not_(Quiz.is_retired)).order_by(Quiz.id).limit(1))
        learner = Learner(user.id, user.email, learner_pages(course.slug, lessons[len(lessons) // 2], quiz, code))
        db.session.commit()
        return learner


def learner_pages(slug: str, lesson: str, quiz: str, code: str) -> dict:
    return {"catalogue": "/courses", "course": f"/courses/{slug}", "lesson": f"/courses/{slug}/lessons/{lesson}",
            "quiz": f"/courses/{slug}/quizzes/{quiz}", "verify": f"/verify/{code}"}


# Queries ----------------------------------------------------------------------------------------

@contextmanager
def rolled_back(app):
    """Run the block in one transaction that is rolled back at its end, whatever it commits.

    The application's session joins the transaction with savepoints: a request's commit releases a
    savepoint and the database is left as it was.
    """
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        with app.app_context():
            db.session.configure(join_transaction_mode="conditional_savepoint")  # the default
        engines[None] = engine
        transaction.rollback()
        connection.close()


def signed_in_client(app, email: str):
    """A test client signed in through the real /login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise BenchError(f"signing in as {email} answered {response.status_code}")
    return client


def statements(app, client, path: str) -> int:
    """SQL statements one request runs."""
    found = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not SAVEPOINT.match(statement):  # the rolled-back worlds' bookkeeping, not the page's
            found.append(statement)

    with app.app_context():
        target = db.engines[None]
    sa.event.listen(target, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(target, "before_cursor_execute", count)
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code}")
    return len(found)


def add_world(app, learner: Learner, slug: str, lessons: int, learners: int) -> dict:
    """A published course of ``lessons`` lessons and a graded quiz; ``learners`` synthetic learners
    enrolled who did three lessons, attempted the quiz and hold a certificate. The bench learner did two
    lessons and attempted once. Returns the learner's page paths in it (the catalogue shows every course)."""
    with tempfile.TemporaryDirectory() as folder, app.app_context():
        course = import_course(read_course_folder(write_course(Path(folder), slug=slug, lessons=lessons,
                                                               modules=max(1, lessons // 25), words=120)))
        quiz = Quiz(course_id=course.id, key="final", kind=QuizKind.GRADED, titles={"fr": "Final", "en": "Final"},
                    pass_mark=50, attempts_allowed=3)
        db.session.add(quiz)
        db.session.flush()
        lesson_ids = list(db.session.scalars(sa.select(Lesson.id).where(Lesson.course_id == course.id)
                                             .order_by(Lesson.id)))
        others = list(db.session.scalars(sa.select(User.id).where(User.email.like(f"%@{DOMAIN}"),
                                                                  User.id != learner.id)
                                         .order_by(User.id).limit(learners)))
        people = [(learner.id, 2)] + [(user_id, 3) for user_id in others]
        db.session.execute(sa.insert(Enrollment), [{"user_id": user_id, "course_id": course.id}
                                                   for user_id, _ in people])
        db.session.execute(sa.insert(LessonProgress), [
            {"user_id": user_id, "lesson_id": lesson_id, "course_id": course.id}
            for user_id, done in people for lesson_id in lesson_ids[:done]])
        db.session.execute(sa.insert(Attempt), [
            {"quiz_id": quiz.id, "user_id": user_id, "number": 1, "state": AttemptState.GRADED, "score": 40.0,
             "passed": False, "layout": []} for user_id, _ in people])
        code = new_code()
        db.session.execute(sa.insert(Certificate), [
            {"code": code if user_id == learner.id else new_code(), "user_id": user_id, "course_id": course.id,
             "language": "fr", "design": "classic", "holder_name": f"Holder {user_id}",
             "course_titles": {"fr": "Cours"}, "hours": 2.5, "completed_on": date(2026, 3, 1),
             "issuer_names": {"fr": "Masar"}} for user_id, _ in people])
        db.session.commit()
        return learner_pages(slug, "lesson-003", "final", code)


def query_counts(app, learner: Learner) -> dict:
    """Statements per learner page: the bench learner's pages, then the two worlds of WORLDS."""
    counts = {}
    client = signed_in_client(app, learner.email)
    counts["seeded"] = {page: statements(app, client, path) for page, path in learner.pages.items()}
    with rolled_back(app):
        for world, (lessons, learners) in WORLDS.items():
            start = time.perf_counter()
            paths = add_world(app, learner, f"bench-{world}", lessons, learners)
            print(f"  {world} world ({lessons} lessons, {learners:,} learners) built in "
                  f"{time.perf_counter() - start:.0f} s")
            client = signed_in_client(app, learner.email)
            counts[world] = {page: statements(app, client, path) for page, path in paths.items()}
    return counts


# Weight -----------------------------------------------------------------------------------------

class Subresources(HTMLParser):
    """What a browser fetches for a page: stylesheets, icons, preloads, scripts, images, media."""

    LINKS = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and self.LINKS & set((attrs.get("rel") or "").lower().split()):
            self.found.append(attrs.get("href") or "")
        elif tag in {"script", "img", "source", "video", "audio", "iframe"} and attrs.get("src"):
            self.found.append(attrs["src"])


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def referenced(html: str) -> list[str]:
    parser = Subresources()
    parser.feed(html)
    return [address for address in parser.found if address]


ENCODINGS = {"raw": "identity", "gzip": "gzip", "brotli": "br"}


def kind_of(path: str, content_type: str) -> str:
    if "css" in content_type:
        return "css"
    if "javascript" in content_type or path.endswith(".js"):
        return "js"
    return "other"  # images, fonts


def fetched(client, address: str) -> tuple[str, bytes, dict]:
    """A resource's kind, its bytes, and its size as sent to a browser asking for each encoding."""
    sizes = {}
    for name, encoding in ENCODINGS.items():
        response = client.get(address, headers={"Accept-Encoding": encoding})
        if response.status_code != 200:
            raise BenchError(f"{address} answered {response.status_code}")
        sizes[name] = len(response.get_data())
        if name == "raw":
            kind, body = kind_of(address, response.content_type or ""), response.get_data()
    return kind, body, sizes


def page_weight(app, learner: Learner) -> dict:
    """Bytes each page sends (its HTML, CSS, JavaScript and other subresources, and all of it on a first
    visit), raw and as the application compresses them for a browser that accepts gzip, or brotli."""
    client = signed_in_client(app, learner.email)
    weights = {}
    for page, path in learner.pages.items():
        parts = {kind: dict.fromkeys(ENCODINGS, 0) for kind in ("html", "css", "js", "other")}
        pending, seen = [path], set()
        while pending:
            address = pending.pop(0)
            if address.startswith("data:") or urlsplit(address).netloc or address in seen:
                continue
            seen.add(address)
            kind, body, sizes = fetched(client, address)
            if address == path:
                kind = "html"
                pending += [urljoin(path, found) for found in referenced(body.decode())]
            elif kind == "css":
                pending += [urljoin(address, "".join(found)) for found in CSS_URL.findall(body.decode())]
            parts[kind] = {name: parts[kind][name] + sizes[name] for name in ENCODINGS}
        parts["first_visit"] = {name: sum(parts[kind][name] for kind in ("html", "css", "js", "other"))
                                for name in ENCODINGS}
        parts["subresources"] = sorted(seen - {path})
        weights[page] = parts
    return weights


# Throughput -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the production gunicorn.conf.py on a free port; its error log in bench/results/."""

    def __init__(self, name: str, app_uri: str, environment: dict):
        self.port = free_port()
        RESULTS.mkdir(exist_ok=True)
        self.log = RESULTS / f"gunicorn-{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                 "--bind", f"127.0.0.1:{self.port}", app_uri],
                cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn did not serve {path}; see {self.log}")

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def redis_url() -> str | None:
    """The Redis database the rate limits use during the run, when it answers."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:  # noqa: BLE001 - any failure means: no Redis, in-memory limits
        return None


def production_database_url(url: str) -> str:
    """The URL with the server setting docs/production.md asks for: no JIT compilation (PostgreSQL's
    planner misjudges the page queries' left joins and would spend half a second compiling a 6-row query)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or "options" in parsed.query:
        return url
    return parsed.update_query_dict({"options": "-c jit=off"}).render_as_string(hide_password=False)


def application_environment(database_url: str, redis: str | None) -> dict:
    # GUNICORN_THREADS and WEB_CONCURRENCY pass through: gunicorn.conf.py reads them.
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("MASAR_") and key not in {"REDIS_URL", "DATABASE_URL"}}
    environment.update(MASAR_ENV="production", SECRET_KEY=os.urandom(24).hex(), DATABASE_URL=database_url,
                       BASE_URL="https://masar.example.org", VERIFY_RATE_LIMIT="100000000 per minute")
    if redis:
        environment["REDIS_URL"] = redis
    return environment


def sign_in(server: Server, email: str) -> str:
    """The session cookie of a sign-in through the real form, over HTTP."""
    def request(method, path, body=None, headers=None):
        connection = HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request(method, path, body, headers or {})
            response = connection.getresponse()
            return response, response.read().decode()
        finally:
            connection.close()

    def cookie(response):
        return re.search(r"session=[^;]+", response.getheader("Set-Cookie") or "").group(0)

    response, page = request("GET", "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response, _ = request("POST", "/login", urlencode({"csrf_token": token, "email": email, "password": PASSWORD}),
                          {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie(response)})
    if response.status != 302:
        raise BenchError(f"signing in over HTTP answered {response.status}")
    return cookie(response)


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


def wrk(url: str, seconds: int, connections: int, cookie: str = "", check: bool = True) -> dict | None:
    """Requests per second and latency percentiles of one wrk run; an error answer fails the run (unless
    ``check`` is false: a warm-up's first requests wait for workers still starting)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
               "-H", f"Accept-Encoding: {BROWSER_ENCODINGS}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if not check:
        return None
    for problem in ("Non-2xx or 3xx responses", "Socket errors"):
        if problem in output:
            raise BenchError(f"wrk {url}: {problem}\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    if set(latency) != {"50", "99"}:
        raise BenchError(f"wrk {url}: no latency distribution\n{output}")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": milliseconds(latency["50"]), "p99_ms": milliseconds(latency["99"])}


def memory(server: Server) -> dict:
    """Resident and unique memory of each worker, in MB."""
    rows = [worker.memory_full_info() for worker in server.workers()]
    return {"workers": len(rows), "rss_mb": [round(row.rss / 2**20, 1) for row in rows],
            "uss_mb": [round(row.uss / 2**20, 1) for row in rows]}


def throughput(database_url: str, learner: Learner, rounds: int, seconds: int) -> dict:
    """wrk on each page and on hello, interleaved, ``rounds`` times; medians, and the workers' memory after."""
    redis = redis_url()
    hello = Server("hello", "bench.hello:app", application_environment(database_url, None))
    masar = Server("masar", "wsgi:app", application_environment(production_database_url(database_url), redis))
    try:
        hello.wait("/")
        masar.wait("/healthz")
        workers = len(masar.workers())
        threads = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"]
        connections = workers * threads
        cookie = sign_in(masar, learner.email)
        print(f"  gunicorn: {workers} workers x {threads} threads; wrk: {connections} connections, "
              f"{seconds} s per run, {rounds} rounds; rate limits in {'Redis' if redis else 'memory'}")
        for page, path in learner.pages.items():  # warm every worker: imports, templates, pools
            wrk(masar.url + path, 3, connections, cookie, check=False)
        wrk(hello.url + "/", 2, connections, check=False)
        runs = {page: [] for page in PAGES}
        for round_number in range(rounds):
            for page, path in learner.pages.items():
                base = wrk(hello.url + "/", seconds, connections)
                measured = wrk(masar.url + path, seconds, connections, cookie)
                runs[page].append({**measured, "hello_rps": base["rps"], "ratio": measured["rps"] / base["rps"]})
            print(f"  round {round_number + 1}/{rounds}: " + ", ".join(
                f"{page} {runs[page][-1]['rps']:.0f}/s" for page in PAGES))
        results = {"workers": workers, "threads": threads, "connections": connections, "seconds": seconds,
                   "rounds": rounds, "rate_limit_storage": "redis" if redis else "memory", "runs": runs,
                   "pages": {page: {name: round(statistics.median(run[name] for run in runs[page]), 4 if
                                               name == "ratio" else 1)
                                    for name in ("rps", "hello_rps", "ratio", "p50_ms", "p99_ms")}
                             for page in PAGES},
                   "memory": {"masar": memory(masar), "hello": memory(hello)}}
    finally:
        masar.stop()
        hello.stop()
    if redis:
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()  # the limiter's counters of this run
    return results


# Output -----------------------------------------------------------------------------------------

def kb(value: int) -> str:
    return f"{value / 1024:.1f}"


def print_tables(results: dict) -> None:
    speed = results["throughput"]
    print(f"\nThroughput (gunicorn.conf.py: {speed['workers']} workers x {speed['threads']} threads, "
          f"medians of {speed['rounds']} rounds)")
    print(f"{'page':<11}{'req/s':>8}{'hello req/s':>13}{'ratio':>8}{'p50 ms':>8}{'p99 ms':>8}{'queries':>9}")
    for page in PAGES:
        row = speed["pages"][page]
        print(f"{page:<11}{row['rps']:>8.0f}{row['hello_rps']:>13.0f}{row['ratio']:>8.3f}{row['p50_ms']:>8.1f}"
              f"{row['p99_ms']:>8.1f}{results['queries']['seeded'][page]:>9}")
    for name, row in speed["memory"].items():
        print(f"Memory per {name} worker after the runs ({row['workers']} workers), median and largest: "
              f"RSS {statistics.median(row['rss_mb']):.0f} and {max(row['rss_mb']):.0f} MB, "
              f"unique {statistics.median(row['uss_mb']):.0f} and {max(row['uss_mb']):.0f} MB")

    small, large = WORLDS["small"], WORLDS["large"]
    print(f"\nSQL statements per page: {small[0]} lessons and {small[1]:,} learners / "
          f"{large[0]} lessons and {large[1]:,} learners")
    for page in PAGES:
        print(f"{page:<11}{results['queries']['small'][page]:>5}{results['queries']['large'][page]:>6}")

    print("\nPage weight in KB as sent (raw / gzip / brotli); a first visit adds every subresource")
    print(f"{'page':<11}{'HTML':>21}{'CSS':>19}{'JS':>6}{'first visit':>21}")
    for page in PAGES:
        row = results["weight"][page]

        def triple(part):
            return " / ".join(kb(row[part][name]) for name in ("raw", "gzip", "brotli"))

        print(f"{page:<11}{triple('html'):>21}{triple('css'):>19}{kb(row['js']['raw']):>6}"
              f"{triple('first_visit'):>21}")


def run(rounds: int, seconds: int, learners: int) -> dict:
    """Every page measurement; writes bench/results/pages.json and returns the figures."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    app = bench_app(url)
    results: dict = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    seeded = prepare(app, learners)
    if seeded is not None:
        results["seed_s"] = seeded
        print(f"Seeded {learners:,} learners in {seeded} s")
    with app.app_context():
        results["postgresql"] = db.session.scalar(sa.text("show server_version")).split()[0]
    learner = bench_learner(app)
    results["learner"] = asdict(learner)
    print(f"Bench learner {learner.email}: " + ", ".join(learner.pages.values()))
    print("SQL statements per page...")
    results["queries"] = query_counts(app, learner)
    results["weight"] = page_weight(app, learner)
    with app.app_context():
        db.engine.dispose()  # the servers open their own connections
    print("Throughput...")
    results["throughput"] = throughput(app.config["SQLALCHEMY_DATABASE_URI"], learner, rounds, seconds)
    print_tables(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds (hello and each page per round)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--learners", type=int, default=100_000, help="synthetic learners when seeding")
    arguments = parser.parse_args()
    run(arguments.rounds, arguments.seconds, arguments.learners)


if __name__ == "__main__":
    main()
