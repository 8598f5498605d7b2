from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from lms.accounts.models import Gender, Role
from lms.audit import ACTIONS
from lms.forms import options
from lms.organizations.regions import Region


class UserFilterForm(FlaskForm):
    """Search and filters of the user list, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[], validators=[Optional()])
    organization = SelectField(_l("Organization"), choices=[], validators=[Optional()])
    region = SelectField(_l("Region"), choices=[], validators=[Optional()])
    gender = SelectField(_l("Gender"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _l("All"))]
        self.role.choices = options(every + Role.choices())
        self.organization.choices = options(every + [(str(org.id), org.name) for org in organizations])
        self.region.choices = options(every + Region.choices())
        self.gender.choices = options(every + Gender.choices())
        self.status.choices = options(every + [("active", _l("Active")), ("inactive", _l("Deactivated"))])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[], validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = options(Role.choices())


class UserOrganizationForm(FlaskForm):
    organization = SelectField(_l("Organization"), choices=[], validators=[Optional()])

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization.choices = options(
            [("", _l("No organization"))] + [(str(org.id), org.name) for org in organizations]
        )


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file to import."))])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Event"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = options([("", _l("All")), *ACTIONS.items()])
