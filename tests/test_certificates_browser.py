"""Certificates in a real browser: a learner completes a shipped course, downloads the PDF and the signed
credential, checks them as a stranger would (QR code, DID document, command line), and an administrator
revokes the certificate; then an Arabic-speaking learner's page and PDF.

Translated texts are compared with what the catalog gives in the reader's language, never hard-coded.
"""

import base64
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from flask_babel import force_locale, format_date, gettext
from PIL import Image
from werkzeug.datastructures import MultiDict

from certificates.credentials import verify
from certificates.keys import keys_from_did_document
from certificates.models import Certificate
from conftest import PASSWORD
from courses.content_files import CONTENT_ROOT, import_courses
from courses.models import Course, Enrollment, Lesson, Module
from courses.services import enroll_learner, mark_lesson_done
from lms.accounts.models import Role
from lms.extensions import db
from quizzes.attempts import grade_attempt, questions_of, save_answers, start_attempt
from quizzes.banks import BANKS_ROOT, import_banks
from quizzes.completion import record_quiz_result
from quizzes.models import Quiz, QuizKind
from support import scalar

pytestmark = pytest.mark.browser

SLUG = "ethical-recruitment"  # the shipped course with the fewest lessons to mark
# Directional marks, embeddings, overrides and isolates a PDF's text layer may carry around RTL runs.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
CONGRATULATION = "Congratulations: you have completed this course. Your certificate is in “My certificates”."
REASON = "Completion recorded by mistake: the learner skipped the workshop."


# Helpers -----------------------------------------------------------------------------------------


def say(app, message: str, locale: str = "fr", **values) -> str:
    """A message as the catalog renders it in ``locale``."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


def long_date(app, moment, locale: str = "fr") -> str:
    """A date as the pages' ``date("long")`` filter writes it for a reader in ``locale``."""
    with app.test_request_context(), force_locale(locale):
        return format_date(moment, "long")


def spaced(text: str) -> str:
    """Runs of ASCII whitespace made one space (no-break spaces, which French typography uses, are kept)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


@pytest.fixture
def public_base_url(app, live_server):
    """BASE_URL on the live server, so QR codes, credential ids and the issuer's DID point at it."""
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = live_server
    try:
        yield live_server
    finally:
        app.config["BASE_URL"] = saved


def new_page(browser, live_server):
    """A page in a fresh browser context (its own cookies), set up as the ``page`` fixture's."""
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page, user) -> None:
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def download(page, link_selector: str, target: Path) -> Path:
    link = page.locator(link_selector)
    assert link.count() == 1, f"no single link {link_selector}"
    with page.expect_download() as info:
        link.click()
    assert info.value.failure() is None
    info.value.save_as(target)
    return target


def qr_codes(pdf: Path) -> list[str]:
    """The texts of the QR codes on the PDF's first page, rendered at 150 dpi."""
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                   check=True, capture_output=True, timeout=30)
    with Image.open(prefix.with_suffix(".png")) as image:
        return [result.text for result in zxingcpp.read_barcodes(image)
                if result.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_text(pdf: Path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                            timeout=30)
    return result.stdout.decode("utf-8")


def facts(page) -> dict[str, str]:
    """The verification page's facts: each <dt> text -> the text of the <dd> after it."""
    pairs = page.eval_on_selector_all(
        "dl.facts dt", "terms => terms.map(term => [term.innerText, term.nextElementSibling.innerText])")
    return {spaced(term): spaced(value) for term, value in pairs}


def right_answers(question, layout: dict) -> MultiDict:
    """The form a learner sends when answering ``question`` rightly, in the attempt's frozen order."""
    field, config, order = f"q{question.id}", question.config, layout["order"]
    if question.type in ("single", "multiple"):
        return MultiDict([(field, str(order.index(option["id"]))) for option in config["options"]
                          if option["correct"]])
    if question.type == "true_false":
        return MultiDict({field: "true" if config["answer"] else "false"})
    if question.type == "short_answer":
        return MultiDict({field: next(answer for answers in config["answers"].values() for answer in answers)})
    if question.type == "numerical":
        return MultiDict({field: str(config["answer"])})
    if question.type == "matching":
        return MultiDict({f"{field}-{index}": str(order.index(str(index))) for index in range(config["pairs"])})
    raise AssertionError(f"no right answer known for {question.type}")


def required_lessons(course_id: int) -> list[Lesson]:
    """The course's current required lessons, in the order of its outline."""
    return list(db.session.scalars(
        sa.select(Lesson).join(Module, Lesson.module_id == Module.id)
        .where(Lesson.course_id == course_id, Lesson.is_required, sa.not_(Lesson.is_retired),
               sa.not_(Module.is_retired))
        .order_by(Module.position, Lesson.position)))


def all_but_the_last_step(app, learner) -> str:
    """Import the shipped course and its bank as the CLI does, enrol the learner, pass every graded quiz
    through the attempt services and mark every required lesson but the last; return that lesson's key."""
    with app.app_context():
        import_courses(CONTENT_ROOT / SLUG)
        import_banks(BANKS_ROOT / f"{SLUG}.yaml")
        db.session.commit()
        course = db.session.scalar(sa.select(Course).where(Course.slug == SLUG))
        enrollment = enroll_learner(learner, course)
        graded = list(db.session.scalars(sa.select(Quiz).where(
            Quiz.course_id == course.id, Quiz.kind == QuizKind.GRADED, sa.not_(Quiz.is_retired))))
        assert graded, "the shipped course has no graded quiz: this test would not prove quizzes count"
        for quiz in graded:
            attempt = start_attempt(quiz, learner.id, "fr")
            frozen = {item["question_id"]: item for item in attempt.layout}
            for question in questions_of(attempt):
                save_answers(attempt, right_answers(question, frozen[question.id]), [question])
            assert grade_attempt(attempt)
            record_quiz_result(quiz, learner.id)
            assert attempt.score == 100 and attempt.passed
        lessons = required_lessons(course.id)
        assert len(lessons) >= 2
        for lesson in lessons[:-1]:
            assert mark_lesson_done(enrollment, lesson) is False
        db.session.commit()
        assert enrollment.completed_at is None
        return lessons[-1].key


def certificate_of(app, user) -> Certificate | None:
    return scalar(app, sa.select(Certificate).where(Certificate.user_id == user.id))


def click_mark_as_done(page, slug: str, key: str) -> None:
    page.goto(f"/courses/{slug}/lessons/{key}")
    page.locator(f'form[action="/courses/{slug}/lessons/{key}/done"] button[type=submit]').click()
    # The completion renders the certificate's PDF in the same request.
    page.wait_for_url("**/certificates", timeout=30_000)


def with_payload_changed(token: str, change) -> str:
    """The same signature on a payload changed by ``change(claims)``: what a forger would send."""
    header, payload, signature = token.strip().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# Tests -------------------------------------------------------------------------------------------


def test_a_completed_shipped_course_gives_a_certificate_that_verifies_until_an_administrator_revokes_it(
        page, browser, app, make, live_server, public_base_url, tmp_path):
    learner = make.user(email="salma@example.org", full_name="Salma Bennani")
    last_lesson = all_but_the_last_step(app, learner)
    assert certificate_of(app, learner) is None

    # 1. The last "mark as done" click completes the course and lands on "My certificates".
    sign_in(page, learner)
    click_mark_as_done(page, SLUG, last_lesson)
    assert say(app, CONGRATULATION) in page.locator(".flashes").inner_text()
    with app.app_context():
        assert db.session.scalar(sa.select(Enrollment.completed_at).where(
            Enrollment.user_id == learner.id)) is not None
    certificate = certificate_of(app, learner)
    assert certificate is not None and not certificate.is_revoked and certificate.language == "fr"
    code = certificate.display_code
    assert page.locator("main .card .code").all_inner_texts() == [code]
    verification_url = f"{live_server}/verify/{code}"

    # 2. The PDF's QR code leads to the public verification page, which says the certificate is valid.
    pdf = download(page, f'a[href="/certificates/{code}.pdf?lang=fr"]', tmp_path / "certificate-fr.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert qr_codes(pdf) == [verification_url]

    visitor = new_page(browser, live_server)  # whoever scans the code is not signed in
    try:
        visitor.goto(qr_codes(pdf)[0])
        assert visitor.url == verification_url
        assert spaced(visitor.locator("#verdict").inner_text()) == say(app, "This certificate is valid")
        assert visitor.locator("section.verdict-valid").count() == 1
        shown = facts(visitor)
        assert shown[say(app, "Holder")] == "Salma Bennani"
        assert shown[say(app, "Certificate code")] == code

        # 3. The signed credential verifies against the issuer's published DID document, and by command.
        token_file = download(page, f'a[href="/certificates/{code}.jwt"]', tmp_path / "certificate.jwt")
        token = token_file.read_text()
        response = page.request.get(f"{live_server}/.well-known/did.json")
        assert response.ok
        did_document = response.json()
        assert did_document["id"] == "did:web:" + urlsplit(live_server).netloc.replace(":", "%3A")
        keys = keys_from_did_document(did_document)
        check = verify(token, keys, did_document["id"])
        assert check.valid, check.reason
        assert check.claims["jti"] == check.claims["id"] == verification_url
        assert [item["identityHash"] for item in check.claims["credentialSubject"]["identifier"]
                if item["identityType"] == "name"] == ["Salma Bennani"]

        def rename(claims):
            claims["credentialSubject"]["identifier"][0]["identityHash"] = "Someone Else"

        assert not verify(with_payload_changed(token, rename), keys, did_document["id"]).valid

        runner = app.test_cli_runner()
        result = runner.invoke(args=["lms", "verify-credential", str(token_file)])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("VALID"), result.output

        # 4. An administrator revokes it in the browser; the verification page and the command say so.
        admin = make.user(email="zineb@masar.ma", full_name="Zineb Admin", role=Role.ADMIN)
        admin_page = new_page(browser, live_server)
        try:
            sign_in(admin_page, admin)
            admin_page.goto(f"/admin/certificates/{code}")
            admin_page.locator("#revoke-reason").fill(REASON)
            with admin_page.expect_navigation(url=f"**/admin/certificates/{code}"):
                admin_page.locator(f'form[action="/admin/certificates/{code}/revoke"] button[type=submit]').click()
            assert spaced(admin_page.locator(".flashes").inner_text()) == say(
                app, "The certificate %(code)s is revoked.", code=code)
            assert admin_page.locator(f'form[action="/admin/certificates/{code}/revoke"]').count() == 0
        finally:
            admin_page.context.close()

        revoked = certificate_of(app, learner)
        assert revoked.is_revoked and revoked.revocation_reason == REASON
        visitor.reload()
        assert spaced(visitor.locator("#verdict").inner_text()) == say(app, "This certificate has been revoked")
        assert visitor.locator("section.verdict-valid").count() == 0
        verdict = spaced(visitor.locator("section.verdict-revoked").inner_text())
        assert say(app, "Revoked on %(date)s.", date=long_date(app, revoked.revoked_at)) in verdict
        assert say(app, "Reason: %(reason)s", reason=REASON) in verdict
        assert facts(visitor)[say(app, "Holder")] == "Salma Bennani"
    finally:
        visitor.context.close()

    result = runner.invoke(args=["lms", "verify-credential", str(token_file)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("REVOKED"), result.output
    assert REASON in result.output
    assert page.request.get(f"/certificates/{code}.jwt").status == 410


def test_an_arabic_speaking_learner_reads_her_certificates_right_to_left_with_her_arabic_name_on_the_pdf(
        page, app, make, public_base_url, tmp_path):
    arabic_name = "سلمى بناني"
    learner = make.user(email="salma.ar@example.org", full_name="Salma Bennani", full_name_ar=arabic_name,
                        locale="ar")
    course = make.course(slug="arabic-certificate", lessons=1)
    with app.app_context():
        enroll_learner(learner, db.session.get(Course, course.id))
        db.session.commit()

    sign_in(page, learner)
    click_mark_as_done(page, "arabic-certificate", "lesson-001")
    assert say(app, CONGRATULATION, "ar") in page.locator(".flashes").inner_text()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("h1").inner_text() == say(app, "My certificates", "ar")
    certificate = certificate_of(app, learner)
    assert certificate is not None and certificate.language == "ar"

    pdf = download(page, f'a[href="/certificates/{certificate.display_code}.pdf?lang=ar"]',
                   tmp_path / "certificate-ar.pdf")
    text = pdf_text(pdf).translate(BIDI_CONTROLS)
    assert arabic_name in text
    assert "Salma Bennani" not in text
