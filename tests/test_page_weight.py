"""Learner pages stay light: small compressed HTML, one cached stylesheet, nothing else to fetch, and a
web worker that serves them stays small.

The pages are those of the shipped demo courses (with their question banks) and of a 200-lesson course,
for a learner reading in French and one reading in Arabic.
"""

import gzip
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import brotli
import pytest
import sqlalchemy as sa
from support import write_course

from certificates.codes import new_code
from certificates.models import Certificate
from courses.content_files import import_course, import_courses, read_course_folder
from courses.editing import upload_folder
from courses.models import Course, Enrollment, Lesson, LessonProgress, Upload
from lms.accounts.models import Role
from lms.extensions import db
from lms.static_files import ONE_YEAR, content_hashes
from quizzes.banks import import_banks

ROOT = Path(__file__).resolve().parent.parent
DEMO = "trafficking-victims"
HTML_BUDGET = 14 * 1024  # compressed: what the first round trip of a new connection carries
STYLESHEET_BUDGET = 14 * 1024
FIRST_VISIT_BUDGET = 50 * 1024
FIRST_VISIT_REQUESTS = 3
# What a worker holds after serving these pages, with a margin: one library for rare work loaded at start-up
# breaks it (WeasyPrint alone adds about 40 MB).
WORKER_RSS_BUDGET = 120 * 1024 * 1024
# Libraries for rare work (PDFs, workbooks, QR codes, schemas, migrations) that serving pages must not load.
RARE_LIBRARIES = ("weasyprint", "fontTools", "PIL", "pydyf", "openpyxl", "segno", "jsonschema", "alembic", "mako")
CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def learner_urls(code: str) -> dict[str, str]:
    """The learner pages: catalogue, course, lesson, quiz and verification, on the demo and the big course."""
    return {
        "catalogue": "/courses",
        "course": f"/courses/{DEMO}",
        "lesson": f"/courses/{DEMO}/lessons/case-study",
        "quiz": f"/courses/{DEMO}/quizzes/final-quiz",
        "big course": "/courses/big-course",
        "big lesson": "/courses/big-course/lessons/lesson-100",
        "verify": f"/verify/{code}",
    }


def build_world(app, learners) -> str:
    """The demo courses and banks, a 200-lesson course; the learners enrolled with some progress and a
    certificate each. Returns the first learner's certificate code."""
    with app.app_context():
        import_courses(ROOT / "courses" / "content")
        import_banks(ROOT / "quizzes" / "banks")
        import_course(read_course_folder(write_course(Path(tempfile.mkdtemp()), slug="big-course", lessons=200,
                                                      modules=8, words=40)))
        codes = []
        for learner in learners:
            for slug in (DEMO, "big-course"):
                course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
                db.session.add(Enrollment(user_id=learner.id, course_id=course.id))
                lesson_ids = db.session.scalars(sa.select(Lesson.id).where(Lesson.course_id == course.id)
                                                .order_by(Lesson.id).limit(3))
                db.session.add_all(LessonProgress(user_id=learner.id, lesson_id=lesson_id, course_id=course.id)
                                   for lesson_id in lesson_ids)
            codes.append(new_code())
            db.session.add(Certificate(code=codes[-1], user_id=learner.id, course_id=course.id, language="fr",
                                       design="classic", holder_name=learner.full_name,
                                       course_titles={"fr": "Cours", "ar": "دورة"}, hours=2.5,
                                       completed_on=date(2025, 3, 1), issuer_names={"fr": "Masar"}))
        db.session.commit()
        return codes[0]


@pytest.fixture
def world(app, make):
    fr, ar = make.user(locale="fr"), make.user(locale="ar")
    return build_world(app, [fr, ar]), fr, ar


class Subresources(HTMLParser):
    """What a browser would fetch for a page: stylesheets, scripts, images, frames, media, icons."""

    FETCHING = {"script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
                "embed": ("src",), "object": ("data",), "video": ("src", "poster"), "audio": ("src",),
                "source": ("src", "srcset"), "track": ("src",), "input": ("src",)}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.stylesheets: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.scripts += tag == "script"
        if tag == "link":
            rel = (values.get("rel") or "").lower().split()
            href = values.get("href") or ""
            if "stylesheet" in rel:
                self.stylesheets.append(href)
            if not href.startswith("data:") and set(rel) & {"stylesheet", "icon", "preload", "prefetch",
                                                             "modulepreload", "manifest", "apple-touch-icon"}:
                self.urls.append(href)
        for name in self.FETCHING.get(tag, ()):
            if values.get(name) and not values[name].startswith("data:"):
                self.urls.append(values[name])
        if "url(" in (values.get("style") or ""):
            self.urls.append(values["style"])


def page_without_lesson_body(html: str) -> str:
    """The page less the lesson's own content, whose images (if any) are content the learner asked for."""
    return re.sub(r'<article class="lesson".*?</article>', "", html, flags=re.S)


def fetch(client, url: str, encoding: str) -> tuple[bytes, bytes]:
    """The response body as sent with ``Accept-Encoding: encoding``, and decompressed."""
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response.status_code == 200, url
    assert response.headers.get("Content-Encoding") == encoding, (url, encoding)
    assert "accept-encoding" in response.headers.get("Vary", "").lower()
    sent = response.get_data()
    return sent, (brotli.decompress(sent) if encoding == "br" else gzip.decompress(sent))


def test_learner_pages_are_small_and_need_only_their_stylesheet(app, client, login_as, world):
    code, fr, ar = world
    for learner in (fr, ar):
        login_as(learner)
        first_visits = {}
        for name, url in learner_urls(code).items():
            sent, html = fetch(client, url, "gzip")
            br_sent, _html = fetch(client, url, "br")
            text = html.decode()
            assert (f'dir="{"rtl" if learner is ar else "ltr"}"') in text[:200], url
            assert max(len(sent), len(br_sent)) <= HTML_BUDGET, (url, len(sent), len(br_sent))

            found = Subresources()
            found.feed(page_without_lesson_body(text))
            assert found.scripts == 0, url
            assert re.search(r"url\(|@import", page_without_lesson_body(text)) is None, url
            assert '<link rel="icon" href="data:,">' in text, url  # no favicon request
            assert len(found.stylesheets) == 1 and found.urls == found.stylesheets, (url, found.urls)

            css_sent, css = fetch(client, found.stylesheets[0], "br")
            assert len(css_sent) <= STYLESHEET_BUDGET
            assert re.search(rb"url\(|@import|@font-face", css) is None  # nothing more to fetch
            first_visits[name] = (1 + len(found.urls), len(br_sent) + len(css_sent))
        assert all(requests <= FIRST_VISIT_REQUESTS and size <= FIRST_VISIT_BUDGET
                   for requests, size in first_visits.values()), first_visits
        client.post_form("/logout")


def test_pages_are_compressed_with_brotli_or_gzip_into_the_same_html(app, client, login_as, world):
    code, fr, _ar = world
    login_as(fr)
    for url in learner_urls(code).values():
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        assert "accept-encoding" in plain.headers["Vary"].lower()
        for encoding in ("br", "gzip"):
            sent, html = fetch(client, url, encoding)
            assert len(sent) < len(plain.get_data()) / 2
            # Each response carries its own CSRF token; everything else is the same page.
            assert CSRF.sub("", html.decode()) == CSRF.sub("", plain.get_data(as_text=True))


def test_pdfs_and_workbooks_are_sent_as_they_are(app, client, make, login_as):
    course = make.course(slug="handouts")
    pdf = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"
    with app.app_context():
        (upload_folder() / ("t" * 32)).write_bytes(pdf)
        db.session.add(Upload(course_id=course.id, token="t" * 32, filename="guide.pdf",
                              content_type="application/pdf", size=len(pdf)))
        db.session.commit()
    response = client.get(f"/uploads/{'t' * 32}/guide.pdf", headers={"Accept-Encoding": "br, gzip"}, buffered=True)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Content-Encoding" not in response.headers and response.get_data() == pdf

    login_as(make.user(role=Role.ADMIN, locale="en"))
    workbook = client.get("/reports/report.xlsx", headers={"Accept-Encoding": "br, gzip"})
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    assert "Content-Encoding" not in workbook.headers and workbook.get_data().startswith(b"PK")


def test_the_stylesheet_url_carries_its_content_hash_and_is_cached_for_a_year(app, client, world):
    stylesheet = Path(app.static_folder) / "css" / "masar.css"
    digest = hashlib.sha256(stylesheet.read_bytes()).hexdigest()[:12]
    page = client.get("/courses").get_data(as_text=True)
    assert f'href="/static/css/masar.css?v={digest}"' in page

    current = client.get(f"/static/css/masar.css?v={digest}")
    assert current.status_code == 200 and current.get_data() == stylesheet.read_bytes()
    assert set(current.headers["Cache-Control"].split(", ")) == {"public", f"max-age={ONE_YEAR}", "immutable"}
    assert "cookie" not in current.headers.get("Vary", "").lower() and "Set-Cookie" not in current.headers

    # Without the hash, or with an earlier version's, the file is still served but revalidated each time.
    for url in ("/static/css/masar.css", "/static/css/masar.css?v=0123456789ab"):
        response = client.get(url)
        assert response.status_code == 200 and response.get_data() == stylesheet.read_bytes()
        assert response.headers["Cache-Control"] == "no-cache" and "Expires" not in response.headers
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_content_hashes_follow_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("a { color: red }")
    (tmp_path / "logo.svg").write_text("<svg/>")
    first = content_hashes(tmp_path)
    assert set(first) == {"css/site.css", "logo.svg"} and all(len(value) == 12 for value in first.values())
    (tmp_path / "css" / "site.css").write_text("a { color: blue }")
    second = content_hashes(tmp_path)
    assert second["css/site.css"] != first["css/site.css"] and second["logo.svg"] == first["logo.svg"]
    assert content_hashes(tmp_path / "missing") == {}


WORKER = """
import json, sys
from lms import create_app

settings = json.loads(sys.argv[1])
app = create_app(settings["config"])
client = app.test_client()
client.set_cookie(settings["cookie_name"], settings["cookie"])
statuses = [client.get(url).status_code for url in settings["urls"]]
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
print(json.dumps({"statuses": statuses, "rss": rss,
                  "loaded": sorted(name for name in settings["rare"] if name in sys.modules)}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident size from Linux's /proc")
def test_a_web_worker_serving_learner_pages_stays_small(app, client, login_as, world):
    """A fresh process that builds the application and serves each learner page once."""
    code, fr, _ar = world
    login_as(fr)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    keys = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER", "SUBMISSION_FOLDER", "CREDENTIAL_KEY_FOLDER")
    settings = {"config": {"MASAR_ENV": "testing", "RATELIMIT_STORAGE_URI": "memory://",
                           **{key: app.config[key] for key in keys}},
                "cookie_name": cookie.key, "cookie": cookie.value, "urls": list(learner_urls(code).values()),
                "rare": RARE_LIBRARIES}
    result = subprocess.run([sys.executable, "-c", WORKER, json.dumps(settings)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [200] * len(settings["urls"])
    assert report["loaded"] == []
    assert report["rss"] <= WORKER_RSS_BUDGET, f"{report['rss'] / 2**20:.1f} MiB"
