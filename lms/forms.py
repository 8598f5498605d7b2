"""Helpers shared by every form-handling view."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.validators import InputRequired

from lms.errors import DomainError
from lms.i18n import LANGUAGE_NAMES


def apply_domain_error(form, error: DomainError) -> None:
    """Show a service's error next to the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_status(form) -> int:
    """422 when a submitted form is shown again with errors, 200 otherwise."""
    if request.method == "POST" and (form.errors or form.form_errors):
        return 422
    return 200


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes, usable without JavaScript."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for one-button actions."""


class LanguageForm(FlaskForm):
    locale = SelectField(choices=options(LANGUAGE_NAMES.items()), validators=[InputRequired()])
