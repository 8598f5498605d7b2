"""Moodle GIFT files: read them into questions of our types, and write our questions back.

A GIFT file holds questions separated by blank lines; ``//`` lines are comments and
``$CATEGORY: path`` lines set the category (the path's last part) of the questions that follow.
One question reads ``::Title::[format]Question text{answers}``. What maps onto our types:

* ``{=right ~wrong ~wrong}`` one right answer: ``single``;
* ``{~%50%right ~%50%right ~%-100%wrong}`` weights, no ``=``: ``multiple`` scored ``partial`` (an
  answer with a positive weight is right; our grading gives every right answer the same share);
* ``{T}`` ``{TRUE}`` ``{F}`` ``{FALSE}``: ``true_false``, ``{T#if wrong#if right}``;
* ``{=answer =other answer}``: ``short_answer``, the answers stored for the file's language;
* ``{#42:0.5}`` ``{#1..5}`` ``{#=42:0 =%50%40:2}``: ``numerical`` (the 100% answer is kept);
* ``{=prompt -> match =… -> … =… -> …}`` (at least 3 pairs): ``matching``.

``#…`` after an answer is its feedback and ``####…`` before ``}`` the general feedback. Text after
the answers makes a fill-in-the-blank question: the answers' place shows as ``_____``.
``\\~ \\= \\# \\{ \\} \\: \\\\`` escape the special characters and ``\\n`` is a new line.
Formats: ``[markdown]`` (the default here), ``[html]`` and ``[moodle]`` (kept as HTML, which
render_markdown sanitizes), ``[plain]`` (escaped). Options, prompts, matches and per-answer feedback
are plain text in our model: HTML tags are removed from them.

Per-answer feedback goes to the language's ``option_feedback``, keyed by the option id for choice
questions, by "true"/"false" (the answer the learner gave) for true/false questions, by the answer's
index ("0", "1"…) for short answers and by "right"/"wrong" for numerical questions.

Not supported, and rejected with the reason: essays (``{}``), descriptions (no answers),
single-answer questions with several right or partly right answers, partial credit on short answers,
matching questions with extra wrong matches or fewer than 3 pairs, several answer blocks.
GIFT has no marks: every question gets 1.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nh3

from lms.markdown import render_markdown
from lms.yamldoc import ContentError
from quizzes.types import TYPES

KEY_LENGTH = 80
SLUG_LENGTH = 60  # leaves room for "-2", "-3"… within KEY_LENGTH
FORMATS = ("markdown", "html", "moodle", "plain")
HTML_FORMATS = ("html", "moodle")
WEIGHT = re.compile(r"^%\s*(-?\d+(?:\.\d+)?)\s*%")
NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}

# Escaped characters become private-use characters while the structure is read, then come back.
_ESCAPABLE = "\\~=#{}:"
_PLACEHOLDER = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPABLE)}
_RESTORE = str.maketrans({placeholder: char for char, placeholder in _PLACEHOLDER.items()})


@dataclass
class ParsedQuestion:
    """A question read from a file, in our columns, with its texts in one language."""

    key: str
    category: str
    type: str
    mark: float = 1.0
    config: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)


class _Invalid(Exception):
    """A problem with the question being read; parse_gift adds the file and line."""


# Keys -------------------------------------------------------------------------------------------


def slugify(text: str, length: int = SLUG_LENGTH) -> str:
    """Lowercase ASCII letters, digits and hyphens; accents dropped, other scripts left out."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > length:
        slug = slug[:length].rsplit("-", 1)[0] if "-" in slug[:length] else slug[:length]
    return slug.strip("-")


def key_for(title: str, stem: str) -> str:
    """The title's slug, else the first words of the stem, else "question"."""
    words = " ".join(re.findall(r"[^\W_]+", _strip_tags(stem))[:8])
    return slugify(title, KEY_LENGTH) or slugify(words, 50) or "question"


def unique_key(key: str, taken: set[str]) -> str:
    """``key``, or ``key-2``, ``key-3``… the first one not in ``taken`` (which it joins)."""
    base, number, candidate = key[:KEY_LENGTH], 1, key[:KEY_LENGTH]
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[:KEY_LENGTH - len(suffix)].rstrip("-") + suffix
    taken.add(candidate)
    return candidate


def option_ids(count: int) -> list[str]:
    """ "a", "b"… "z", then "aa", "ab"…"""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(count)]


# Text formats -----------------------------------------------------------------------------------


def _strip_tags(text: str) -> str:
    return html.unescape(nh3.clean(text, tags=set()))


def escape_markdown(text: str) -> str:
    """Plain text as Markdown that renders as the same text."""
    text = html.escape(text, quote=False)
    text = re.sub(r"([\\`*_\[\]])", r"\\\1", text)
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        line = re.sub(r"^([#+\-])", r"\\\1", line)
        line = re.sub(r"^(\d+)\.", r"\1\\.", line)
        lines.append(line)
    return "\n".join(lines)


def _split_format(text: str, default: str) -> tuple[str, str]:
    """A text's ``[format]`` prefix, if any, and the text without it (escapes restored, trimmed)."""
    text = text.strip()
    match = re.match(r"^\[(\w+)\]", text)
    if match and match.group(1) in FORMATS:
        return match.group(1), _restore(text[match.end():]).strip()
    return default, _restore(text).strip()


def _plain_text(raw: str, fmt: str) -> str:
    """An answer's or a feedback's text as plain text, its own format prefix honoured."""
    text_format, text = _split_format(raw, fmt)
    return _plain(text, text_format)


def _markdown(text: str, fmt: str) -> str:
    return escape_markdown(text) if fmt == "plain" else text


def _plain(text: str, fmt: str) -> str:
    return " ".join(_strip_tags(text).split()) if fmt in HTML_FORMATS else text


def _protect(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in _PLACEHOLDER:
                out.append(_PLACEHOLDER[following])
                index += 2
                continue
            if following == "n":
                out.append("\n")
                index += 2
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


# Reading ----------------------------------------------------------------------------------------


def _blocks(text: str):
    """(kind, first line, content) for each category line and each question, comments left out."""
    lines: list[str] = []
    start = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            if lines:
                yield "question", start, "\n".join(lines)
            lines, start = [], None
        elif line.startswith("//"):
            continue
        elif not lines and line.startswith("$CATEGORY:"):
            yield "category", number, line[len("$CATEGORY:"):].strip()
        else:
            if not lines:
                start = number
            lines.append(line)
    if lines:
        yield "question", start, "\n".join(lines)


def _category_name(path: str) -> str:
    """The last part of a Moodle category path ("$course$/top/Sub" gives "Sub"; "//" is a "/")."""
    parts = [part.replace("//", "/").strip() for part in re.split(r"(?<!/)/(?!/)", path)]
    parts = [part for part in parts if part]
    if parts and re.fullmatch(r"\$\w+\$", parts[0]):  # the context: $course$, $system$…
        parts = parts[2:] if parts[1:2] == ["top"] else parts[1:]
    if not parts:
        raise _Invalid("the $CATEGORY line names no category")
    return parts[-1]


def _weight(answer: str) -> tuple[float | None, str]:
    match = WEIGHT.match(answer)
    if not match:
        return None, answer
    weight = float(match.group(1))
    if not -100 <= weight <= 100:
        raise _Invalid(f"the weight {match.group(1)}% is not between -100% and 100%")
    return weight, answer[match.end():]


def _answer_and_feedback(answer: str, fmt: str) -> tuple[str, str]:
    text, _, feedback = answer.partition("#")
    return _plain_text(text, fmt), _plain_text(feedback, fmt)


def _split_answers(answers: str, separators: str) -> list[tuple[str, str]]:
    """(marker, text) for each answer starting with one of ``separators``; text before the first too."""
    pieces = re.split(f"([{re.escape(separators)}])", answers)
    result = [("", pieces[0])] if pieces[0].strip() else []
    result += [(pieces[i], pieces[i + 1]) for i in range(1, len(pieces), 2)]
    return result


def _tidy(number: float) -> float:
    """Whole numbers as int (42, not 42.0)."""
    return int(number) if float(number).is_integer() and abs(number) < 1e15 else number


def _number(text: str) -> float:
    text = text.strip()
    if not NUMBER.match(text):
        raise _Invalid(f"'{text}' is not a number")
    return _tidy(float(text))


def _choice(answers: str, fmt: str, lang_texts: dict) -> tuple[str, dict]:
    parsed = []
    for marker, answer in _split_answers(answers, "=~"):
        if marker == "=":
            weight = 100.0
        else:
            weight, answer = _weight(answer.strip())
            weight = weight or 0.0
        text, feedback = _answer_and_feedback(answer, fmt)
        if not text:
            raise _Invalid("an answer has no text")
        parsed.append((marker == "=", weight, text, feedback))
    if len(parsed) < 2:
        raise _Invalid("a multiple-choice question needs at least 2 answers")
    ids = option_ids(len(parsed))
    lang_texts["options"] = {option_id: text for option_id, (_, _, text, _) in zip(ids, parsed)}
    feedback = {option_id: fb for option_id, (_, _, _, fb) in zip(ids, parsed) if fb}
    if feedback:
        lang_texts["option_feedback"] = feedback
    if any(equal for equal, *_ in parsed):
        right = [weight for equal, weight, *_ in parsed if equal]
        if len(right) > 1:
            raise _Invalid("several answers are marked right with '=': for a question with several right "
                           "answers give every answer a weight (~%50%right ~%-100%wrong)")
        if any(weight for equal, weight, *_ in parsed if not equal):
            raise _Invalid("partly right or negative answers (~%50%) cannot be mixed with a '=' answer: "
                           "use weights on every answer instead")
        return "single", {"options": [{"id": i, "correct": equal} for i, (equal, *_) in zip(ids, parsed)]}
    if not any(weight > 0 for _, weight, *_ in parsed):
        raise _Invalid("no answer is right: mark the right answer with '=' or a positive weight (~%50%)")
    return "multiple", {"options": [{"id": i, "correct": weight > 0} for i, (_, weight, *_) in zip(ids, parsed)],
                        "scoring": "partial"}


def _true_false(answers: str, fmt: str, lang_texts: dict) -> tuple[str, dict]:
    value, *feedback = answers.split("#", 2)
    answer = TRUE_FALSE[value.strip().upper()]
    wrong, right = ([_plain_text(text, fmt) for text in feedback] + ["", ""])[:2]
    by_response = {str(answer).lower(): right, str(not answer).lower(): wrong}
    if any(by_response.values()):
        lang_texts["option_feedback"] = {key: text for key, text in by_response.items() if text}
    return "true_false", {"answer": answer}


def _short_answer(answers: str, fmt: str, lang_texts: dict, language: str) -> tuple[str, dict]:
    accepted, feedback = [], {}
    for _, answer in _split_answers(answers, "="):
        weight, answer = _weight(answer.strip())
        if weight is not None and weight != 100:
            raise _Invalid("partial credit (=%50%…) on a short answer is not supported: every answer is fully right")
        text, answer_feedback = _answer_and_feedback(answer, fmt)
        if not text:
            raise _Invalid("an answer has no text")
        if answer_feedback:
            feedback[str(len(accepted))] = answer_feedback
        accepted.append(text)
    if not accepted:
        raise _Invalid("a short answer question needs at least one answer")
    if feedback:
        lang_texts["option_feedback"] = feedback
    return "short_answer", {"answers": {language: accepted}, "ignore_accents": True}


def _numerical(answers: str, fmt: str, lang_texts: dict) -> tuple[str, dict]:
    answers, _, wrong = answers[1:].partition("~")
    candidates = []
    for _, answer in _split_answers(answers, "="):
        weight, answer = _weight(answer.strip())
        value, _, feedback = answer.partition("#")
        value = _restore(value).strip()
        if ".." in value.lstrip("-+"):
            low, high = (_number(part) for part in value.split("..", 1))
            if low > high:
                raise _Invalid(f"the range {value} ends below its start")
            middle, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in value:
            number, tolerance_text = value.split(":", 1)
            middle, tolerance = _number(number), _number(tolerance_text)
        else:
            middle, tolerance = _number(value), 0
        if tolerance < 0:
            raise _Invalid("a tolerance cannot be negative")
        candidates.append((100.0 if weight is None else weight, middle, tolerance, feedback))
    if not candidates:
        raise _Invalid("a numerical question needs a number")
    right = [candidate for candidate in candidates if candidate[0] == 100]
    if len(right) != 1:
        raise _Invalid("a numerical question needs exactly one answer worth 100%"
                       + (f" (found {len(right)})" if right else ""))
    _, middle, tolerance, feedback = right[0]
    clean = [_plain_text(text, fmt) for text in (feedback, wrong.partition("#")[2])]
    if any(clean):
        lang_texts["option_feedback"] = {key: text for key, text in zip(("right", "wrong"), clean) if text}
    return "numerical", {"answer": _tidy(middle), "tolerance": _tidy(tolerance)}


def _matching(answers: str, fmt: str, lang_texts: dict) -> tuple[str, dict]:
    prompts, matches = [], []
    for _, pair in _split_answers(answers, "="):
        if "->" not in pair:
            raise _Invalid("each pair of a matching question reads '=prompt -> match'")
        if "#" in pair:
            raise _Invalid("the pairs of a matching question cannot have feedback")
        prompt, match = pair.split("->", 1)
        prompt_format, prompt = _split_format(prompt, fmt)
        match_format, match = _split_format(match, fmt)
        prompt, match = _plain(prompt, prompt_format), _plain(match, match_format)
        if not match:
            raise _Invalid("a pair of a matching question has no match")
        if not prompt:
            raise _Invalid("matching questions with extra wrong matches (= -> match) are not supported")
        prompts.append(prompt)
        matches.append(match)
    if len(prompts) < 3:
        raise _Invalid("a matching question needs at least 3 pairs")
    lang_texts["prompts"], lang_texts["matches"] = prompts, matches
    return "matching", {"pairs": len(prompts)}


def _question(text: str, language: str, category: str) -> ParsedQuestion:
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _Invalid("the title has no closing '::'")
        title, text = _restore(text[2:end]).strip(), text[end + 2:].strip()
    start, end = text.find("{"), text.find("}")
    if start < 0 and end < 0:
        raise _Invalid("descriptions (text without answers in braces) are not supported")
    if start < 0 or end < start:
        raise _Invalid("unbalanced braces: write \\{ and \\} for braces in the text")
    if "{" in text[start + 1:] or "}" in text[end + 1:]:
        raise _Invalid("only one answer block {…} per question is supported")
    answers = text[start + 1:end].strip()
    # Text after the answers makes a fill-in-the-blank question, as in Moodle.
    stem_text = text[:start] + "_____" + text[end + 1:] if text[end + 1:].strip() else text[:start]
    general = ""
    if "####" in answers:
        answers, general = answers[:answers.rindex("####")].strip(), answers[answers.rindex("####") + 4:]
    if not answers:
        raise _Invalid("essay questions ({}) are not supported")

    fmt, stem = _split_format(stem_text, "markdown")
    stem = _markdown(stem, fmt)
    if not stem:
        raise _Invalid("the question has no text")
    feedback_format, feedback = _split_format(general, fmt)
    lang_texts = {"stem": stem, "stem_html": render_markdown(stem),
                  "feedback_html": render_markdown(_markdown(feedback, feedback_format)) if feedback else ""}

    head = answers.split("#", 1)[0].strip()
    if answers.startswith("#"):
        qtype, config = _numerical(answers, fmt, lang_texts)
    elif "~" in answers:
        qtype, config = _choice(answers, fmt, lang_texts)
    elif "=" in answers and "->" in answers:
        qtype, config = _matching(answers, fmt, lang_texts)
    elif head.upper() in TRUE_FALSE:
        qtype, config = _true_false(answers, fmt, lang_texts)
    else:
        qtype, config = _short_answer(answers, fmt, lang_texts, language)
    texts = {language: lang_texts}
    problems = TYPES[qtype].validate(config, texts)
    if problems:
        raise _Invalid("; ".join(problems))
    return ParsedQuestion(key=key_for(title, stem), category=category, type=qtype, mark=1.0, config=config,
                          texts=texts)


def parse_gift(text: str, language: str, path: str | Path = "upload.gift") -> list[ParsedQuestion]:
    """Every question of a GIFT file, or a ContentError naming the line where the bad one starts."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions, category, taken = [], "", set()
    for kind, line, content in _blocks(text):
        try:
            if kind == "category":
                category = _category_name(content)
                continue
            question = _question(_protect(content), language, category)
        except _Invalid as error:
            raise ContentError(path, line, str(error)) from None
        question.key = unique_key(question.key, taken)
        questions.append(question)
    return questions


# Writing ----------------------------------------------------------------------------------------


def escape_gift(text: str) -> str:
    """Text with GIFT's special characters escaped and new lines written as ``\\n``."""
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _weight_text(weight: float) -> str:
    return f"{weight:.5f}".rstrip("0").rstrip(".")


def _category_of(question, language: str) -> str:
    category = question.category
    if isinstance(category, str) or category is None:
        return category or ""
    titles = category.titles or {}
    return titles.get(language) or next((titles[code] for code in ("fr", "en", "ar") if titles.get(code)),
                                        category.key)


def _texts_of(question, language: str) -> tuple[str, dict]:
    texts = question.texts or {}
    for code in (language, "fr", "en", "ar", *texts):
        if texts.get(code):
            return code, texts[code]
    return language, {}


def _answers(question, language: str, texts: dict) -> list[str]:
    qtype, config = question.type, question.config
    option_feedback = texts.get("option_feedback") or {}

    def feedback(key) -> str:
        return "#" + escape_gift(option_feedback[key]) if option_feedback.get(key) else ""

    if qtype == "single":
        lines = []
        for option in config["options"]:
            text = escape_gift(texts["options"][option["id"]])
            marker = "=" if option.get("correct") else ("~%0%" if WEIGHT.match(text) else "~")
            lines.append(marker + text + feedback(option["id"]))
        return lines
    if qtype == "multiple":
        right = [option for option in config["options"] if option.get("correct")]
        wrong = [option for option in config["options"] if not option.get("correct")]
        return [f"~%{_weight_text(100 / len(right) if option.get('correct') else -100 / len(wrong))}%"
                + escape_gift(texts["options"][option["id"]]) + feedback(option["id"])
                for option in config["options"]]
    if qtype == "true_false":
        answer = config["answer"]
        right, wrong = option_feedback.get(str(answer).lower()), option_feedback.get(str(not answer).lower())
        text = "TRUE" if answer else "FALSE"
        if wrong or right:
            text += "#" + escape_gift(wrong or "")
        if right:
            text += "#" + escape_gift(right)
        return [text]
    if qtype == "short_answer":
        answers = config.get("answers") or {}
        accepted = answers.get(language) or next((answers[code] for code in ("fr", "en", "ar") if answers.get(code)),
                                                 [])
        return [("=%100%" if WEIGHT.match(answer) else "=") + escape_gift(answer) + feedback(str(index))
                for index, answer in enumerate(accepted)]
    if qtype == "numerical":
        number = f"#{_number_text(config['answer'])}:{_number_text(config.get('tolerance', 0))}" + feedback("right")
        return [number] + (["~" + feedback("wrong")] if option_feedback.get("wrong") else [])
    if qtype == "matching":
        return [f"={escape_gift(prompt)} -> {escape_gift(match)}"
                for prompt, match in zip(texts["prompts"], texts["matches"])]
    raise ValueError(f"question {question.key}: GIFT cannot hold a {qtype} question")


def _number_text(number) -> str:
    number = float(number)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def export_gift(questions, language: str) -> str:
    """Questions (Question rows with their category loaded, or ParsedQuestion) as a GIFT file.

    Texts come in ``language``, else the first language the question has. Stems are written as
    Markdown and general feedback as the HTML we keep. Marks and "all or nothing" scoring have no
    GIFT form: a multiple-choice question is written with the weights of partial scoring.
    """
    parts, current = [], None
    for question in questions:
        category = _category_of(question, language)
        if category and category != current:
            parts.append("$CATEGORY: $course$/top/" + category.replace("/", "//") + "\n")
            current = category
        code, texts = _texts_of(question, language)
        answers = _answers(question, code, texts)
        block = f"::{escape_gift(question.key)}::[markdown]{escape_gift(texts.get('stem', ''))} {{"
        if question.type in ("true_false", "numerical"):
            block += "".join(answers) if question.type == "true_false" else "\n\t" + "\n\t".join(answers)
            if question.type == "numerical":
                block += "\n"
        else:
            block += "\n" + "".join(f"\t{answer}\n" for answer in answers)
        if texts.get("feedback_html"):
            indent = "" if question.type == "true_false" else "\t"
            block += f"{indent}####[html]{escape_gift(texts['feedback_html'])}" + ("" if not indent else "\n")
        parts.append(block + "}\n")
    return "\n".join(parts)
