"""The OpenAPI 3.1 description of the API, built from the same choices the endpoints check."""

from courses.models import Topic
from lms.accounts.models import Gender
from lms.api.auth import LANGUAGES
from lms.api.indicators import COUNTS, FIGURES, PUBLICATION
from lms.i18n import LANGUAGES as CONTENT_LANGUAGES
from lms.organizations.models import OrganizationType
from lms.organizations.regions import Region
from lms.reports.filters import FIRST_YEAR, LAST_YEAR, MAX_TEXT
from lms.reports.grids import MASKED
from lms.reports.indicators import DIMENSIONS

VERSION = "1.0.0"
MAX_ID = 2**31 - 1


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _values(enum) -> list[str]:
    return [member.value for member in enum]


def _query(name: str, description: str, schema: dict) -> dict:
    """An optional query parameter; an empty value counts as absent, as in the report page's query strings."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"anyOf": [schema, {"type": "string", "enum": [""]}]}}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _error(status: int) -> dict:
    return {"$ref": f"#/components/responses/{status}"}


LANG = _query("lang", "Language of labels, titles and messages.",
              {"type": "string", "enum": list(LANGUAGES), "default": "en"})
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _filter_parameters() -> list[dict]:
    date = {"type": "string", "format": "date"}
    return [
        _query("start", "First day (YYYY-MM-DD, local time), inclusive. Not with year.", date),
        _query("end", "Last day (YYYY-MM-DD), inclusive; not before start. Not with year.", date),
        _query("year", "A calendar year, instead of start and end.",
               {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}),
        _query("quarter", "A quarter of the year (needs year).", {"type": "integer", "minimum": 1, "maximum": 4}),
        _query("course", "A course id.", ID),
        _query("topic", "A course topic.", {"type": "string", "enum": _values(Topic)}),
        _query("cohort", "A cohort id.", ID),
        _query("organization", "An organization id.", ID),
        _query("organization_type", "A type of organization.",
               {"type": "string", "enum": _values(OrganizationType)}),
        _query("region", "A region (ISO 3166-2:MA code).", {"type": "string", "enum": _values(Region)}),
        _query("city", "A city, in any case.", {"type": "string", "maxLength": MAX_TEXT, "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}),
        _query("gender", "A gender.", {"type": "string", "enum": _values(Gender)}),
    ]


def _schemas() -> dict:
    count = {"type": "integer", "minimum": 0}
    masked = {"anyOf": [count, {"type": "string", "enum": [MASKED]}],
              "description": f"A count; with publication=1, counts of 1 to 4 read “{MASKED}”."}
    number = _nullable({"type": "number"})
    group = {"type": "object", "required": ["key", "label"], "additionalProperties": False,
             "properties": {"key": _nullable({"type": "string"}), "label": {"type": "string"}},
             "description": "A value of a dimension: its key (null when not recorded) and its label."}
    total = {"type": "object", "required": ["key", "label", "indicators"], "additionalProperties": False,
             "properties": {"key": _nullable({"type": "string"}), "label": {"type": "string"},
                            "indicators": _ref("Indicators")}}
    filters = {"type": "object", "additionalProperties": False, "properties": {
        "start": _nullable({"type": "string", "format": "date"}), "end": _nullable({"type": "string", "format": "date"}),
        "course": _nullable(ID), "topic": _nullable({"type": "string", "enum": _values(Topic)}), "cohort": _nullable(ID),
        "organization": _nullable(ID),
        "organization_type": _nullable({"type": "string", "enum": _values(OrganizationType)}),
        "region": _nullable({"type": "string", "enum": _values(Region)}), "city": _nullable({"type": "string"}),
        "gender": _nullable({"type": "string", "enum": _values(Gender)})}}
    filters["required"] = list(filters["properties"])
    dimension = {"type": "string", "enum": list(DIMENSIONS)}
    titles = {"type": "object", "required": list(CONTENT_LANGUAGES), "additionalProperties": False,
              "properties": {code: _nullable({"type": "string"}) for code in CONTENT_LANGUAGES}}
    return {
        "Error": {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {"error": {
            "type": "object", "required": ["code", "message", "fields"], "additionalProperties": False,
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                      "description": "A message for each invalid parameter, by name."}}}}},
        "Indicators": {
            "type": "object", "required": list(FIGURES), "additionalProperties": False,
            "properties": {**{name: masked for name in COUNTS},
                           "mean_pre": number, "mean_post": number, "mean_gain": number,
                           "share_improved": _nullable({"type": "number", "minimum": 0, "maximum": 1})},
            "description": "people_trained counts people once (completions and workshop attendance); tested are "
                           "enrolments with both a pre-test and a post-test score, improved those whose post-test "
                           "score is higher. Scores are null when nobody was tested (or, with publication=1, fewer "
                           "than 5)."},
        "Group": group,
        "GroupTotal": total,
        "IndicatorReport": {
            "type": "object", "required": ["filters", "rows", "columns", "publication", "language", "total"],
            "additionalProperties": False,
            "properties": {
                "filters": filters, "rows": _nullable(dimension), "columns": _nullable(dimension),
                "publication": {"type": "boolean"}, "language": {"type": "string", "enum": list(LANGUAGES)},
                "total": _ref("Indicators"),
                "groups": {"type": "array", "description": "With rows: one item per row (and column) that has facts.",
                           "items": {"type": "object", "required": ["rows", "columns", "indicators"],
                                     "additionalProperties": False,
                                     "properties": {"rows": _ref("Group"), "columns": _nullable(_ref("Group")),
                                                    "indicators": _ref("Indicators")}}},
                "row_totals": {"type": "array", "items": _ref("GroupTotal"), "description": "With columns."},
                "column_totals": {"type": "array", "items": _ref("GroupTotal"), "description": "With columns."},
            }},
        "Course": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "slug", "topic", "titles", "languages", "estimated_hours"],
            "properties": {"id": ID, "slug": {"type": "string"}, "topic": {"type": "string", "enum": _values(Topic)},
                           "titles": titles, "languages": {"type": "array", "items": {"type": "string"}},
                           "estimated_hours": {"type": "number"}}},
        "CourseList": {"type": "object", "required": ["courses"], "additionalProperties": False,
                       "properties": {"courses": {"type": "array", "items": _ref("Course")}}},
        "Cohort": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "course_id", "name", "starts_on", "ends_on", "member_count", "session_count"],
            "properties": {"id": ID, "course_id": ID, "name": {"type": "string"},
                           "starts_on": {"type": "string", "format": "date"},
                           "ends_on": {"type": "string", "format": "date"},
                           "member_count": {**count, "description": "For an organization manager, the members "
                                                                    "from their organization."},
                           "session_count": count}},
        "CohortList": {"type": "object", "required": ["cohorts"], "additionalProperties": False,
                       "properties": {"cohorts": {"type": "array", "items": _ref("Cohort")}}},
        "Certificate": {
            "type": "object", "additionalProperties": False,
            "required": ["code", "status", "kind", "kind_label", "holder_name", "holder_name_latin",
                         "holder_name_arabic", "course_title", "workshop", "hours", "completed_on", "issuer",
                         "issued_on", "revoked_on", "revocation_reason", "replaced"],
            "properties": {
                "code": {"type": "string", "pattern": "^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"},
                "status": {"type": "string", "enum": ["valid", "revoked"]},
                "kind": {"type": "string", "enum": ["completion", "attendance"]}, "kind_label": {"type": "string"},
                "holder_name": {"type": "string", "description": "As printed in the requested language."},
                "holder_name_latin": {"type": "string"}, "holder_name_arabic": _nullable({"type": "string"}),
                "course_title": {"type": "string"}, "workshop": _nullable({"type": "string"}),
                "hours": {"type": "number"}, "completed_on": {"type": "string", "format": "date"},
                "issuer": {"type": "string"}, "issued_on": {"type": "string", "format": "date"},
                "revoked_on": _nullable({"type": "string", "format": "date"}),
                "revocation_reason": _nullable({"type": "string"}),
                "replaced": {"type": "boolean", "description": "A new certificate was issued in its place."}}},
    }


def _responses() -> dict:
    error = _ref("Error")
    return {
        "401": _json(error, "No token, or a token that is unknown, revoked or expired, or whose owner is deactivated.",
                     {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}),
        "403": _json(error, "The token's owner does not have the right to read this."),
        "404": _json(error, "Not found."),
        "422": _json(error, "Invalid parameters; error.fields explains each one."),
        "429": _json(error, "Too many requests for this token; wait and try again."),
    }


def _operation(summary: str, description: str, parameters: list, schema: str, errors: tuple) -> dict:
    responses = {"200": _json(_ref(schema), "OK")}
    responses.update({str(status): _error(status) for status in errors})
    return {"get": {"summary": summary, "description": description, "parameters": parameters,
                    "responses": responses}}


def openapi_document() -> dict:
    """The whole document; the paths are relative to the server ``/api/v1``."""
    dimension = {"type": "string", "enum": list(DIMENSIONS)}
    indicators = _filter_parameters() + [
        _query("rows", "Group by this dimension; without it only the total is given.", dimension),
        _query("columns", "Group the rows by a second, different dimension.", dimension),
        _query("publication", f"1 masks counts of 1 to 4 people as “{MASKED}” and the scores of fewer than 5 "
                              "tested learners.", {"type": "string", "enum": [key for key in PUBLICATION if key]}),
        LANG,
    ]
    code = {"name": "code", "in": "path", "required": True, "description": "The certificate's code, with or "
            "without dashes.", "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Masar API", "version": VERSION,
                 "description": "Read-only access to Masar's indicators, catalogue, cohorts and certificate checks. "
                                "Administrators create personal access tokens at /admin/api-tokens; a token acts "
                                "with its owner's current role and organization."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/indicators": _operation(
                "Indicators", "The report's indicators under the same filters, within the token owner's scope "
                "(administrators: everything; managers: their organization; trainers: their cohorts). Needs a "
                "manager's, trainer's or administrator's token.", indicators, "IndicatorReport",
                (401, 403, 422, 429)),
            "/courses": _operation("Published courses", "Every published course, by id.", [], "CourseList",
                                   (401, 429)),
            "/cohorts": _operation(
                "Cohorts", "The cohorts the token's owner may see: every one for an administrator, the ones they "
                "train for a trainer, the ones with members of their organization for a manager.", [], "CohortList",
                (401, 403, 429)),
            "/certificates/{code}": _operation(
                "Check a certificate", "The facts the public verification page shows.", [code, LANG], "Certificate",
                (401, 404, 422, 429)),
            "/openapi.json": {"get": {"summary": "This document", "security": [], "parameters": [],
                                      "responses": {"200": {"description": "The OpenAPI document.", "content": {
                                          "application/json": {"schema": {"type": "object"}}}},
                                          "429": _error(429)}}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal access token: masar_ followed by 43 "
                                                              "characters."}},
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }
