"""Notifications: a list on the learner's page, emails in their language, and their choice of emails."""

import html

import sqlalchemy as sa

from courses.cohorts.models import Cohort
from courses.cohorts.services import add_member
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.mail import outbox
from lms.notifications.models import Notification, NotificationKind
from support import count, scalar


def add_to_cohort(app, course, learner, trainer, name="Atelier Oujda"):
    with app.test_request_context():
        today = utcnow().date()
        cohort = Cohort(course_id=course.id, name=name, starts_on=today, ends_on=today,
                        trainers=[db.session.get(User, trainer.id)])
        db.session.add(cohort)
        db.session.flush()
        add_member(cohort, db.session.get(User, learner.id), actor=db.session.get(User, trainer.id))
        db.session.commit()
        return list(outbox())


def test_the_learner_is_told_in_their_language_and_sees_it_on_their_page(app, make, client, login_as):
    course = make.course(slug="child-protection")
    trainer = make.user(role=Role.TRAINER)
    learner = make.user(email="fatima@example.org", full_name="Fatima Zahra", locale="ar")
    [mail] = add_to_cohort(app, course, learner, trainer)
    assert mail.to == "fatima@example.org" and "Atelier Oujda" in mail.body
    assert "مرحبًا Fatima Zahra" in mail.body and "/account/notifications" in mail.body
    assert mail.body.count("http://") + mail.body.count("https://") == 2  # the page and the settings, absolute

    login_as(learner)
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    assert 'dir="rtl"' in page and "Atelier Oujda" in page and 'class="unread"' in page
    assert client.post_form("/notifications/read").status_code == 302
    assert scalar(app, sa.select(Notification.read_at)) is not None
    assert 'class="unread"' not in client.get("/notifications").get_data(as_text=True)


def test_learners_choose_which_emails_they_receive(app, make, client, login_as):
    course = make.course(slug="recruitment")
    trainer = make.user(role=Role.TRAINER)
    learner = make.user(email="hamid@example.org", locale="en")
    login_as(learner)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count('type="checkbox"') == len(NotificationKind) and page.count("checked") == len(NotificationKind)

    keep = [kind.value for kind in NotificationKind if kind is not NotificationKind.COHORT_ADDED]
    assert client.post_form("/account/notifications", {"emails": keep}).status_code == 302
    assert scalar(app, sa.select(User.muted_emails).where(User.id == learner.id)) == ",cohort_added,"
    assert 'value="cohort_added"' in client.get("/account/notifications").get_data(as_text=True)

    assert add_to_cohort(app, course, learner, trainer) == []  # no email...
    assert count(app, Notification, Notification.user_id == learner.id) == 1  # ...but still on the page
    assert "Atelier Oujda" in client.get("/notifications").get_data(as_text=True)


def test_nobody_reads_another_persons_notifications(app, make, client, login_as):
    course = make.course(slug="media")
    trainer = make.user(role=Role.TRAINER)
    owner = make.user(email="owner@example.org")
    add_to_cohort(app, course, owner, trainer, name="Groupe confidentiel")
    login_as(make.user(email="curious@example.org"))
    assert "Groupe confidentiel" not in client.get("/notifications").get_data(as_text=True)
    client.post_form("/notifications/read")
    assert scalar(app, sa.select(Notification.read_at)) is None
