"""Cohorts: trainers run their own groups; people join by key, link, CSV, one by one or on paper; attendance."""

import csv
import html
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from support import count, events, scalar, scalars

from courses.cohorts.models import Attendance, Cohort, CohortMember, CohortSession
from courses.models import Enrollment, Lesson, LessonProgress
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.mail import outbox

TODAY = date.today()


def read(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def make_cohort(app, course, trainer, **fields) -> Cohort:
    with app.app_context():
        cohort = Cohort(course_id=course.id, name=fields.pop("name", "ANAPEC advisors, Casablanca"),
                        starts_on=fields.pop("starts_on", TODAY), ends_on=fields.pop("ends_on", TODAY + timedelta(30)),
                        trainers=[db.session.get(User, trainer.id)], **fields)
        db.session.add(cohort)
        db.session.commit()
        db.session.refresh(cohort)
        db.session.expunge(cohort)
        return cohort


def sent(app) -> list:
    with app.app_context():
        return list(outbox())


def members(app, cohort) -> list[CohortMember]:
    return scalars(app, sa.select(CohortMember).where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.id))


def enrolled(app, user, course) -> bool:
    return count(app, Enrollment, Enrollment.user_id == user.id, Enrollment.course_id == course.id) == 1


@pytest.fixture
def course(make):
    return make.course(slug="recruitment", lessons=3)


@pytest.fixture
def trainer(make):
    return make.user(email="trainer@example.org", full_name="Nadia Trainer", role=Role.TRAINER)


@pytest.fixture
def trainer_client(client, login_as, trainer):
    login_as(trainer)
    return client


def test_a_trainer_creates_a_cohort_and_only_its_trainers_see_it(app, make, course, trainer, trainer_client,
                                                                  login_as):
    form = {"course": str(course.id), "name": "ANAPEC advisors, Casablanca, March 2026",
            "starts_on": "2026-03-02", "ends_on": "2026-03-20", "capacity": "25", "join_key": "anapec-casa",
            "trainers": str(trainer.id)}
    backwards = trainer_client.post_form("/cohorts/new", {**form, "ends_on": "2026-03-01"})
    assert backwards.status_code == 422 and count(app, Cohort) == 0

    response = trainer_client.post_form("/cohorts/new", form)

    assert response.status_code == 302
    cohort = scalar(app, sa.select(Cohort))
    assert (cohort.name, cohort.capacity, cohort.join_key) == ("ANAPEC advisors, Casablanca, March 2026", 25,
                                                              "anapec-casa")
    assert "ANAPEC advisors, Casablanca, March 2026" in read(trainer_client, "/cohorts")
    assert trainer_client.post_form("/cohorts/new", form).status_code == 422  # the key is taken

    other = app.test_client()
    login_as(make.user(email="other@example.org", role=Role.TRAINER), target=other)
    assert "ANAPEC advisors" not in read(other, "/cohorts")
    for url in (f"/cohorts/{cohort.id}", f"/cohorts/{cohort.id}/edit", f"/cohorts/{cohort.id}/attendance.csv"):
        assert other.get(url).status_code == 404
    assert other.post_form(f"/cohorts/{cohort.id}/members", {"email": "x@example.org"}).status_code == 404


def test_trainers_add_people_one_by_one_within_the_capacity(app, make, course, trainer, trainer_client):
    cohort = make_cohort(app, course, trainer, capacity=1)
    first = make.user(email="amal@example.org", full_name="Amal", locale="ar")
    second = make.user(email="karim@example.org")

    assert trainer_client.post_form(f"/cohorts/{cohort.id}/members", {"email": "nobody@example.org"}).status_code == 422
    assert trainer_client.post_form(f"/cohorts/{cohort.id}/members", {"email": first.email}).status_code == 302
    full = trainer_client.post_form(f"/cohorts/{cohort.id}/members", {"email": second.email})

    assert full.status_code == 422 and [m.user_id for m in members(app, cohort)] == [first.id]
    assert enrolled(app, first, course) and not enrolled(app, second, course)
    [mail] = sent(app)
    assert mail.to == first.email and "ANAPEC advisors, Casablanca" in mail.body


def test_learners_join_with_the_key_or_the_invitation_link(app, make, course, trainer, client, login_as):
    cohort = make_cohort(app, course, trainer, join_key="media-2026")
    ended = make_cohort(app, course, trainer, name="Old", starts_on=TODAY - timedelta(60),
                        ends_on=TODAY - timedelta(1))
    learner = make.user(email="salma@example.org")
    login_as(learner)

    assert client.post_form("/cohorts/join", {"key": "wrong"}).status_code == 422
    assert client.post_form("/cohorts/join", {"key": "media-2026"}).status_code == 302
    assert [m.user_id for m in members(app, cohort)] == [learner.id] and enrolled(app, learner, course)

    assert "Old" in read(client, f"/cohorts/join/{ended.invite_token}")
    assert client.post_form(f"/cohorts/join/{ended.invite_token}").status_code == 422
    assert members(app, ended) == []
    assert client.get("/cohorts/join/not-a-token").status_code == 404


def test_a_csv_adds_new_and_existing_people_and_changes_no_account(app, make, course, trainer, trainer_client):
    cohort = make_cohort(app, course, trainer)
    existing = make.user(email="existing@example.org", full_name="Existing Person")
    data = ("email,full_name,gender,city\n"
            "existing@example.org,Someone Else,female,Rabat\n"
            "new@example.org,New Advisor,male,Tanger\n").encode()

    response = trainer_client.post_form(f"/cohorts/{cohort.id}/import",
                                        {"file": (io.BytesIO(data), "advisors.csv")},
                                        content_type="multipart/form-data")

    assert response.status_code == 302
    assert len(members(app, cohort)) == 2
    assert scalar(app, sa.select(User.full_name).where(User.id == existing.id)) == "Existing Person"
    new = scalar(app, sa.select(User).where(User.email == "new@example.org"))
    assert new is not None and enrolled(app, new, course) and enrolled(app, existing, course)
    # The new account gets its invitation; the existing one is told it joined the group.
    assert sorted(mail.to for mail in sent(app)) == ["existing@example.org", "new@example.org"]


def test_trainers_cannot_set_roles_by_csv_and_a_full_cohort_takes_nobody(app, make, course, trainer,
                                                                         trainer_client):
    cohort = make_cohort(app, course, trainer, capacity=1)
    with_role = b"email,full_name,role\nboss@example.org,Boss,admin\n"
    two = b"email,full_name\na@example.org,A\nb@example.org,B\n"

    for data in (with_role, two):
        response = trainer_client.post_form(f"/cohorts/{cohort.id}/import", {"file": (io.BytesIO(data), "x.csv")},
                                            content_type="multipart/form-data")
        assert response.status_code == 422
    assert count(app, User, User.email.in_(["boss@example.org", "a@example.org", "b@example.org"])) == 0
    assert members(app, cohort) == []


def test_paper_participants_join_their_account_when_they_register(app, make, course, trainer, trainer_client,
                                                                  client):
    cohort = make_cohort(app, course, trainer)
    response = trainer_client.post_form(f"/cohorts/{cohort.id}/participants", {
        "full_name": "Fatima Zahra", "email": "Fatima@Example.org", "gender": "female",
        "organization_name": "Association Amal", "organization_type": "civil_society", "city": "Oujda"})
    assert response.status_code == 302
    [member] = members(app, cohort)
    assert member.user_id is None and member.email == "fatima@example.org" and member.city == "Oujda"
    assert trainer_client.post_form(f"/cohorts/{cohort.id}/participants", {"full_name": ""}).status_code == 422

    trainer_client.post_form("/logout")
    from lms.accounts.models import Gender
    from lms.accounts.services import Profile, register_user
    from lms.organizations.regions import Region

    with app.app_context():
        user = register_user("fatima@example.org", "a long enough passphrase", Profile(
            full_name="Fatima Zahra", full_name_ar=None, gender=Gender.FEMALE, profession="Social worker",
            city="Oujda", region=Region("MA-02"), locale="fr", organization=None), consent=True)
        db.session.commit()
        user_id = user.id
    [member] = members(app, cohort)
    assert member.user_id == user_id
    assert count(app, Enrollment, Enrollment.user_id == user_id, Enrollment.course_id == course.id) == 1


def test_attendance_is_taken_corrected_with_a_log_and_exported(app, make, course, trainer, trainer_client):
    cohort = make_cohort(app, course, trainer)
    other = make_cohort(app, course, trainer, name="Other cohort")
    learner = make.user(email="amal@example.org", full_name="Amal Tazi")
    stranger = make.user(email="stranger@example.org")
    with app.app_context():
        db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=learner.id),
                            CohortMember(cohort_id=cohort.id, full_name="Paper Person"),
                            CohortMember(cohort_id=other.id, user_id=stranger.id)])
        db.session.commit()
    member, paper, outsider = scalars(app, sa.select(CohortMember).order_by(CohortMember.id))

    added = trainer_client.post_form(f"/cohorts/{cohort.id}/sessions", {
        "title": "Atelier recrutement éthique", "starts_at": "2026-03-05T09:30", "duration_minutes": "180",
        "mode": "in_person", "place": "ANAPEC Casablanca"})
    assert added.status_code == 302
    session = scalar(app, sa.select(CohortSession))
    url = f"/cohorts/{cohort.id}/sessions/{session.id}/attendance"
    page = read(trainer_client, url)
    assert "Amal Tazi" in page and "Paper Person" in page and "stranger" not in page

    assert trainer_client.post_form(url, {f"member-{member.id}": "present",
                                          f"member-{paper.id}": "late"}).status_code == 302
    assert trainer_client.post_form(url, {f"member-{member.id}": "excused"}).status_code == 302
    statuses = {a.member_id: a.status.value for a in scalars(app, sa.select(Attendance))}
    assert statuses == {member.id: "excused", paper.id: "late"}
    [event] = events(app, "attendance_corrected")
    assert event.details == {"session": "Atelier recrutement éthique", "participant": "Amal Tazi",
                             "old": "present", "new": "excused"}

    refused = trainer_client.post_form(url, {f"member-{outsider.id}": "present"})
    assert refused.status_code == 422 and count(app, Attendance) == 2
    assert trainer_client.post_form(f"/cohorts/{other.id}/sessions/{session.id}/attendance").status_code == 404
    assert trainer_client.post_form(url, {f"member-{member.id}": "asleep"}).status_code == 400

    export = trainer_client.get(f"/cohorts/{cohort.id}/attendance.csv")
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8").removeprefix("\ufeff"))))
    assert {(row["name"], row["status"]) for row in rows} == {("Amal Tazi", "excused"), ("Paper Person", "late")}
    assert rows[0]["starts_at"] == "2026-03-05 09:30"


def test_the_dashboard_shows_progress_and_reminds_those_behind(app, make, course, trainer, trainer_client,
                                                               count_queries):
    cohort = make_cohort(app, course, trainer)
    active = make.user(email="active@example.org", full_name="Active Learner")
    idle = make.user(email="idle@example.org", full_name="Idle Learner", locale="en")
    with app.app_context():
        lesson_id = db.session.scalar(sa.select(Lesson.id).where(Lesson.course_id == course.id).order_by(Lesson.id))
        for user in (active, idle):
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
            db.session.add(Enrollment(user_id=user.id, course_id=course.id, enrolled_at=utcnow() - timedelta(20)))
        db.session.add(LessonProgress(user_id=active.id, lesson_id=lesson_id, course_id=course.id))
        db.session.commit()

    page = read(trainer_client, f"/cohorts/{cohort.id}")
    assert "Active Learner" in page and "Idle Learner" in page
    behind = read(trainer_client, f"/cohorts/{cohort.id}?inactive=14")
    assert "Idle Learner" in behind and "Active Learner" not in behind

    assert trainer_client.post_form(f"/cohorts/{cohort.id}/reminders", {"inactive": "14"}).status_code == 302
    assert [mail.to for mail in sent(app)] == ["idle@example.org"]

    with count_queries() as small:
        read(trainer_client, f"/cohorts/{cohort.id}")
    more = [make.user(email=f"learner{n}@example.org") for n in range(8)]
    with app.app_context():
        db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=user.id) for user in more)
        db.session.commit()
    with count_queries() as large:
        read(trainer_client, f"/cohorts/{cohort.id}")
    assert len(large) == len(small)


def test_managers_see_their_organizations_members_across_cohorts(app, make, course, trainer, client, login_as):
    mine, theirs = make.organization("Association Amal"), make.organization("Other Association")
    manager = make.user(email="manager@example.org", role=Role.MANAGER, organization=mine)
    colleague = make.user(email="colleague@example.org", full_name="Colleague Member", organization=mine)
    outsider = make.user(email="outsider@example.org", full_name="Outsider Member", organization=theirs)
    cohort = make_cohort(app, course, trainer)
    with app.app_context():
        db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=colleague.id),
                            CohortMember(cohort_id=cohort.id, user_id=outsider.id)])
        db.session.commit()
    login_as(manager)

    page = read(client, "/organization/cohorts")

    assert "Colleague Member" in page and "ANAPEC advisors" in page and "Outsider Member" not in page
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403


def ready(app, locale: str = "fr") -> str:
    """The subject of the certificate email, as the catalog gives it in ``locale``."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(locale):
        return gettext("Your certificate is ready")


def _held_sessions(app, cohort, count_: int, minutes: int = 120) -> list[CohortSession]:
    with app.app_context():
        sessions = [CohortSession(cohort_id=cohort.id, title=f"Session {n}", duration_minutes=minutes,
                                  starts_at=utcnow() - timedelta(days=count_ - n)) for n in range(count_)]
        db.session.add_all(sessions)
        db.session.commit()
        return [session.id for session in sessions]


def test_a_minimum_attendance_share_completes_the_course_and_gives_the_certificate(app, make, trainer,
                                                                                  trainer_client):
    from certificates.models import Certificate

    course = make.course(slug="workshop-only", lessons=1)
    with app.app_context():
        from courses.models import Course
        db.session.get(Course, course.id).min_attendance_percent = 75
        db.session.commit()
    cohort = make_cohort(app, course, trainer)
    learner = make.user(email="amal@example.org", full_name="Amal Tazi")
    with app.app_context():
        member = CohortMember(cohort_id=cohort.id, user_id=learner.id)
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id))
        db.session.add_all([member, Enrollment(user_id=learner.id, course_id=course.id),
                            LessonProgress(user_id=learner.id, lesson_id=lesson.id, course_id=course.id)])
        db.session.commit()
        member_id = member.id
    first, second, third, fourth = _held_sessions(app, cohort, 4)
    roll = f"/cohorts/{cohort.id}/sessions/{{}}/attendance"

    # Lessons done, two of four sessions attended: 50 %, not enough.
    trainer_client.post_form(roll.format(first), {f"member-{member_id}": "present"})
    trainer_client.post_form(roll.format(second), {f"member-{member_id}": "late"})
    trainer_client.post_form(roll.format(third), {f"member-{member_id}": "absent"})
    assert scalar(app, sa.select(Enrollment.completed_at)) is None and count(app, Certificate) == 0

    # Excused from the fourth: two of the three expected, 67 %, still short of 75 %.
    trainer_client.post_form(roll.format(fourth), {f"member-{member_id}": "excused"})
    assert scalar(app, sa.select(Enrollment.completed_at)) is None

    # The absence corrected to present: three of three.
    trainer_client.post_form(roll.format(third), {f"member-{member_id}": "present"})
    assert scalar(app, sa.select(Enrollment.completed_at)) is not None
    assert count(app, Certificate) == 1
    assert any(mail.subject == ready(app) and mail.to == "amal@example.org" for mail in sent(app))


def test_certificates_of_attendance_reach_paper_participants_and_verify(app, make, course, trainer,
                                                                        trainer_client, client, login_as):
    from certificates.models import Certificate, CertificateKind

    cohort = make_cohort(app, course, trainer, name="Atelier Tanger, mars")
    other_trainer = make.user(email="other@example.org", role=Role.TRAINER)
    learner = make.user(email="amal@example.org", full_name="Amal Tazi")
    with app.app_context():
        db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=learner.id),
                            CohortMember(cohort_id=cohort.id, full_name="Youssef Paper"),
                            CohortMember(cohort_id=cohort.id, full_name="Never Came")])
        db.session.commit()
    member, paper, absent = scalars(app, sa.select(CohortMember).order_by(CohortMember.id))
    first, second = _held_sessions(app, cohort, 2, minutes=90)
    roll = f"/cohorts/{cohort.id}/sessions/{{}}/attendance"
    trainer_client.post_form(roll.format(first), {f"member-{member.id}": "present", f"member-{paper.id}": "present",
                                                  f"member-{absent.id}": "absent"})
    trainer_client.post_form(roll.format(second), {f"member-{member.id}": "present"})

    page = read(trainer_client, f"/cohorts/{cohort.id}/certificates")
    assert "Youssef Paper" in page and f'value="{member.id}"' in page
    assert f'value="{absent.id}"' not in page  # nothing attended: nothing to tick

    issued = trainer_client.post_form(f"/cohorts/{cohort.id}/certificates",
                                      {"member": [str(member.id), str(paper.id), str(absent.id)]})
    assert issued.status_code == 302
    certificates = {c.member_id: c for c in scalars(app, sa.select(Certificate))}
    assert set(certificates) == {member.id, paper.id}  # the one who never came gets none
    assert all(c.kind is CertificateKind.ATTENDANCE for c in certificates.values())
    assert certificates[member.id].hours == 3.0 and certificates[paper.id].hours == 1.5
    assert certificates[paper.id].holder_name == "Youssef Paper" and certificates[paper.id].user_id is None
    assert certificates[member.id].cohort_name == "Atelier Tanger, mars"

    # Issuing again gives nobody a second one.
    trainer_client.post_form(f"/cohorts/{cohort.id}/certificates", {"member": [str(member.id)]})
    assert count(app, Certificate) == 2

    # The trainer downloads the paper participant's PDF to hand it out; another trainer cannot.
    code = certificates[paper.id].display_code
    pdf = trainer_client.get(f"/certificates/{code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    outsider = app.test_client()
    login_as(other_trainer, target=outsider)
    assert outsider.get(f"/certificates/{code}.pdf").status_code == 404
    assert outsider.post_form(f"/cohorts/{cohort.id}/certificates", {"member": [str(absent.id)]}).status_code == 404

    # Anyone verifies it like any other certificate.
    anonymous = app.test_client()
    public = html.unescape(anonymous.get(f"/verify/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "This certificate is valid" in public and "Certificate of attendance" in public
    assert "Atelier Tanger, mars" in public and "Youssef Paper" in public
    # The learner with an account was told, and finds it in "My certificates".
    assert any(mail.to == "amal@example.org" and mail.subject == ready(app) for mail in sent(app))

    # An administrator reissues the paper participant's certificate: the old one is revoked, the new
    # one counts the same attendance.
    admin = make.user(email="admin@example.org", role=Role.ADMIN, locale="en")
    office = app.test_client()
    login_as(admin, target=office)
    assert "Atelier Tanger, mars" in read(office, f"/admin/certificates/{code}")
    assert office.post_form(f"/admin/certificates/{code}/reissue",
                            {"reissue-reason": "Name misspelt on the sheet"}).status_code == 302
    paper_certificates = scalars(app, sa.select(Certificate).where(Certificate.member_id == paper.id)
                                 .order_by(Certificate.id))
    assert [c.is_revoked for c in paper_certificates] == [True, False]
    assert paper_certificates[1].hours == 1.5 and paper_certificates[1].kind is CertificateKind.ATTENDANCE

    # Once an administrator revoked one, the trainer cannot issue it again; the learner's certificate
    # of completion does not depend on it.
    new_code = paper_certificates[1].display_code
    assert office.post_form(f"/admin/certificates/{new_code}/revoke",
                            {"revoke-reason": "Was not there"}).status_code == 302
    trainer_client.post_form(f"/cohorts/{cohort.id}/certificates", {"member": [str(paper.id)]})
    assert count(app, Certificate, Certificate.member_id == paper.id, Certificate.revoked_at.is_(None)) == 0


def test_members_are_reminded_of_tomorrows_session_once(app, make, course, trainer, runner):
    from zoneinfo import ZoneInfo

    from lms.notifications.models import Notification

    cohort = make_cohort(app, course, trainer, name="Groupe Rabat")
    learner = make.user(email="amal@example.org", full_name="Amal Tazi", locale="ar")
    muted = make.user(email="quiet@example.org", muted_emails=",session_reminder,")
    zone = ZoneInfo("Africa/Casablanca")
    tomorrow = (utcnow().astimezone(zone) + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    with app.app_context():
        db.session.add_all([
            CohortMember(cohort_id=cohort.id, user_id=learner.id), CohortMember(cohort_id=cohort.id, user_id=muted.id),
            CohortMember(cohort_id=cohort.id, full_name="Paper Person"),
            CohortSession(cohort_id=cohort.id, title="Atelier", starts_at=tomorrow, place="ANAPEC Rabat"),
            CohortSession(cohort_id=cohort.id, title="Later", starts_at=tomorrow + timedelta(days=2))])
        db.session.commit()

    first = runner.invoke(args=["lms", "send-session-reminders"])
    assert first.exit_code == 0 and "Sent 2 session reminder(s)." in first.output
    mails = sent(app)
    assert [mail.to for mail in mails] == ["amal@example.org"]  # the other muted this email
    assert "Atelier" in mails[0].body and "ANAPEC Rabat" in mails[0].body and "مرحبًا Amal Tazi" in mails[0].body
    assert count(app, Notification) == 2  # both still see it on their page

    again = runner.invoke(args=["lms", "send-session-reminders"])
    assert "Sent 0 session reminder(s)." in again.output and len(sent(app)) == 1
