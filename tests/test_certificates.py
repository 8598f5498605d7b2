"""Certificates: issued once at completion, kept as issued, verified by anyone, revoked and reissued."""

import csv
import html
import io
import re
import threading

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from sqlalchemy.exc import IntegrityError

from certificates import codes
from certificates.issuing import issue_certificate, manual_issue, reissue, revoke
from certificates.models import Certificate, CertificateDocument
from courses.models import Course, CourseTranslation, Enrollment
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from support import ON_POSTGRESQL, count, events, scalar, scalars

CODE_IN_PAGE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def say(app, message: str, locale: str = "fr", **values) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


def read(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def complete(client, slug: str, lessons: int = 2):
    assert client.post_form(f"/courses/{slug}/enroll").status_code == 302
    for number in range(1, lessons + 1):
        response = client.post_form(f"/courses/{slug}/lessons/lesson-{number:03d}/done")
        assert response.status_code == 302
    return response


def certificates_of(app, user) -> list[Certificate]:
    return scalars(app, sa.select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id))


def issue(app, user, course, **options) -> Certificate:
    with app.app_context():
        certificate = issue_certificate(db.session.get(User, user.id), db.session.get(Course, course.id), **options)
        db.session.commit()
        db.session.refresh(certificate)
        db.session.expunge(certificate)
        return certificate


@pytest.fixture
def learner(make):
    return make.user(email="salma@example.org", full_name="Salma Bennani", full_name_ar="سلمى بناني")


@pytest.fixture
def learner_client(client, login_as, learner):
    login_as(learner)
    return client


# Issuing --------------------------------------------------------------------------------------


def test_completing_a_course_issues_one_certificate_with_a_snapshot_and_a_stored_pdf(app, make, learner,
                                                                                     learner_client):
    course = make.course(slug="issued", lessons=2)

    response = complete(learner_client, "issued")

    assert response.location == "/certificates"
    [certificate] = certificates_of(app, learner)
    assert certificate.course_id == course.id and certificate.revoked_at is None
    assert (certificate.holder_name, certificate.holder_name_ar) == ("Salma Bennani", "سلمى بناني")
    assert certificate.course_titles == {"fr": "Leçon issued", "ar": "الدرس issued", "en": "Lesson issued"}
    assert certificate.hours == course.estimated_hours and certificate.issued_by_id is None
    assert certificate.language == "fr"
    assert len(certificate.code) == 16 and set(certificate.code) <= set(codes.ALPHABET)
    [document] = scalars(app, sa.select(CertificateDocument))
    assert document.certificate_id == certificate.id and document.language == "fr"
    assert document.pdf.startswith(b"%PDF-")
    assert [e.details["code"] for e in events(app, "certificate_issued")] == [certificate.display_code]
    page = read(learner_client, "/certificates")
    assert certificate.display_code in page and "Leçon issued" in page

    # Marking lessons again does not issue a second one.
    learner_client.post_form("/courses/issued/lessons/lesson-001/done")
    assert len(certificates_of(app, learner)) == 1


def test_the_database_refuses_a_second_valid_certificate_but_allows_one_after_revocation(app, make, learner, admin):
    course = make.course(slug="unique", lessons=1)
    first = issue(app, learner, course)
    with app.app_context():
        duplicate = Certificate(code=codes.new_code(), user_id=learner.id, course_id=course.id, language="fr",
                                design="classic", holder_name="x", course_titles={}, hours=1,
                                completed_on=first.completed_on, issuer_names={})
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()

        revoke(db.session.get(Certificate, first.id), "Wrong course", db.session.get(User, admin.id))
        second = reissue(db.session.get(Certificate, first.id), "Name corrected", db.session.get(User, admin.id))
        db.session.commit()
        assert second.replaces_id == first.id and second.code != first.code
    assert count(app, Certificate, Certificate.revoked_at.is_(None)) == 1


def test_codes_are_random_typeable_and_normalized():
    generated = {codes.new_code() for _ in range(2000)}
    assert len(generated) == 2000
    assert all(len(code) == 16 and set(code) <= set(codes.ALPHABET) for code in generated)
    code = next(iter(generated))
    assert codes.normalize(codes.grouped(code).lower()) == code
    assert codes.normalize(" ".join(codes.grouped(code).split("-"))) == code
    assert codes.normalize("7KQ2-M9XD-4TAF-B3WO") == "7KQ2M9XD4TAFB3W0"  # O reads as zero
    for bad in ("", "ABC", "7KQ2-M9XD-4TAF-B3WZZ", "7KQ2-M9XD-4TAF-B3U!", "x" * 1000, "../../etc/passwd"):
        assert codes.normalize(bad) is None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_simultaneous_issues_give_one_certificate(app, make, learner):
    course = make.course(slug="race", lessons=1)
    barrier, outcomes = threading.Barrier(6), []

    def attempt():
        with app.app_context():
            user, target = db.session.get(User, learner.id), db.session.get(Course, course.id)
            barrier.wait()
            try:
                issue_certificate(user, target)
                db.session.commit()
                outcomes.append("issued")
            except Exception as error:  # noqa: BLE001 - the outcome is what the test counts
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("issued") == 1 and outcomes.count("DomainError") == 5
    assert count(app, Certificate) == 1


def test_an_issued_certificate_does_not_change_when_the_profile_or_course_does(app, make, learner, client):
    course = make.course(slug="snapshot", lessons=1)
    certificate = issue(app, learner, course)
    with app.app_context():
        db.session.get(User, learner.id).full_name = "Someone Else"
        db.session.execute(sa.update(CourseTranslation).where(CourseTranslation.course_id == course.id)
                           .values(title="Renamed"))
        db.session.execute(sa.update(Course).where(Course.id == course.id).values(estimated_hours=40))
        db.session.commit()

    page = read(client, f"/verify/{certificate.display_code}")

    assert "Salma Bennani" in page and "Leçon snapshot" in page
    assert "Someone Else" not in page and "Renamed" not in page


def test_trainers_issue_by_hand_with_a_reason(app, make, learner, client, login_as):
    course = make.course(slug="by-hand", lessons=3)
    trainer = make.user(email="trainer@example.org", role=Role.TRAINER)
    login_as(trainer)

    missing = client.post_form("/certificates/issue", {"email": learner.email, "course": str(course.id), "reason": ""})
    unknown = client.post_form("/certificates/issue", {"email": "nobody@example.org", "course": str(course.id),
                                                       "reason": "Workshop"})
    assert missing.status_code == 422 and unknown.status_code == 422
    assert count(app, Certificate) == 0

    issued = client.post_form("/certificates/issue", {"email": learner.email, "course": str(course.id),
                                                      "reason": "Attended the Oujda workshop", "language": "ar"})
    again = client.post_form("/certificates/issue", {"email": learner.email, "course": str(course.id),
                                                     "reason": "Twice"})

    assert issued.status_code == 302
    [certificate] = certificates_of(app, learner)
    assert certificate.issued_by_id == trainer.id and certificate.language == "ar"
    assert certificate.issue_reason == "Attended the Oujda workshop"
    assert again.status_code == 422
    assert say(app, "This learner already holds a valid certificate for this course.") in html.unescape(
        again.get_data(as_text=True))
    [event] = events(app, "certificate_issued")
    assert event.actor_id == trainer.id and event.details["reason"] == "Attended the Oujda workshop"


def test_nobody_issues_to_themselves_and_trainers_cannot_undo_a_revocation(app, make, learner, admin, client,
                                                                          login_as):
    course = make.course(slug="guarded", lessons=1)
    trainer = make.user(email="trainer@example.org", role=Role.TRAINER)
    revoked = issue(app, learner, course)
    with app.app_context():
        revoke(db.session.get(Certificate, revoked.id), "Cheated on the final quiz", db.session.get(User, admin.id))
        db.session.commit()
    login_as(trainer)

    for email in (learner.email, trainer.email):
        response = client.post_form("/certificates/issue", {"email": email, "course": str(course.id),
                                                            "reason": "x"})
        assert response.status_code == 422, email
    assert count(app, Certificate, Certificate.revoked_at.is_(None)) == 0

    client.post_form("/logout")
    login_as(admin)
    assert client.post_form("/certificates/issue", {"email": admin.email, "course": str(course.id),
                                                    "reason": "x"}).status_code == 422
    assert client.post_form("/certificates/issue", {"email": learner.email, "course": str(course.id),
                                                    "reason": "Appeal accepted"}).status_code == 302
    assert count(app, Certificate, Certificate.revoked_at.is_(None)) == 1


def test_a_failed_rendering_does_not_block_issuing_and_the_first_download_renders_it(app, make, learner,
                                                                                    learner_client, monkeypatch):
    make.course(slug="broken-render", lessons=1)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr("certificates.issuing.render_pdf", broken)
    complete(learner_client, "broken-render", lessons=1)
    [certificate] = certificates_of(app, learner)
    assert count(app, CertificateDocument) == 0
    monkeypatch.undo()

    response = learner_client.get(f"/certificates/{certificate.display_code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert count(app, CertificateDocument) == 1


def test_issuing_writes_nothing_until_the_caller_commits(app, make, learner, admin):
    course = make.course(slug="uncommitted", lessons=1)
    with app.app_context():
        manual_issue(db.session.get(User, learner.id), db.session.get(Course, course.id), "Workshop",
                     db.session.get(User, admin.id))
        db.session.rollback()
    assert count(app, Certificate) == 0 and count(app, CertificateDocument) == 0


def test_completions_recorded_before_certificates_get_theirs(app, make, learner, runner):
    done, started = make.course(slug="done-before", lessons=1), make.course(slug="started-before", lessons=1)
    with app.app_context():
        db.session.add_all([Enrollment(user_id=learner.id, course_id=done.id, completed_at=utcnow()),
                            Enrollment(user_id=learner.id, course_id=started.id)])
        db.session.commit()

    result = runner.invoke(args=["lms", "issue-missing-certificates"])
    again = runner.invoke(args=["lms", "issue-missing-certificates"])

    assert result.exit_code == 0 and "Issued 1 certificate." in result.output
    assert "Issued 0 certificates." in again.output
    [certificate] = certificates_of(app, learner)
    assert certificate.course_id == done.id and certificate.issued_by_id is None


def test_learners_cannot_issue_certificates(make, learner_client):
    course = make.course(slug="no-issue", lessons=1)
    response = learner_client.post_form("/certificates/issue", {"email": "salma@example.org",
                                                                "course": str(course.id), "reason": "Me"})
    assert response.status_code == 403


# Verifying ------------------------------------------------------------------------------------


def test_the_verification_page_states_validity_and_nothing_personal(app, make, client):
    organization = make.organization("Association Secrète")
    holder = make.user(email="hidden@example.org", full_name="Youssef Alaoui", organization=organization)
    course = make.course(slug="verified", lessons=1)
    certificate = issue(app, holder, course)
    other = issue(app, holder, make.course(slug="other-course", lessons=1))

    page = read(client, f"/verify/{certificate.display_code}")

    assert say(app, "This certificate is valid") in page
    assert "Youssef Alaoui" in page and "Leçon verified" in page and certificate.display_code in page
    for private in ("hidden@example.org", "Association Secrète", other.display_code, "Leçon other-course"):
        assert private not in page
    # Any case, with or without dashes, reads the same certificate.
    assert "Youssef Alaoui" in read(client, f"/verify/{certificate.code.lower()}")


def test_unknown_malformed_and_overlong_codes_get_a_not_found_page(app, client):
    message = say(app, "No certificate has this code")
    for code in ("7KQ2-M9XD-4TAF-B3WZ", "not-a-code", "x" * 5000, "<script>alert(1)</script>", "%00", "a/b/c"):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404, code
        page = html.unescape(response.get_data(as_text=True))
        assert message in page and "<script>alert(1)" not in response.get_data(as_text=True)


def test_the_code_form_redirects_to_the_certificate(app, make, client, learner):
    certificate = issue(app, learner, make.course(slug="typed", lessons=1))
    assert say(app, "Certificate code") in read(client, "/verify")
    response = client.get(f"/verify?code={certificate.code.lower()}")
    assert response.status_code == 302 and response.location == f"/verify/{certificate.display_code}"
    assert client.get("/verify?code=nonsense").status_code == 404


def test_lookups_are_rate_limited(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "5 per minute"
    try:
        statuses = [client.get(f"/verify/AAAA-BBBB-CCCC-{n:04d}").status_code for n in range(5)]
        statuses.append(client.get("/verify?code=AAAA").status_code)
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "30 per minute;300 per hour"
    assert statuses == [404] * 5 + [429]


def test_the_verification_page_runs_a_fixed_number_of_queries(app, make, client, learner, count_queries):
    certificate = issue(app, learner, make.course(slug="counted", lessons=1))
    with count_queries() as queries:
        read(client, f"/verify/{certificate.display_code}")
    assert len(queries) <= 2


# Revoking and reissuing -----------------------------------------------------------------------


def test_administrators_revoke_with_a_reason_and_the_page_says_so(app, make, learner, admin_client):
    certificate = issue(app, learner, make.course(slug="revoked", lessons=1))
    url = f"/admin/certificates/{certificate.display_code}"

    refused = admin_client.post_form(f"{url}/revoke", {"revoke-reason": ""})
    assert refused.status_code == 422 and certificates_of(app, learner)[0].revoked_at is None

    assert admin_client.post_form(f"{url}/revoke", {"revoke-reason": "Exam fraud"}).status_code == 302

    page = read(admin_client, f"/verify/{certificate.display_code}")
    assert say(app, "This certificate has been revoked", "en") in page and "Exam fraud" in page
    [event] = events(app, "certificate_revoked")
    assert event.details == {"code": certificate.display_code, "reason": "Exam fraud"}
    assert admin_client.post_form(f"{url}/revoke", {"revoke-reason": "Again"}).status_code == 422


def test_reissue_revokes_the_old_one_and_takes_todays_name(app, make, learner, admin_client):
    course = make.course(slug="reissued", lessons=1)
    old = issue(app, learner, course)
    with app.app_context():
        db.session.get(User, learner.id).full_name = "Salma Bennani-Idrissi"
        db.session.commit()

    response = admin_client.post_form(f"/admin/certificates/{old.display_code}/reissue",
                                      {"reissue-reason": "Name corrected"})

    assert response.status_code == 302
    first, second = certificates_of(app, learner)
    assert first.revoked_at is not None and first.revocation_reason == "Name corrected"
    assert second.revoked_at is None and second.replaces_id == first.id
    assert second.holder_name == "Salma Bennani-Idrissi" and second.completed_on == first.completed_on
    assert response.location == f"/admin/certificates/{second.display_code}"
    assert [e.details["replaces"] for e in events(app, "certificate_reissued")] == [first.display_code]
    # The old code's page says it was replaced, without the reason given to administrators.
    read(admin_client, response.location)  # shows (and uses up) the confirmation naming both codes
    page = read(admin_client, f"/verify/{first.display_code}")
    assert say(app, "A new certificate was issued in its place; ask its holder for the new code.", "en") in page
    assert "Name corrected" not in page and second.display_code not in page


# Downloads ------------------------------------------------------------------------------------


def test_the_holder_downloads_the_stored_pdf_in_each_language(app, make, learner, learner_client):
    certificate = issue(app, learner, make.course(slug="downloads", lessons=1))
    stored = scalar(app, sa.select(CertificateDocument.pdf))

    response = learner_client.get(f"/certificates/{certificate.display_code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == stored

    arabic = learner_client.get(f"/certificates/{certificate.display_code}.pdf?lang=ar")
    assert arabic.status_code == 200 and arabic.data.startswith(b"%PDF-") and arabic.data != stored
    again = learner_client.get(f"/certificates/{certificate.display_code}.pdf?lang=ar")
    assert again.data == arabic.data
    assert count(app, CertificateDocument) == 2
    assert learner_client.get(f"/certificates/{certificate.display_code}.pdf?lang=de").status_code == 404


def test_nobody_else_downloads_a_learners_certificate(app, make, learner, client, login_as):
    certificate = issue(app, learner, make.course(slug="private", lessons=1))
    login_as(make.user(email="other@example.org"))
    for suffix in (".pdf", ".jwt"):
        assert client.get(f"/certificates/{certificate.display_code}{suffix}").status_code == 404
    assert certificate.display_code not in read(client, "/certificates")


def test_revoked_certificates_are_no_longer_downloadable(app, make, learner, learner_client, admin):
    certificate = issue(app, learner, make.course(slug="gone", lessons=1))
    with app.app_context():
        revoke(db.session.get(Certificate, certificate.id), "Withdrawn", db.session.get(User, admin.id))
        db.session.commit()
    for suffix in (".pdf", ".jwt"):
        assert learner_client.get(f"/certificates/{certificate.display_code}{suffix}").status_code == 410
    assert "Withdrawn" in read(learner_client, "/certificates")


# Administrators' list, export and settings -----------------------------------------------------


def test_administrators_filter_and_export_certificates_safely(app, make, admin_client, admin):
    course = make.course(slug="listed", lessons=1)
    other_course = make.course(slug="unlisted", lessons=1)
    hostile = make.user(email="formula@example.org", full_name="=HYPERLINK(\"http://x\")")
    kept = issue(app, hostile, course)
    revoked = issue(app, make.user(email="amal@example.org", full_name="Amal Tazi"), other_course)
    with app.app_context():
        revoke(db.session.get(Certificate, revoked.id), "Mistake", db.session.get(User, admin.id))
        db.session.commit()

    page = read(admin_client, f"/admin/certificates?course={course.id}")
    assert kept.display_code in page and revoked.display_code not in page
    assert revoked.display_code in read(admin_client, "/admin/certificates?status=revoked")
    assert kept.display_code not in read(admin_client, "/admin/certificates?status=revoked")
    assert revoked.display_code in read(admin_client, "/admin/certificates?q=amal")

    export = admin_client.get("/admin/certificates.csv?status=valid")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["code"] for row in rows] == [kept.display_code]
    assert rows[0]["holder_name"] == "'=HYPERLINK(\"http://x\")" and rows[0]["status"] == "valid"


def test_issuer_settings_apply_to_new_certificates_only(app, make, learner, admin_client):
    old = issue(app, learner, make.course(slug="before", lessons=1))
    form = {"name_fr": "Mission de l'OIM au Maroc", "name_ar": "بعثة المنظمة بالمغرب", "name_en": "IOM Morocco",
            "signatory_name": "Amina El Idrissi", "title_fr": "Cheffe de mission", "title_ar": "رئيسة البعثة",
            "title_en": "Chief of mission", "design": "classic"}

    assert admin_client.post_form("/admin/certificates/settings", {**form, "design": "nope"}).status_code == 422
    assert admin_client.post_form("/admin/certificates/settings", {**form, "name_fr": ""}).status_code == 422
    assert admin_client.post_form("/admin/certificates/settings", form).status_code == 302

    new = issue(app, learner, make.course(slug="after", lessons=1))
    assert new.issuer_names["fr"] == "Mission de l'OIM au Maroc" and new.signatory_name == "Amina El Idrissi"
    assert old.issuer_names == {"fr": "Masar", "ar": "Masar", "en": "Masar"} and old.signatory_name == ""
    assert "IOM Morocco" in read(admin_client, f"/verify/{new.display_code}")  # in the reader's language
    assert len(events(app, "certificate_settings_changed")) == 1


def test_the_learners_page_of_a_course_links_certificates_and_manual_issue(app, make, learner, admin_client):
    course = make.course(slug="learners-list", lessons=1)
    other = make.user(email="karim@example.org", full_name="Karim Idrissi")
    with app.app_context():
        db.session.add_all([Enrollment(user_id=learner.id, course_id=course.id),
                            Enrollment(user_id=other.id, course_id=course.id)])
        db.session.commit()
    certificate = issue(app, learner, course)

    page = read(admin_client, "/author/courses/learners-list/learners")

    assert certificate.display_code in page
    assert f"/certificates/issue?email=karim@example.org&amp;course={course.id}" in admin_client.get(
        "/author/courses/learners-list/learners").get_data(as_text=True)
