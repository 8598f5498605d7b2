"""The read-only JSON API: indicators, catalogue, cohorts, certificate checks and the OpenAPI document."""

from flask import Blueprint, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from lms.api import queries
from lms.api.auth import rate_key, rate_limit, requested_language, token_required
from lms.api.errors import ApiError, error_response
from lms.api.indicators import indicator_report, parse_query
from lms.api.openapi import openapi_document
from lms.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limiter.limit(rate_limit, key_func=rate_key)(bp)


class AnyTextConverter(PathConverter):
    """A path part of any characters, line breaks included, so that odd input still gets a JSON answer."""

    regex = "[^/](?s:.)*?"


# Before the routes below, whose rules need the converter.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("anytext", AnyTextConverter))


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Errors raised outside the views (a rate limit, a bad request) in JSON too."""
    with force_locale(requested_language()):
        response = error_response(error.code or 500)
    for name, value in error.get_headers():
        if name.lower() in ("retry-after", "allow"):
            response.headers[name] = value
    return response


@bp.route("/indicators")
@token_required("reports.view")
def indicators(owner, language):
    query, errors = parse_query(request.args)
    if errors:
        raise ApiError(422, fields=errors)
    return jsonify(indicator_report(query, owner, language))


@bp.route("/courses")
@token_required()
def courses(owner, language):
    return jsonify({"courses": queries.published_courses()})


@bp.route("/cohorts")
@token_required("reports.view")  # the roles that see cohorts: managers, trainers and administrators
def cohorts(owner, language):
    return jsonify({"cohorts": queries.visible_cohorts(owner)})


@bp.route("/certificates/<anytext:code>")
@token_required()
def verify_certificate(owner, language, code):
    facts = queries.certificate_check(code, language)
    if facts is None:
        raise ApiError(404, _("No certificate has this code"), code="unknown_certificate")
    return jsonify(facts)


@bp.route("/openapi.json")
def openapi():
    response = jsonify(openapi_document())
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
