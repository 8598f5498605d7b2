"""Moodle's Aiken format: single-choice questions in plain text.

    What does the Palermo Protocol define?
    A. Trafficking in persons
    B) Smuggling of goods
    ANSWER: A

The question text (one line or more, Markdown allowed) comes first, then options ``A.`` or ``A)``,
then ``ANSWER: letter``. Blank lines between questions are optional. Options get the ids "a",
"b"… in their order, whatever their letters.
"""

import re
from pathlib import Path

from lms.markdown import render_markdown
from lms.yamldoc import ContentError
from quizzes.gift import ParsedQuestion, key_for, option_ids, unique_key
from quizzes.types import TYPES

OPTION = re.compile(r"^([A-Z])[.)]\s+(\S.*)$")
ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)


def _question(path, start: int, stem_lines: list[str], options: list[tuple[str, str]], answer: str,
              answer_line: int, language: str) -> ParsedQuestion:
    def fail(reason):
        raise ContentError(path, start, reason)

    if len(options) < 2:
        fail("a question needs at least 2 options (A. … B. …)")
    letter = answer.strip().upper()
    letters = [option_letter for option_letter, _ in options]
    if letter not in letters:
        fail(f"ANSWER on line {answer_line} names {answer.strip() or 'nothing'}, which is not one of the "
             f"options {', '.join(letters)}")
    stem = "\n".join(stem_lines).strip()
    ids = option_ids(len(options))
    config = {"options": [{"id": option_id, "correct": option_letter == letter}
                          for option_id, (option_letter, _) in zip(ids, options)]}
    texts = {language: {"stem": stem, "stem_html": render_markdown(stem), "feedback_html": "",
                        "options": {option_id: text for option_id, (_, text) in zip(ids, options)}}}
    problems = TYPES["single"].validate(config, texts)
    if problems:
        fail("; ".join(problems))
    return ParsedQuestion(key=key_for("", stem), category="", type="single", mark=1.0, config=config, texts=texts)


def parse_aiken(text: str, language: str, path: str | Path = "upload.txt") -> list[ParsedQuestion]:
    """Every question of an Aiken file, or a ContentError naming the line where the bad one starts."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions, taken = [], set()
    start, stem_lines, options = None, [], []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            if stem_lines and not options:
                stem_lines.append("")
            continue
        answer = ANSWER.match(line)
        option = OPTION.match(line)
        if answer:
            if start is None:
                raise ContentError(path, number, "ANSWER comes before any question")
            question = _question(path, start, stem_lines, options, answer.group(1), number, language)
            question.key = unique_key(question.key, taken)
            questions.append(question)
            start, stem_lines, options = None, [], []
        elif option and start is not None and any(stem_lines):
            if option.group(1) in (letter for letter, _ in options):
                raise ContentError(path, start, f"the option letter {option.group(1)} is used twice (line {number})")
            options.append((option.group(1), option.group(2).strip()))
        elif option:
            raise ContentError(path, number, "an option comes before the question text")
        elif options:
            raise ContentError(path, start, "the question has no 'ANSWER: letter' line after its options")
        else:
            if start is None:
                start = number
            stem_lines.append(line)
    if start is not None:
        raise ContentError(path, start, "the question has no 'ANSWER: letter' line after its options")
    return questions
