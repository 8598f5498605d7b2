from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from lms.accounts.models import Gender
from lms.accounts.services import (
    ARABIC_NAME,
    MIN_PASSWORD_LENGTH,
    OrganizationChoice,
    Profile,
)
from lms.forms import options
from lms.i18n import LANGUAGE_NAMES
from lms.organizations.models import OrganizationType
from lms.organizations.regions import Region
from lms.organizations.services import OrganizationDetails

NO_ORGANIZATION = "none"
NEW_ORGANIZATION = "new"


def _password_field(label):
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )


def _email_field():
    return EmailField(
        _l("Email address"),
        validators=[DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


def _consent_field():
    return BooleanField(
        _l(
            "I agree that Masar stores and processes my personal data to manage my training "
            "and to produce anonymous statistics for the programme's funders."
        ),
    )


class ProfileFields(FlaskForm):
    """The personal and demographic fields shared by registration and profile editing."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    full_name_ar = StringField(
        _l("Name in Arabic script (optional)"),
        validators=[Optional(), Length(max=200)],
        description=_l("Used on certificates issued in Arabic."),
        render_kw={"dir": "rtl", "lang": "ar"},
    )
    gender = SelectField(_l("Gender"), choices=[], validators=[InputRequired()])
    organization = SelectField(
        _l("Organization"),
        choices=[],
        validators=[InputRequired(message=_l("Choose your organization, or say you have none."))],
        description=_l(
            "If your organization is not in the list, choose “not listed” and give its name and type: "
            "an administrator will approve it."
        ),
    )
    new_organization_name = StringField(_l("Name of the new organization"), validators=[Length(max=200)])
    # Checked in validate(), and only when a new organization is proposed.
    new_organization_type = SelectField(_l("Type of the new organization"), choices=[], validate_choice=False)
    profession = StringField(
        _l("Profession or position"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "organization-title"},
    )
    city = StringField(
        _l("City"), validators=[DataRequired(), Length(max=100)], render_kw={"autocomplete": "address-level2"}
    )
    region = SelectField(_l("Region"), choices=[], validators=[InputRequired()])
    locale = SelectField(_l("Preferred language"), choices=[], validators=[InputRequired()])

    def __init__(self, *args, organizations=(), organization_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if organization_locked:
            # A manager's organization decides what they may see: only an administrator moves it.
            del self.organization
            del self.new_organization_name
            del self.new_organization_type
        placeholder = [("", _l("Choose…"))]
        self.gender.choices = options(placeholder + Gender.choices())
        self.region.choices = options(placeholder + Region.choices())
        self.locale.choices = options(list(LANGUAGE_NAMES.items()))
        if organization_locked:
            return
        self.organization.choices = options(
            placeholder
            + [(str(org.id), org.name) for org in organizations]
            + [
                (NEW_ORGANIZATION, _l("My organization is not listed: propose it below")),
                (NO_ORGANIZATION, _l("I do not belong to an organization")),
            ]
        )
        self.new_organization_type.choices = options(placeholder + OrganizationType.choices())

    def validate_full_name_ar(self, field):
        if field.data and not ARABIC_NAME.match(field.data):
            raise ValidationError(_l("Write this name in Arabic letters only."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "organization" in self and self.organization.data == NEW_ORGANIZATION:
            if not (self.new_organization_name.data or "").strip():
                self.new_organization_name.errors.append(_l("Give the name of your organization."))
                valid = False
            if self.new_organization_type.data not in {t.value for t in OrganizationType}:
                self.new_organization_type.errors.append(_l("Choose the type of your organization."))
                valid = False
        return valid

    def organization_choice(self) -> OrganizationChoice | None:
        if "organization" not in self:
            return None
        value = self.organization.data
        if value == NO_ORGANIZATION:
            return OrganizationChoice()
        if value == NEW_ORGANIZATION:
            return OrganizationChoice(
                proposal=OrganizationDetails(
                    name=self.new_organization_name.data.strip(),
                    type=OrganizationType(self.new_organization_type.data),
                    city=self.city.data or "",
                    region=Region(self.region.data) if self.region.data else None,
                )
            )
        return OrganizationChoice(organization_id=int(value))

    def to_profile(self) -> Profile:
        return Profile(
            full_name=self.full_name.data,
            full_name_ar=self.full_name_ar.data,
            gender=Gender(self.gender.data),
            profession=self.profession.data,
            city=self.city.data,
            region=Region(self.region.data),
            locale=self.locale.data,
            organization=self.organization_choice(),
        )

    def fill_from(self, user) -> None:
        """Pre-fill the form from an account (on GET only)."""
        self.full_name.data = user.full_name
        self.full_name_ar.data = user.full_name_ar
        self.gender.data = user.gender.value
        self.profession.data = user.profession
        self.city.data = user.city
        self.region.data = user.region.value if user.region else ""
        self.locale.data = user.locale
        if "organization" in self:
            self.organization.data = str(user.organization_id) if user.organization_id else NO_ORGANIZATION


class RegistrationForm(ProfileFields):
    email = _email_field()
    password = _password_field(_l("Password"))
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    consent = _consent_field()

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(_l("You must agree to the processing of your personal data."))


class ProfileForm(ProfileFields):
    pass


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    consent = _consent_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password_field(_l("New password"))
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        validators=[DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
