from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from lms.forms import options
from lms.i18n import LANGUAGE_NAMES


class VerifyForm(FlaskForm):
    """The code typed by someone checking a certificate, read from the query string."""

    class Meta:
        csrf = False

    code = StringField(_l("Certificate code"), validators=[DataRequired(), Length(max=64)],
                       description=_l("16 letters and digits, printed under the QR code, e.g. 7KQ2-M9XD-4TAF-B3WZ."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                  "dir": "ltr"})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason.")), Length(max=1000)],
                           render_kw={"rows": 3})


class ManualIssueForm(FlaskForm):
    email = EmailField(_l("Learner's email address"), validators=[DataRequired(), Email(), Length(max=254)])
    course = SelectField(_l("Course"), choices=[], validators=[InputRequired(message=_l("Choose a course."))])
    language = SelectField(_l("Language of the certificate"), choices=[], validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason.")), Length(max=1000)],
                           description=_l("For example: completed the training in a workshop, without the platform."),
                           render_kw={"rows": 3})

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course.choices = options([("", _l("Choose…"))] + list(courses))
        self.language.choices = options([("", _l("The learner's language"))] + list(LANGUAGE_NAMES.items()))


class IssuerSettingsForm(FlaskForm):
    name_fr = StringField(_l("Issuer's name in French"), validators=[DataRequired(), Length(max=200)])
    name_ar = StringField(_l("Issuer's name in Arabic"), validators=[Optional(), Length(max=200)],
                          render_kw={"dir": "rtl", "lang": "ar"})
    name_en = StringField(_l("Issuer's name in English"), validators=[Optional(), Length(max=200)])
    signatory_name = StringField(_l("Signatory's name"), validators=[Optional(), Length(max=200)])
    title_fr = StringField(_l("Signatory's title in French"), validators=[Optional(), Length(max=200)])
    title_ar = StringField(_l("Signatory's title in Arabic"), validators=[Optional(), Length(max=200)],
                           render_kw={"dir": "rtl", "lang": "ar"})
    title_en = StringField(_l("Signatory's title in English"), validators=[Optional(), Length(max=200)])
    design = SelectField(_l("Design"), choices=[], validators=[InputRequired()])

    def __init__(self, *args, designs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.design.choices = options(list(designs))


class CertificateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name, email or code"), validators=[Optional(), Length(max=100)])
    course = SelectField(_l("Course"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    issued_from = DateField(_l("Issued from"), validators=[Optional()])
    issued_to = DateField(_l("Issued until"), validators=[Optional()])

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _l("All"))]
        self.course.choices = options(every + list(courses))
        self.status.choices = options(every + [("valid", _l("Valid")), ("revoked", _l("Revoked"))])
