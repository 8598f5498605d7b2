"""Indicators: every figure checked against counts made independently from the test's own data."""

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certificates.issuing import issue_certificate
from courses.cohorts.models import Attendance, AttendanceStatus, Cohort, CohortMember, CohortSession
from courses.models import Course, Enrollment
from lms.accounts.models import Gender, Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.organizations.models import OrganizationType
from lms.organizations.regions import Region
from lms.reports.filters import ReportFilters
from lms.reports.indicators import indicators


@pytest.fixture
def world(app, make):
    """Two organizations, people of both genders, two courses, completions, a cohort with a paper participant."""
    ministry = make.organization("Ministère de la Justice", type=OrganizationType.GOVERNMENT)
    association = make.organization("Association Amal", type=OrganizationType.CIVIL_SOCIETY)
    trafficking = make.course(slug="trafficking", lessons=1)
    recruitment = make.course(slug="recruitment", lessons=1)
    people = {
        "amina": make.user(email="amina@example.org", gender=Gender.FEMALE, organization=ministry, city="Rabat"),
        "karim": make.user(email="karim@example.org", gender=Gender.MALE, organization=ministry, city="Rabat"),
        "salma": make.user(email="salma@example.org", gender=Gender.FEMALE, organization=association,
                           city="Tanger", region=Region.TANGER_TETOUAN_AL_HOCEIMA),
        "omar": make.user(email="omar@example.org", gender=Gender.MALE, organization=association, city="Tanger",
                          region=Region.TANGER_TETOUAN_AL_HOCEIMA),
    }
    trainer = make.user(email="trainer@example.org", role=Role.TRAINER, locale="en")
    now = utcnow()
    last_year = now - timedelta(days=400)
    with app.app_context():
        get = lambda key: db.session.get(User, people[key].id)  # noqa: E731
        # Amina: both courses, both completed (one last year). Karim: enrolled only. Salma and Omar: trafficking,
        # Salma completed; Salma, Omar and a paper participant attended the workshop.
        for key, course, completed in (("amina", trafficking, now), ("amina", recruitment, last_year),
                                       ("karim", trafficking, None), ("salma", trafficking, now),
                                       ("omar", trafficking, None)):
            db.session.add(Enrollment(user_id=people[key].id, course_id=course.id, enrolled_at=completed or now,
                                      completed_at=completed))
        db.session.flush()
        for key, course, when in (("amina", trafficking, now), ("salma", trafficking, now)):
            issue_certificate(get(key), db.session.get(Course, course.id))
        cohort = Cohort(course_id=trafficking.id, name="Tanger", starts_on=now.date(), ends_on=now.date(),
                        trainers=[db.session.get(User, trainer.id)])
        db.session.add(cohort)
        db.session.flush()
        members = [CohortMember(cohort_id=cohort.id, user_id=people["salma"].id),
                   CohortMember(cohort_id=cohort.id, user_id=people["omar"].id),
                   CohortMember(cohort_id=cohort.id, full_name="Fatima Paper", gender=Gender.FEMALE,
                                organization_type=OrganizationType.CIVIL_SOCIETY, city="Tanger"),
                   CohortMember(cohort_id=cohort.id, full_name="Absent Paper", gender=Gender.MALE, city="Tanger")]
        db.session.add_all(members)
        sessions = [CohortSession(cohort_id=cohort.id, title=f"S{n}", starts_at=now - timedelta(hours=n + 1))
                    for n in range(2)]
        db.session.add_all(sessions)
        db.session.flush()
        for member in members[:3]:
            for session in sessions:
                db.session.add(Attendance(session_id=session.id, member_id=member.id, status=AttendanceStatus.PRESENT))
        db.session.add(Attendance(session_id=sessions[0].id, member_id=members[3].id, status=AttendanceStatus.ABSENT))
        db.session.commit()
        cohort_id = cohort.id
    return {"people": people, "trainer": trainer, "ministry": ministry, "association": association,
            "trafficking": trafficking, "recruitment": recruitment, "cohort_id": cohort_id, "now": now}


def figures(app, viewer, **filters):
    with app.test_request_context():
        return indicators(ReportFilters(**filters), db.session.get(User, viewer.id))


def test_indicators_match_counts_made_by_hand(app, make, world):
    admin = make.user(role=Role.ADMIN)
    whole = figures(app, admin)
    # People trained: Amina, Salma (completions), Omar and Fatima (attended): 4; each counted once.
    assert (whole.people_trained, whole.enrolments, whole.completions, whole.certificates,
            whole.workshop_participants) == (4, 5, 3, 2, 3)

    this_year = figures(app, admin, start=world["now"].date() - timedelta(days=30), end=world["now"].date())
    assert (this_year.enrolments, this_year.completions) == (4, 2)  # Amina's other course was last year
    women = figures(app, admin, gender=Gender.FEMALE)
    assert (women.people_trained, women.workshop_participants) == (3, 2)  # Amina, Salma, Fatima
    civil = figures(app, admin, organization_type=OrganizationType.CIVIL_SOCIETY)
    assert (civil.people_trained, civil.enrolments, civil.workshop_participants) == (3, 2, 3)
    assert figures(app, admin, course_id=world["recruitment"].id).completions == 1
    assert figures(app, admin, region=Region.TANGER_TETOUAN_AL_HOCEIMA).people_trained == 2  # paper has no region
    assert figures(app, admin, city="tanger").people_trained == 3
    in_cohort = figures(app, admin, cohort_id=world["cohort_id"])
    assert (in_cohort.people_trained, in_cohort.enrolments, in_cohort.completions) == (3, 2, 1)


def test_managers_and_trainers_see_only_their_scope(app, make, world):
    manager = make.user(role=Role.MANAGER, organization=world["ministry"])
    mine = figures(app, manager)
    assert (mine.people_trained, mine.enrolments, mine.completions, mine.workshop_participants) == (1, 3, 2, 0)
    trained = figures(app, world["trainer"])
    assert (trained.people_trained, trained.enrolments, trained.workshop_participants) == (3, 2, 3)
    stranger = make.user(email="t2@example.org", role=Role.TRAINER)
    assert figures(app, stranger).people_trained == 0


def test_the_page_shows_the_figures_and_explains_bad_filters(app, make, world, client, login_as):
    login_as(make.user(role=Role.ADMIN, locale="en"))
    page = html.unescape(client.get("/reports?gender=female").get_data(as_text=True))
    assert "People trained</dt><dd>3</dd>" in page
    for query, message in [("gender=robot", "is not one of the choices"), ("start=2026-05-01&end=2026-04-01",
                           "The end date comes before the start date."), ("quarter=2", "Choose the year"),
                           ("start=yesterday", "YYYY-MM-DD"), ("course=abc", "is not a valid choice"),
                           ("city=" + "x" * 5000, "at most 100 characters"), ("year=99999", "is not a valid choice")]:
        response = client.get(f"/reports?{query}")
        assert response.status_code == 422 and message in html.unescape(response.get_data(as_text=True)), query
    assert client.get("/reports?year=2026&quarter=2").status_code == 200
    learner = app.test_client()
    login_as(make.user(email="l@example.org"), target=learner)
    assert learner.get("/reports").status_code == 403


@pytest.mark.browser
def test_the_report_page_reads_right_to_left_on_a_phone(app, make, world, page):
    from conftest import PASSWORD
    from test_browser import assert_fits_a_small_phone, serious_violations

    admin = make.user(email="admin@example.org", role=Role.ADMIN, locale="ar")
    page.goto("/login")
    page.locator("#email").fill(admin.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")
    page.goto("/reports")
    page.locator("#gender").select_option("female")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("dl.figures dd").first.inner_text() == "3"
    assert serious_violations(page) == []
    assert_fits_a_small_phone(page)
