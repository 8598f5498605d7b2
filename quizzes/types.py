"""Question types behind one registry.

Each type checks its configuration, turns the submitted form into a stored response, and grades
that response on the server as a fraction between 0 and 1. Templates render each type from the
partial named by ``template``; nothing that reveals the answer is passed to them before review.
"""

import re
import unicodedata
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

TYPES: dict[str, "QuestionType"] = {}
ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})


class InvalidResponse(ValueError):
    """A submitted answer that no honest form could have produced."""


def register(cls):
    TYPES[cls.name] = cls()
    return cls


def normalize_text(text: str, ignore_accents: bool = True) -> str:
    """Fold case and spaces; optionally drop accents, Arabic diacritics and tatweel, unify alef forms."""
    text = " ".join(str(text).split()).casefold()
    if ignore_accents:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = ARABIC_MARKS.sub("", text).translate(ALEF_FORMS)
    return unicodedata.normalize("NFC", text)


def parse_number(text: str) -> float:
    """A number typed with a dot or a comma, in Latin or Arabic-Indic digits."""
    cleaned = "".join(str(unicodedata.digit(c)) if unicodedata.digit(c, None) is not None else c
                      for c in str(text).strip())
    cleaned = cleaned.replace("٫", ".").replace(",", ".").replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", cleaned):
        raise InvalidResponse("not a number")
    return float(cleaned)


class QuestionType:
    name = ""
    label = ""
    template = ""
    shuffles_options = False

    def validate(self, config: dict, texts: Mapping[str, dict]) -> list[str]:
        """Problems with a question of this type (empty when valid)."""
        return []

    def option_ids(self, config: dict) -> list[str]:
        return []

    def parse(self, form, field: str, question, layout: dict):
        """The stored response from submitted form values, or None when unanswered."""
        raise NotImplementedError

    def grade(self, config: dict, texts: Mapping[str, dict], response) -> float:
        raise NotImplementedError


def _option_at(layout: dict, place: str) -> str:
    """The option id shown at ``place`` (a string index) in an attempt's frozen order."""
    order = layout["order"]
    if place not in [str(index) for index in range(len(order))]:
        raise InvalidResponse("unknown option")
    return order[int(place)]


def _option_errors(config, texts, exactly_one: bool) -> list[str]:
    options = config.get("options") or []
    ids = [option.get("id") for option in options]
    errors = []
    if len(ids) < 2 or len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        errors.append("needs at least two options with distinct ids")
    correct = [option for option in options if option.get("correct")]
    if exactly_one and len(correct) != 1:
        errors.append("needs exactly one correct option")
    if not exactly_one and not correct:
        errors.append("needs at least one correct option")
    for language, text in texts.items():
        missing = [i for i in ids if not (text.get("options") or {}).get(i)]
        if missing:
            errors.append(f"options {', '.join(map(str, missing))} have no {language} text")
    return errors


@register
class SingleChoice(QuestionType):
    name = "single"
    label = _l("Single choice")
    template = "quizzes/types/_choice.html"
    shuffles_options = True

    def validate(self, config, texts):
        return _option_errors(config, texts, exactly_one=True)

    def option_ids(self, config):
        return [option["id"] for option in config["options"]]

    def parse(self, form, field, question, layout):
        # The form sends places in the frozen order, not option ids: ids could hint at the answer.
        value = form.get(field)
        if value in (None, ""):
            return None
        return _option_at(layout, value)

    def grade(self, config, texts, response):
        correct = next(option["id"] for option in config["options"] if option.get("correct"))
        return 1.0 if response == correct else 0.0


@register
class MultipleChoice(SingleChoice):
    name = "multiple"
    label = _l("Multiple choice")

    def validate(self, config, texts):
        errors = _option_errors(config, texts, exactly_one=False)
        if config.get("scoring", "all_or_nothing") not in ("all_or_nothing", "partial"):
            errors.append("scoring must be all_or_nothing or partial")
        return errors

    def parse(self, form, field, question, layout):
        values = form.getlist(field)
        if not values:
            return None
        if len(set(values)) != len(values):
            raise InvalidResponse("option sent twice")
        return sorted(_option_at(layout, value) for value in values)

    def grade(self, config, texts, response):
        chosen = set(response or [])
        correct = {option["id"] for option in config["options"] if option.get("correct")}
        if config.get("scoring", "all_or_nothing") == "all_or_nothing":
            return 1.0 if chosen == correct else 0.0
        wrong = {option["id"] for option in config["options"]} - correct
        score = len(chosen & correct) / len(correct) - (len(chosen & wrong) / len(wrong) if wrong else 0)
        return max(0.0, score)


@register
class TrueFalse(QuestionType):
    name = "true_false"
    label = _l("True or false")
    template = "quizzes/types/_true_false.html"

    def validate(self, config, texts):
        return [] if isinstance(config.get("answer"), bool) else ["answer must be true or false"]

    def parse(self, form, field, question, layout):
        value = form.get(field)
        if value in (None, ""):
            return None
        if value not in ("true", "false"):
            raise InvalidResponse("not true or false")
        return value == "true"

    def grade(self, config, texts, response):
        return 1.0 if response is config["answer"] else 0.0


@register
class ShortAnswer(QuestionType):
    name = "short_answer"
    label = _l("Short answer")
    template = "quizzes/types/_short_answer.html"

    def validate(self, config, texts):
        answers = config.get("answers") or {}
        if not any(answers.get(language) for language in texts):
            return ["needs accepted answers"]
        return []

    def parse(self, form, field, question, layout):
        value = (form.get(field) or "").strip()
        if len(value) > 200:
            raise InvalidResponse("too long")
        return value or None

    def grade(self, config, texts, response):
        ignore = config.get("ignore_accents", True)
        accepted = {normalize_text(answer, ignore) for answers in (config.get("answers") or {}).values()
                    for answer in answers}
        return 1.0 if normalize_text(response or "", ignore) in accepted else 0.0


@register
class Numerical(QuestionType):
    name = "numerical"
    label = _l("Number")
    template = "quizzes/types/_numerical.html"

    def validate(self, config, texts):
        answer, tolerance = config.get("answer"), config.get("tolerance", 0)
        if not isinstance(answer, (int, float)) or isinstance(answer, bool):
            return ["answer must be a number"]
        if not isinstance(tolerance, (int, float)) or tolerance < 0:
            return ["tolerance must be a number from 0"]
        return []

    def parse(self, form, field, question, layout):
        value = (form.get(field) or "").strip()
        if not value:
            return None
        if len(value) > 40:
            raise InvalidResponse("too long")
        return value

    def grade(self, config, texts, response):
        try:
            number = parse_number(response)
        except InvalidResponse:
            return 0.0
        return 1.0 if abs(number - config["answer"]) <= config.get("tolerance", 0) + 1e-9 else 0.0


@register
class Matching(QuestionType):
    name = "matching"
    label = _l("Matching")
    template = "quizzes/types/_matching.html"
    shuffles_options = True

    def validate(self, config, texts):
        count = config.get("pairs")
        if not isinstance(count, int) or count < 3:
            return ["needs at least three pairs"]
        errors = []
        for language, text in texts.items():
            if len(text.get("prompts") or []) != count or len(text.get("matches") or []) != count:
                errors.append(f"needs {count} prompts and matches in {language}")
        return errors

    def option_ids(self, config):
        return [str(index) for index in range(config["pairs"])]

    def parse(self, form, field, question, layout):
        # Each select sends the place of the chosen match in the frozen order, not the match's index:
        # the index of prompt i's right match is i, so sending it would put the answer in the page.
        order = layout["order"]
        places = [str(place) for place in range(len(order))]
        response = {}
        for index in range(question.config["pairs"]):
            value = form.get(f"{field}-{index}")
            if value in (None, ""):
                continue
            if value not in places:
                raise InvalidResponse("unknown match")
            response[str(index)] = order[int(value)]
        return response or None

    def grade(self, config, texts, response):
        response = response or {}
        return sum(1 for index in range(config["pairs"]) if response.get(str(index)) == str(index)) / config["pairs"]
