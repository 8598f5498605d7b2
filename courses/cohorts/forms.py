from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from courses.cohorts.models import SessionMode
from lms.accounts.models import Gender
from lms.forms import options
from lms.organizations.models import OrganizationType


class CohortForm(FlaskForm):
    course = SelectField(_l("Course"), choices=[], validators=[InputRequired(message=_l("Choose a course."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: ANAPEC advisors, Casablanca, March 2026."))
    starts_on = DateField(_l("Start date"), validators=[InputRequired(message=_l("Give a date."))])
    ends_on = DateField(_l("End date"), validators=[InputRequired(message=_l("Give a date."))])
    capacity = IntegerField(_l("Capacity (optional)"), validators=[Optional(), NumberRange(min=1, max=100_000)])
    join_key = StringField(_l("Enrolment key (optional)"), validators=[Optional(), Length(min=4, max=64)],
                           description=_l("Learners who type this key join the cohort."))
    trainers = SelectMultipleField(_l("Trainers"), choices=[], coerce=int,
                                   validators=[DataRequired(message=_l("Choose at least one trainer."))])
    partners = SelectMultipleField(_l("Partner organizations"), choices=[], coerce=int, validators=[Optional()])

    def __init__(self, *args, course_choices=(), trainer_choices=(), organization_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course.choices = options([("", _l("Choose…"))] + list(course_choices))
        self.trainers.choices = [(user.id, user.full_name) for user in trainer_choices]
        self.partners.choices = [(org.id, org.name) for org in organization_choices]


class AddMemberForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=254)])


class ParticipantForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email address (optional)"), validators=[Optional(), Email(), Length(max=254)],
                       description=_l("If this person registers later with this address, the record joins their account."))
    gender = SelectField(_l("Gender"), choices=[], validators=[InputRequired()])
    organization_name = StringField(_l("Organization"), validators=[Optional(), Length(max=200)])
    organization_type = SelectField(_l("Type of organization"), choices=[], validators=[Optional()])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gender.choices = options([("", _l("Choose…"))] + Gender.choices())
        self.organization_type.choices = options([("", _l("None"))] + OrganizationType.choices())


class ImportMembersForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file to import."))])


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Date and time"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message=_l("Give a date and a time."))])
    duration_minutes = IntegerField(_l("Duration in minutes"), default=120,
                                    validators=[InputRequired(), NumberRange(min=5, max=24 * 60)])
    mode = SelectField(_l("Format"), choices=[], validators=[InputRequired()])
    place = StringField(_l("Place or link"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = options(SessionMode.choices())


class JoinForm(FlaskForm):
    key = StringField(_l("Enrolment key"), validators=[DataRequired(), Length(max=64)])


