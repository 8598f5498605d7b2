"""Indicators: every figure checked against counts made independently from the test's own data."""

import html
import io
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support import ON_POSTGRESQL

from certificates.issuing import issue_certificate
from certificates.models import Certificate
from courses.cohorts.models import Attendance, AttendanceStatus, Cohort, CohortMember, CohortSession
from courses.models import Course, Enrollment, Lesson
from courses.services import mark_lesson_done
from lms.accounts.models import Gender, Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.organizations.models import Organization, OrganizationType
from lms.organizations.regions import Region
from lms.reports.filters import ReportFilters
from lms.reports import grids
from lms.reports.facts import COLUMNS, fact_rows
from lms.reports.indicators import DIMENSIONS, grouped, indicators
from lms.reports.models import ReportFact
from lms.reports.tables import cross_table, table_groupings


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
                           ("city=" + "x" * 5000, "at most 100 characters"), ("year=99999", "is not a valid choice"),
                           ("course=%C2%B2", "is not a valid choice"), ("end=9999-12-31", "between the years"),
                           ("city=Rab%00at", "control characters")]:
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
    assert page.locator("figure.chart svg").count() == 4
    # Bars grow from the right in Arabic: the first bar ends at the chart's right edge.
    bar = page.locator("figure.chart svg rect").first.bounding_box()
    chart = page.locator("figure.chart svg").first.bounding_box()
    assert abs((bar["x"] + bar["width"]) - (chart["x"] + chart["width"])) < 2
    assert serious_violations(page) == []
    assert_fits_a_small_phone(page)
    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible() and not page.locator("header.site-header").is_visible()
    assert page.locator("table.report-table").first.is_visible()


def results_for(app, viewer, groupings, **filters):
    with app.test_request_context():
        return grouped(ReportFilters(**filters), db.session.get(User, viewer.id), groupings)


def test_a_cross_table_counts_each_person_once_in_its_totals(app, make, world):
    admin = make.user(role=Role.ADMIN)
    with app.test_request_context():
        results = grouped(ReportFilters(), db.session.get(User, admin.id), table_groupings("course", "gender"))
        table = cross_table(results, "course", "gender", "en")
    trafficking, recruitment = str(world["trafficking"].id), str(world["recruitment"].id)
    people = {(row, column): table.cell(row, column).people_trained
              for row in (trafficking, recruitment) for column in ("female", "male")}
    # Trafficking: Amina, Salma, Fatima (paper) and Omar; recruitment: Amina.
    assert people == {(trafficking, "female"): 3, (trafficking, "male"): 1, (recruitment, "female"): 1,
                      (recruitment, "male"): 0}
    assert table.row_total(trafficking).people_trained == 4
    assert table.column_total("female").people_trained == 3  # Amina once, though she is in two cells
    assert table.total.people_trained == 4
    assert table.cell(trafficking, "male").enrolments == 2  # Karim and Omar
    assert [group.key for group in table.column_groups] == ["female", "male"]
    assert {group.label for group in table.row_groups} == {"Lesson trafficking", "Lesson recruitment"}


def test_every_dimension_groups_the_facts(app, make, world):
    admin = make.user(role=Role.ADMIN)
    year = str(world["now"].year)
    results = results_for(app, admin, [(name,) for name in DIMENSIONS])
    people = {name: {key: figures.people_trained for (key,), figures in results[(name,)].items()}
              for name in DIMENSIONS}
    assert people["gender"] == {"female": 3, "male": 1}
    assert people["organization_type"] == {"government": 1, "civil_society": 3}
    assert people["organization"] == {str(world["ministry"].id): 1, str(world["association"].id): 2, None: 1}
    assert people["city"] == {"rabat": 1, "tanger": 3}
    assert people["region"] == {"MA-01": 2, "MA-04": 1, None: 1}
    assert people["cohort"] == {str(world["cohort_id"]): 3, None: 1}  # Amina is in no cohort
    assert people["topic"] == {world["trafficking"].topic.value: 4}
    quarter = year + str((world["now"].month + 2) // 3)
    assert people["year"][year] >= 3 and people["quarter"][quarter] >= 3
    assert sum(figures.enrolments for figures in results[("year",)].values()) == 5


def test_knowledge_gain_and_the_funnel(app, make, world):
    admin = make.user(role=Role.ADMIN)
    with app.app_context():
        scores = {"amina": (40, 80), "salma": (50, 45), "karim": (30, None)}
        for key, (pre, post) in scores.items():
            enrolment = db.session.scalar(sa.select(Enrollment).where(
                Enrollment.user_id == world["people"][key].id, Enrollment.course_id == world["trafficking"].id))
            enrolment.pre_test_score, enrolment.post_test_score = pre, post
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == world["trafficking"].id))
        omar = db.session.scalar(sa.select(Enrollment).where(Enrollment.user_id == world["people"]["omar"].id))
        mark_lesson_done(omar, lesson)  # records when Omar started
        db.session.commit()
    total = figures(app, admin)
    assert (total.tested, total.mean_pre, total.mean_post, total.improved) == (2, 45, 62.5, 1)
    assert total.mean_gain == 17.5 and total.share_improved == 0.5
    # Omar finished the one-lesson course: started, completed and certified through the real service.
    assert (total.enrolments, total.started, total.completions, total.certificates) == (5, 4, 4, 3)
    by_type = results_for(app, admin, [("organization_type",)])[("organization_type",)]
    assert by_type[("government",)].tested == 1 and by_type[("government",)].mean_gain == 40
    assert by_type[("civil_society",)].mean_gain == -5


def test_small_cells_are_masked_for_publication_only(app, make, world):
    admin = make.user(role=Role.ADMIN)
    with app.test_request_context():
        results = grouped(ReportFilters(), db.session.get(User, admin.id), table_groupings("gender", "course"))
        table = cross_table(results, "gender", "course", "en")
        published, shares = grids.two_dimensions(table, "people_trained", publication=True)
        internal, _ = grids.two_dimensions(table, "people_trained", publication=False)
    values = [cell.value for row in published.rows for cell in row[1:]]
    assert set(values) <= {"<5", 0} and "<5" in values
    assert all(cell.value is None for row in shares.rows for cell in row[1:])
    assert {cell.value for row in internal.rows for cell in row[1:]} >= {1, 3, 4}


def test_report_sentences_in_three_languages(app, make, world, client, login_as):
    year = world["now"].year
    course = world["trafficking"].id
    expected = {
        "en": f"4 people trained in “Lesson trafficking” in {year}. Among them, 3 women and 1 man.",
        "fr": f"4 personnes formées à « Leçon trafficking » en {year}. Parmi elles, 3 femmes et 1 homme.",
    }
    for language in ("en", "fr", "ar"):
        viewer = app.test_client()
        login_as(make.user(email=f"admin-{language}@example.org", role=Role.ADMIN, locale=language), target=viewer)
        page = html.unescape(viewer.get(f"/reports?course={course}&year={year}").get_data(as_text=True))
        start = page.index('class="report-sentences">')
        paragraph = page[start:page.index("</p>", start)].replace("\u202f", " ").replace("\xa0", " ")
        if language in expected:
            assert expected[language] in paragraph, paragraph
        else:
            assert "4" in paragraph and any("\u0600" <= char <= "\u06ff" for char in paragraph), paragraph
        assert "Association Amal" in paragraph


def test_downloads_keep_arabic_and_never_run_formulas(app, make, world, client, login_as):
    from openpyxl import load_workbook

    arabic = make.organization("جمعية الأمل للتنمية", type=OrganizationType.CIVIL_SOCIETY)
    hostile = make.organization("=HYPERLINK(\"http://evil.example\",\"x\")", type=OrganizationType.PRIVATE)
    with app.app_context():
        for index, organization in enumerate((arabic, hostile)):
            user = make.user(email=f"extra{index}@example.org", organization=organization)
            db.session.add(Enrollment(user_id=user.id, course_id=world["trafficking"].id, completed_at=utcnow()))
        db.session.commit()
    login_as(make.user(role=Role.ADMIN, locale="ar"))
    response = client.get("/reports/report.csv?rows=organization&columns=")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and "جمعية الأمل للتنمية" in text
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text

    published = client.get("/reports/report.csv?rows=organization&columns=&publication=1").get_data(as_text=True)
    assert "<5" in published
    response = client.get("/reports/report.xlsx?rows=organization&columns=gender&publication=1")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert any(cell.value == "جمعية الأمل للتنمية" for cell in cells)
    assert not any(cell.data_type == "f" for cell in cells)
    assert any(cell.value == "'=HYPERLINK(\"http://evil.example\",\"x\")" for cell in cells)
    assert all(sheet.sheet_view.rightToLeft for sheet in workbook.worksheets)
    assert "<5" in [cell.value for cell in cells]


def test_a_trainer_downloads_only_the_figures_of_their_cohorts(app, make, world, client, login_as):
    login_as(world["trainer"])
    text = client.get("/reports/report.csv?rows=organization&columns=").get_data(as_text=True)
    assert "Association Amal" in text and "Ministère de la Justice" not in text
    admin = app.test_client()
    login_as(make.user(role=Role.ADMIN, locale="en"), target=admin)
    assert "Ministère de la Justice" in admin.get("/reports/report.csv?rows=organization&columns=").get_data(
        as_text=True)


def test_bad_table_choices_are_explained(app, make, world, client, login_as):
    login_as(make.user(role=Role.ADMIN, locale="en"))
    for query, message in [("rows=robot", "is not one of the choices"), ("rows=gender&columns=gender",
                           "two different dimensions"), ("measure=salary", "is not one of the choices")]:
        response = client.get(f"/reports?{query}")
        assert response.status_code == 422 and message in html.unescape(response.get_data(as_text=True)), query
        assert client.get(f"/reports/report.csv?{query}").status_code == 422
    assert client.get("/reports?rows=course&columns=").status_code == 200


def test_the_page_draws_small_accessible_charts(app, make, world, client, login_as):
    login_as(make.user(role=Role.ADMIN, locale="en"))
    page = client.get("/reports").get_data(as_text=True)
    charts = page.split('<svg role="img"')[1:]
    assert len(charts) == 4
    assert "Female: 3; Male: 1" in page
    assert "Enrolled: 5 (100%); Started: 3 (60%); Completed: 3 (60%); Certified: 2 (40%)" in page
    assert all(len(chart[:chart.index("</svg>")].encode()) < 4000 for chart in charts)
    assert "<script" not in page


def test_the_page_runs_the_same_queries_whatever_the_data(app, make, world, client, login_as, count_queries):
    login_as(make.user(role=Role.ADMIN, locale="en"))
    url = "/reports?rows=organization&columns=cohort"
    counts = []
    for size in (1, 30):
        users = [make.user(email=f"bulk{size}-{n}@example.org", organization=make.organization(f"Org {size}-{n}"))
                 for n in range(size)]
        with app.app_context():
            for n, user in enumerate(users):
                db.session.add(Enrollment(user_id=user.id, course_id=world["trafficking"].id))
                cohort = Cohort(course_id=world["recruitment"].id, name=f"C{size}-{n}", starts_on=world["now"].date(),
                                ends_on=world["now"].date())
                db.session.add(cohort)
                db.session.flush()
                db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
                db.session.add(Enrollment(user_id=user.id, course_id=world["recruitment"].id))
            db.session.commit()
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    # PostgreSQL adds one statement: the report query's settings (memory for sorting, no JIT).
    assert counts[0] == counts[1] <= 10 + ON_POSTGRESQL, counts


def test_every_indicator_matches_counts_made_independently_on_synthetic_data(app, make, runner):
    """Seed synthetic data, then count in Python from the raw rows and compare with the reports' figures."""
    assert runner.invoke(args=["lms", "seed-synthetic", "--learners", "150", "--seed", "5"]).exit_code == 0
    admin = make.user(email="counting-admin@example.org", role=Role.ADMIN)
    with app.app_context():
        users = {row.id: row for row in db.session.execute(sa.select(
            User.id, User.gender, User.region, User.organization_id, Organization.type.label("type"))
            .outerjoin(Organization, Organization.id == User.organization_id))}
        members = {row.id: row for row in db.session.execute(sa.select(
            CohortMember.id, CohortMember.user_id, CohortMember.gender, CohortMember.organization_type))}
        enrolments = db.session.execute(sa.select(
            Enrollment.user_id, Enrollment.course_id, Enrollment.completed_at, Enrollment.started_at,
            Enrollment.pre_test_score, Enrollment.post_test_score)).all()
        certificates = db.session.execute(sa.select(Certificate.user_id, Certificate.member_id).where(
            Certificate.revoked_at.is_(None), Certificate.course_id.is_not(None))).all()
        attended = db.session.execute(sa.select(Attendance.member_id).join(
            CohortSession, CohortSession.id == Attendance.session_id).where(
            Attendance.status.in_(["present", "late"]), CohortSession.starts_at <= utcnow())).scalars().all()

    def person_of_member(member_id):
        member = members[member_id]
        return ("user", member.user_id) if member.user_id else ("paper", member_id)

    def gender_of(person):
        kind, key = person
        value = users[key].gender if kind == "user" else members[key].gender
        return getattr(value, "value", value)

    def type_of(person):
        kind, key = person
        value = users[key].type if kind == "user" else members[key].organization_type
        return getattr(value, "value", value)

    workshop = {person_of_member(member_id) for member_id in attended}
    trained = {("user", row.user_id) for row in enrolments if row.completed_at} | workshop
    tested = [row for row in enrolments if row.pre_test_score is not None and row.post_test_score is not None]
    assert len(trained) > 50 and workshop and tested  # the seed gives every kind of fact

    results = results_for(app, admin, [("gender",), ("organization_type",), ("region",), ()])
    total = results[()][()]
    assert total.people_trained == len(trained)
    assert total.enrolments == len(enrolments)
    assert total.started == sum(1 for row in enrolments if row.started_at or row.completed_at)
    assert total.completions == sum(1 for row in enrolments if row.completed_at)
    assert total.certificates == len(certificates)
    assert total.workshop_participants == len(workshop)
    assert total.tested == len(tested)
    assert total.mean_pre == pytest.approx(sum(row.pre_test_score for row in tested) / len(tested))
    assert total.improved == sum(1 for row in tested if row.post_test_score > row.pre_test_score)

    by_gender = {key: figures.people_trained for (key,), figures in results[("gender",)].items()}
    assert by_gender == dict(Counter(gender_of(person) for person in trained))
    by_type = {key: figures.people_trained for (key,), figures in results[("organization_type",)].items()}
    assert by_type == dict(Counter(type_of(person) for person in trained))
    enrolments_by_region = {key: figures.enrolments for (key,), figures in results[("region",)].items()
                            if figures.enrolments}
    expected = Counter(getattr(users[row.user_id].region, "value", users[row.user_id].region) for row in enrolments)
    assert enrolments_by_region == dict(expected)


def assert_in_step(app) -> None:
    """The summary table holds exactly the facts the source tables give now."""
    columns = [getattr(ReportFact, name) for name in COLUMNS]

    def normalised(rows):
        return Counter(tuple(round(value, 6) if isinstance(value, float) else value for value in row) for row in rows)

    with app.app_context():
        stored = normalised(db.session.execute(sa.select(*columns)).all())
        fresh = normalised(db.session.execute(fact_rows()).all())
    assert stored == fresh


def test_the_summary_table_follows_every_change_made_through_the_application(app, make, world, client, login_as):
    from test_accounts import profile

    people = world["people"]
    assert_in_step(app)  # what the fixture wrote through the session
    admin = make.user(role=Role.ADMIN, locale="en")
    admin_figures = lambda **filters: figures(app, admin, **filters)  # noqa: E731

    # Karim finishes his lesson: started, completed and certified (and counted at once).
    login_as(people["karim"])
    with app.app_context():
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == world["trafficking"].id))
        lesson_url = f"/courses/trafficking/lessons/{lesson.key}/done"
    assert client.post_form(lesson_url).status_code == 302
    assert_in_step(app)
    assert (admin_figures().people_trained, admin_figures().completions, admin_figures().certificates) == (5, 4, 3)

    # Omar changes his gender and city on his profile.
    omar = app.test_client()
    login_as(people["omar"], target=omar)
    changed = profile(email=None, full_name="Omar", gender="female", city="Fès", organization=str(
        world["association"].id), locale="en")
    assert omar.post_form("/account/edit", changed).status_code == 302
    assert_in_step(app)
    assert admin_figures(city="fès").workshop_participants == 1

    # The ministry becomes civil society; then the association merges into it.
    client = app.test_client()
    login_as(admin, target=client)
    ministry, association = world["ministry"].id, world["association"].id
    edited = {"name": "Ministère de la Justice", "type": OrganizationType.CIVIL_SOCIETY.value, "city": "", "region": ""}
    assert client.post_form(f"/admin/organizations/{ministry}/edit", edited).status_code == 302
    assert_in_step(app)
    assert admin_figures(organization_type=OrganizationType.GOVERNMENT).enrolments == 0
    assert client.post_form(f"/admin/organizations/{association}/merge", {"target": str(ministry)}).status_code == 302
    assert_in_step(app)
    assert admin_figures(organization_id=ministry).enrolments == 5

    # A certificate is revoked; the paper participant leaves the cohort.
    with app.app_context():
        code = db.session.scalar(sa.select(Certificate.code).where(Certificate.user_id == people["amina"].id))
        paper = db.session.scalar(sa.select(CohortMember.id).where(CohortMember.full_name == "Fatima Paper"))
    assert client.post_form(f"/admin/certificates/{code}/revoke", {"revoke-reason": "Issued by mistake"}
                            ).status_code == 302
    assert client.post_form(f"/cohorts/{world['cohort_id']}/members/{paper}/remove").status_code == 302
    assert_in_step(app)
    assert (admin_figures().certificates, admin_figures().workshop_participants) == (2, 2)

    # Attendance corrected, a session moved to next week: what has not happened is not counted.
    with app.app_context():
        salma = db.session.scalar(sa.select(CohortMember).where(CohortMember.user_id == people["salma"].id))
        for attendance in db.session.scalars(sa.select(Attendance).where(Attendance.member_id == salma.id)):
            attendance.status = AttendanceStatus.ABSENT
        db.session.commit()
        assert_in_step(app)
        for session in db.session.scalars(sa.select(CohortSession)):
            session.starts_at = utcnow() + timedelta(days=7)
        db.session.commit()
    assert_in_step(app)
    assert admin_figures().workshop_participants == 0

    # A rolled back change leaves nothing behind; the command writes the same table again.
    with app.app_context():
        db.session.get(User, people["amina"].id).gender = Gender.MALE
        db.session.flush()
        db.session.rollback()
    assert_in_step(app)
    result = app.test_cli_runner().invoke(args=["lms", "rebuild-report-facts"])
    assert result.exit_code == 0 and "report facts" in result.output
    assert_in_step(app)
