"""Access matrix: who may open every page of the application.

Every URL rule must be classified below; a new page fails ``test_every_url_is_classified`` until
someone decides who may see it.
"""

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from certificates.issuing import issue_certificate
from courses.assignments.models import Assignment, Submission, SubmissionVersion
from courses.cohorts.models import Cohort, CohortMember, CohortSession
from courses.editing import store_upload
from courses.models import Course, Lesson, Module
from lms.accounts import tokens
from lms.accounts.models import Role, User
from lms.api.tokens import create_token
from lms.db import utcnow
from lms.extensions import db
from quizzes.models import Quiz, QuizKind

# Who may open a page with GET. A set of roles means "signed in with one of these roles".
PUBLIC = "everyone"  # Guests and every role: 200.
GUESTS_ONLY = "guests only"  # Guests: 200; signed-in users are sent to the home page.
SIGNED_IN = frozenset(Role)
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
AUTHORS = frozenset({Role.TRAINER, Role.ADMIN})
OWNER_ONLY = "owner only"  # Guests sign in; anyone else's record is 404 (the matrix uses one nobody owns).
ADMINS = frozenset({Role.ADMIN})
OWNER_OR_ADMINS = "owner or administrators"  # As OWNER_ONLY, but administrators open anyone's.
# The matrix's cohort is trained by another trainer: the matrix's trainer gets 404, learners and
# managers 403 (not trainers at all), administrators 200.
COHORT_TRAINERS = "cohort trainers"
# The matrix's assignment: its instructions open to trainers and administrators (learners and
# managers are not enrolled: 404); its selection decisions belong to a panel the matrix's trainer
# is not on (403 for every role but administrators).
ASSIGNMENT_READERS = "assignment readers"
PANEL = "selection panel"
# The JSON API: a personal access token in an Authorization header, never a session cookie, so every
# viewer of this matrix (guests and signed-in browsers alike) gets 401. TOKEN_ACCESS says what a
# token may read, by its owner's role.
BEARER = "bearer token"
REPORT_ROLES = frozenset({Role.MANAGER, Role.TRAINER, Role.ADMIN})

GET_PAGES = {
    "main.index": PUBLIC,
    "main.healthz": PUBLIC,
    "accounts.register": GUESTS_ONLY,
    "accounts.login": GUESTS_ONLY,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.account": SIGNED_IN,
    "accounts.edit_profile": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.change_email": SIGNED_IN,
    "accounts.confirm_email": SIGNED_IN,
    "organizations.members": MANAGERS,
    "organizations.list_organizations": ADMINS,
    "organizations.organization_detail": ADMINS,
    "organizations.create_organization": ADMINS,
    "organizations.edit_organization": ADMINS,
    "admin.index": ADMINS,
    "admin.users": ADMINS,
    "admin.user_detail": ADMINS,
    "admin.import_users_page": ADMINS,
    "admin.audit": ADMINS,
    "jobs.list_jobs": ADMINS,
    "jobs.prepared_file": OWNER_ONLY,  # a file a job prepares for the user who asked; the matrix's is nobody's
    "jobs.download_file": OWNER_ONLY,
    "courses.catalogue": PUBLIC,
    "courses.course_page": PUBLIC,
    "courses.my_learning": SIGNED_IN,
    "courses.lesson": AUTHORS,  # nobody is enrolled: authors preview
    "courses.upload_file": PUBLIC,  # behind an unguessable token
    "authoring.index": AUTHORS,
    "authoring.create_course": AUTHORS,
    "authoring.course": AUTHORS,
    "authoring.edit_course": AUTHORS,
    "authoring.edit_module": AUTHORS,
    "authoring.edit_lesson": AUTHORS,
    "authoring.uploads": AUTHORS,
    "authoring.learners": AUTHORS,
    "quizzes.quiz_page": frozenset(),  # enrolled learners only; nobody in this matrix is
    "quizzes.question": OWNER_ONLY,
    "quizzes.finish": OWNER_ONLY,
    "quizzes.result": OWNER_ONLY,
    "quiz_results.quizzes": AUTHORS,
    "quiz_results.quiz_results": AUTHORS,
    "quiz_results.attempts_csv": AUTHORS,
    "quiz_results.import_questions_page": AUTHORS,
    "quiz_results.quiz_settings": AUTHORS,
    "quiz_results.export_gift_file": AUTHORS,
    "certificates.verify_form": PUBLIC,
    "certificates.verify": PUBLIC,
    "certificates.did_document": PUBLIC,
    "certificates.status_list": PUBLIC,
    "certificates.mine": SIGNED_IN,
    "certificates.pdf": OWNER_OR_ADMINS,
    "certificates.credential": OWNER_OR_ADMINS,
    "certificate_admin.index": ADMINS,
    "certificate_admin.export": ADMINS,
    "certificate_admin.detail": ADMINS,
    "certificate_admin.settings": ADMINS,
    "certificate_admin.issue": AUTHORS,
    "cohorts.index": AUTHORS,
    "cohorts.create": AUTHORS,
    "cohorts.edit": COHORT_TRAINERS,
    "cohorts.dashboard": COHORT_TRAINERS,
    "cohorts.attendance": COHORT_TRAINERS,
    "cohorts.attendance_csv": COHORT_TRAINERS,
    "cohorts.join": SIGNED_IN,
    "cohorts.join_invitation": SIGNED_IN,
    "cohorts.organization_cohorts": MANAGERS,
    "cohorts.attendance_certificates": COHORT_TRAINERS,
    "notifications.index": SIGNED_IN,
    "notifications.settings": SIGNED_IN,
    "assignments.index": AUTHORS,
    "assignments.create": AUTHORS,
    "assignments.edit": AUTHORS,
    "assignments.show": ASSIGNMENT_READERS,
    "assignments.download": OWNER_OR_ADMINS,
    "assignments.submissions": AUTHORS,
    "assignments.review": COHORT_TRAINERS,
    "reports.index": frozenset({Role.MANAGER, Role.TRAINER, Role.ADMIN}),
    "reports.download": frozenset({Role.MANAGER, Role.TRAINER, Role.ADMIN}),
    "api_tokens.index": ADMINS,
    "api.openapi": PUBLIC,
    "api.indicators": BEARER,
    "api.courses": BEARER,
    "api.cohorts": BEARER,
    "api.verify_certificate": BEARER,
}

# What a valid token may read, by its owner's role: 200 for these roles, 403 for the others.
TOKEN_ACCESS = {
    "api.indicators": REPORT_ROLES,
    "api.courses": SIGNED_IN,
    "api.cohorts": REPORT_ROLES,
    "api.verify_certificate": SIGNED_IN,
}

# Actions that only accept POST, with who may send them (guests are sent to sign in).
POST_ACTIONS = {
    "main.set_language": PUBLIC,
    "accounts.logout": PUBLIC,
    "organizations.approve_organization": ADMINS,
    "organizations.merge_organization": ADMINS,
    "admin.change_role": ADMINS,
    "admin.set_active": ADMINS,
    "admin.change_organization": ADMINS,
    "admin.send_invitation": ADMINS,
    "jobs.requeue_job": ADMINS,
    "jobs.delete_job": ADMINS,
    "courses.enroll": SIGNED_IN,
    "courses.mark_done": frozenset(),  # only enrolled learners; nobody in this matrix is
    "authoring.add_module": AUTHORS,
    "authoring.add_lesson": AUTHORS,
    "authoring.module_action": AUTHORS,
    "authoring.lesson_action": AUTHORS,
    "quizzes.start": frozenset(),
    "quizzes.submit": OWNER_ONLY,
    "certificate_admin.revoke": ADMINS,
    "certificate_admin.reissue": ADMINS,
    "cohorts.add_member": COHORT_TRAINERS,
    "cohorts.add_participant": COHORT_TRAINERS,
    "cohorts.import_members": COHORT_TRAINERS,
    "cohorts.remove_member": COHORT_TRAINERS,
    "cohorts.remind": COHORT_TRAINERS,
    "cohorts.add_session": COHORT_TRAINERS,
    "notifications.mark_read": SIGNED_IN,
    "assignments.retire": AUTHORS,
    "assignments.score": COHORT_TRAINERS,
    "assignments.mark": COHORT_TRAINERS,
    "assignments.announce": PANEL,
    "api_tokens.revoke": ADMINS,
}

# Where an authorised viewer lands when the page itself redirects.
REDIRECTS = {"admin.index": "/admin/users"}

UNCHECKED = {"static"}
VIEWERS = ["guest", *(role.value for role in Role)]


def rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in UNCHECKED]


def test_every_url_is_classified(app):
    get_rules = {rule.endpoint for rule in rules(app) if "GET" in rule.methods}
    post_rules = {rule.endpoint for rule in rules(app) if "GET" not in rule.methods}
    assert get_rules == set(GET_PAGES), "classify every GET page in GET_PAGES"
    assert post_rules == set(POST_ACTIONS), "classify every POST-only action in POST_ACTIONS"
    bearer = {endpoint for endpoint, access in GET_PAGES.items() if access == BEARER}
    assert bearer == set(TOKEN_ACCESS), "say in TOKEN_ACCESS who may read each token-authenticated endpoint"


@pytest.fixture
def world(make):
    """One user per role, all in one organization, and an invited user with a pending link."""
    organization = make.organization("Association Amal")
    users = {role.value: make.user(email=f"{role.value}@example.org", role=role, organization=organization)
             for role in Role}
    invited = make.user(email="invited@example.org", password=None, consent_at=None)
    course = make.course(slug="access-course", lessons=2)
    holder = make.user(email="holder@example.org")
    other_trainer = make.user(email="other-trainer@example.org", role=Role.TRAINER)
    with make.app.app_context():
        module_id = db.session.scalar(select(Module.id).where(Module.course_id == course.id))
        lesson_id = db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id))
        db.session.add(Quiz(course_id=course.id, key="access-quiz", kind=QuizKind.GRADED, titles={"fr": "Quiz"}))
        upload = store_upload(db.session.get(Course, course.id), "handout.pdf", b"%PDF-1.4\n%test\n",
                              db.session.get(User, users["admin"].id))
        certificate = issue_certificate(db.session.get(User, holder.id), db.session.get(Course, course.id))
        db.session.commit()
        upload = (upload.token, upload.filename)
        code = certificate.display_code
        cohort = Cohort(course_id=course.id, name="Another trainer's cohort", starts_on=date(2026, 1, 1),
                        ends_on=date(2099, 1, 1), trainers=[db.session.get(User, other_trainer.id)])
        db.session.add(cohort)
        db.session.flush()
        member = CohortMember(cohort_id=cohort.id, user_id=holder.id)
        session = CohortSession(cohort_id=cohort.id, title="Workshop", starts_at=utcnow())
        assignment = Assignment(course_id=course.id, titles={"fr": "Idée"}, is_selection=True,
                                panel=[db.session.get(User, other_trainer.id)], rubric=[{"label": "Angle", "points": 5}])
        db.session.add_all([member, session, assignment])
        db.session.flush()
        submission = Submission(assignment_id=assignment.id, user_id=holder.id, versions_count=1)
        db.session.add(submission)
        db.session.flush()
        version = SubmissionVersion(submission_id=submission.id, number=1, file_token="access-matrix-file",
                                    file_name="idea.pdf", file_type="application/pdf", file_size=9)
        db.session.add(version)
        db.session.commit()
        (Path(make.app.config["SUBMISSION_FOLDER"]) / "access-matrix-file").write_bytes(b"%PDF-1.4\n")
        cohort_values = {"cohort_id": cohort.id, "member_id": member.id, "session_id": session.id,
                         "invite_token": cohort.invite_token, "assignment_id": assignment.id,
                         "submission_id": submission.id, "version_id": version.id}
    return {"cohort": cohort_values,"organization": organization, "users": users, "invited": invited, "course": course,
            "module_id": module_id, "lesson_id": lesson_id, "upload": upload, "certificate_code": code}


def url_values(rule, world, viewer) -> dict:
    """Fill a rule's parameters with real objects: ids that exist, tokens that are valid."""
    values = {}
    for name in rule.arguments:
        if name == "user_id":
            values[name] = world["users"]["learner"].id
        elif name == "organization_id":
            values[name] = world["organization"].id
        elif name in ("module_id", "lesson_id"):
            values[name] = world[name]
        elif name in ("attempt_id", "token_id"):
            values[name] = 999_999
        elif name == "number":
            values[name] = 1
        elif name in ("cohort_id", "member_id", "session_id", "assignment_id", "submission_id", "version_id"):
            values[name] = world["cohort"][name]
        elif name == "token" and rule.endpoint == "cohorts.join_invitation":
            values[name] = world["cohort"]["invite_token"]
        elif name == "code":
            values[name] = world["certificate_code"]
        elif name == "language":
            values[name] = "fr"
        elif name == "extension":
            values[name] = "csv"
        elif name == "token" and rule.endpoint.startswith("jobs."):
            values[name] = "nobody-asked-for-this-file"
        elif name == "job_id":
            values[name] = "0b7c5bd2-6d2f-4c8e-9d55-6f1f0d9a1e11"
        elif name == "token" and rule.endpoint == "courses.upload_file":
            values[name] = world["upload"][0]
        elif name == "filename":
            values[name] = world["upload"][1]
        elif name == "action" and rule.endpoint in ("authoring.module_action", "authoring.lesson_action"):
            values[name] = "down"
        elif name == "slug":
            values[name] = world["course"].slug
        elif name == "key":
            values[name] = "access-quiz" if rule.endpoint.startswith("quiz") else "lesson-001"
        elif name == "action":
            values[name] = "deactivate"
        elif name == "token" and rule.endpoint == "accounts.reset_password":
            values[name] = tokens.make_token(world["invited"], "invite")
        elif name == "token" and rule.endpoint == "accounts.confirm_email":
            owner = world["users"]["learner" if viewer == "guest" else viewer]
            values[name] = tokens.make_token(owner, "email", email="new-address@example.org")
        else:
            pytest.fail(f"no value for the parameter {name!r} of {rule.rule}: add one to url_values()")
    return values


def build_url(app, rule, world, viewer) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **url_values(rule, world, viewer))


def expected_get(endpoint: str, viewer: str) -> tuple[int, str | None]:
    """(status, path the response redirects to) for ``viewer`` opening ``endpoint``."""
    access = GET_PAGES[endpoint]
    if access == PUBLIC:
        return 200, None
    if access == BEARER:
        return 401, None
    if access == GUESTS_ONLY:
        return (200, None) if viewer == "guest" else (302, "/")
    if access == OWNER_ONLY:
        return (302, "/login") if viewer == "guest" else (404, None)
    if access == COHORT_TRAINERS:
        if viewer == "guest":
            return 302, "/login"
        return {"admin": (200, None), "trainer": (404, None)}.get(viewer, (403, None))
    if access == ASSIGNMENT_READERS:
        if viewer == "guest":
            return 302, "/login"
        return (200, None) if viewer in ("trainer", "admin") else (404, None)
    if access == OWNER_OR_ADMINS:
        return (302, "/login") if viewer == "guest" else ((200, None) if viewer == "admin" else (404, None))
    if viewer == "guest":
        return 302, "/login"
    if Role(viewer) not in access:
        return 403, None
    return (302, REDIRECTS[endpoint]) if endpoint in REDIRECTS else (200, None)


def outcome(response) -> tuple[int, str | None]:
    response.close()  # a served file stays open until then
    location = urlsplit(response.location).path if response.status_code in (301, 302, 303) else None
    return response.status_code, location


@pytest.fixture
def browser(app, world, login_as, request):
    client = app.test_client()
    viewer = request.param
    if viewer != "guest":
        login_as(world["users"][viewer], target=client)
    return viewer, client


@pytest.mark.parametrize("browser", VIEWERS, indirect=True)
def test_get_pages_answer_each_viewer_as_classified(app, world, browser):
    viewer, client = browser
    mismatches = []
    for rule in rules(app):
        if "GET" not in rule.methods:
            continue
        url = build_url(app, rule, world, viewer)
        expected = expected_get(rule.endpoint, viewer)
        actual = outcome(client.get(url))
        if actual != expected:
            mismatches.append(f"{rule.endpoint} {url}: expected {expected}, got {actual}")
    assert mismatches == []


@pytest.mark.parametrize("browser", VIEWERS, indirect=True)
def test_post_actions_refuse_viewers_without_the_right(app, world, browser):
    viewer, client = browser
    mismatches = []
    for rule in rules(app):
        if "GET" in rule.methods:
            continue
        url = build_url(app, rule, world, viewer)
        if client.get(url).status_code != 405:
            mismatches.append(f"{rule.endpoint} accepts GET")
        access = POST_ACTIONS[rule.endpoint]
        if access == COHORT_TRAINERS:
            if viewer == "admin":
                continue
            expected = (302, "/login") if viewer == "guest" else ((404 if viewer == "trainer" else 403), None)
        elif access == PANEL:
            if viewer == "admin":
                continue
            expected = (302, "/login") if viewer == "guest" else (403, None)
        elif access == PUBLIC or (access != OWNER_ONLY and viewer != "guest" and Role(viewer) in access):
            continue  # Allowed: the action's own tests check what it does.
        else:
            expected = (302, "/login") if viewer == "guest" else (404 if access == OWNER_ONLY else 403, None)
        actual = outcome(client.post_form(url))
        if actual != expected:
            mismatches.append(f"POST {rule.endpoint} {url}: expected {expected}, got {actual}")
    assert mismatches == []


@pytest.mark.parametrize("role", list(Role))
def test_api_answers_each_token_owner_as_classified(app, world, role):
    with app.test_request_context():
        owner = db.session.get(User, world["users"][role.value].id)
        _token, secret = create_token(owner, "Access matrix", None, owner)
        db.session.commit()
    client = app.test_client()
    mismatches = []
    for rule in rules(app):
        if GET_PAGES.get(rule.endpoint) != BEARER:
            continue
        url = build_url(app, rule, world, role.value)
        expected = 200 if role in TOKEN_ACCESS[rule.endpoint] else 403
        for headers in ({"Authorization": f"Bearer {secret}"}, {}, {"Authorization": f"Bearer {secret}x"}):
            response = client.get(url, headers=headers)
            want = expected if headers.get("Authorization", "").endswith(secret) else 401
            if response.status_code != want or response.mimetype != "application/json":
                mismatches.append(f"{rule.endpoint} {url} {headers}: expected {want}, got {response.status_code}")
    assert mismatches == []


def test_deactivated_users_are_treated_as_guests(app, world, login_as):
    client = app.test_client()
    login_as(world["users"]["admin"], target=client)
    with app.app_context():
        db.session.get(User, world["users"]["admin"].id).is_active = False
        db.session.commit()
    response = client.get("/admin/users")
    assert outcome(response) == (302, "/login")
