"""Moodle's Aiken format: single-choice questions in plain text, and importing them."""

import pytest
import sqlalchemy as sa

from lms.yamldoc import ContentError
from quizzes.aiken import parse_aiken
from quizzes.models import Question, QuestionCategory
from quizzes.types import TYPES
from support import count, scalars

SAMPLE = """Quel texte international définit la traite des personnes ?
A. La Convention de Genève
B. Le Protocole de Palerme
C. Le Code du travail
ANSWER: B

Le consentement de la victime :
*même obtenu librement* au départ, que change-t-il ?
A) Il efface l'infraction
B) Il est sans effet lorsque des moyens de contrainte ont été utilisés
ANSWER: B
ما النص الدولي الذي يعرّف الاتجار بالبشر؟
A. اتفاقية جنيف
B. بروتوكول باليرمو
ANSWER: B
"""


def error_of(text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_aiken(text, "fr", path="banque.txt")
    return caught.value


def test_parses_questions_options_and_answers():
    first, second, third = parse_aiken(SAMPLE, "fr")

    assert (first.key, first.category, first.type, first.mark) == (
        "quel-texte-international-definit-la-traite-des", "", "single", 1.0)
    assert first.config == {"options": [{"id": "a", "correct": False}, {"id": "b", "correct": True},
                                        {"id": "c", "correct": False}]}
    assert first.texts == {"fr": {
        "stem": "Quel texte international définit la traite des personnes ?",
        "stem_html": "<p>Quel texte international définit la traite des personnes ?</p>",
        "feedback_html": "",
        "options": {"a": "La Convention de Genève", "b": "Le Protocole de Palerme", "c": "Le Code du travail"},
    }}
    assert TYPES["single"].grade(first.config, first.texts, "b") == 1.0
    # Several lines of Markdown make the stem; "A)" works as well as "A.".
    assert second.texts["fr"]["stem"] == ("Le consentement de la victime :\n*même obtenu librement* au départ, "
                                          "que change-t-il ?")
    assert "<em>même obtenu librement</em>" in second.texts["fr"]["stem_html"]
    assert second.texts["fr"]["options"]["b"] == "Il est sans effet lorsque des moyens de contrainte ont été utilisés"
    # No blank line is needed after ANSWER; Arabic text survives.
    assert third.key == "question"
    assert third.texts["fr"]["options"] == {"a": "اتفاقية جنيف", "b": "بروتوكول باليرمو"}
    assert third.texts["fr"]["stem"] == "ما النص الدولي الذي يعرّف الاتجار بالبشر؟"


def test_keys_are_unique_lowercase_answers_and_windows_line_ends():
    text = "\ufeffVrai ?\r\nA. Oui\r\nB. Non\r\nanswer: a\r\n\r\nVrai ?\r\nA. Oui\r\nB. Non\r\nANSWER:B\r\n"

    questions = parse_aiken(text, "en")

    assert [q.key for q in questions] == ["vrai", "vrai-2"]
    assert [[o["correct"] for o in q.config["options"]] for q in questions] == [[True, False], [False, True]]
    assert set(questions[0].texts) == {"en"}


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("Q1 ?\nA. Un\nB. Deux\nANSWER: A\n\nQ2 ?\nA. Un\nB. Deux\n", 6, "no 'ANSWER: letter' line"),
    ("Q1 ?\nA. Un\nB. Deux\n\nQ2 ?\nA. Un\nB. Deux\nANSWER: A\n", 1, "no 'ANSWER: letter' line"),
    ("Q1 ?\nA. Un\nB. Deux\nANSWER: A\n\nQ2 ?\nA. Un\nB. Deux\nANSWER: D\n", 6, "names D, which is not one of"),
    ("Q1 ?\nA. Un\nB. Deux\nANSWER: A\n\nQ2 ?\nA. Un\nB. Deux\nANSWER:\n", 6, "names nothing"),
    ("Q1 ?\nA. Un\nANSWER: A\n", 1, "at least 2 options"),
    ("Q1 ?\nANSWER: A\n", 1, "at least 2 options"),
    ("\nA. Un\nB. Deux\nANSWER: A\n", 2, "an option comes before the question text"),
    ("ANSWER: A\n", 1, "ANSWER comes before any question"),
    ("Q1 ?\nA. Un\nA. Deux\nANSWER: A\n", 1, "the option letter A is used twice"),
])
def test_malformed_files_name_the_line_and_reason(text, line, reason):
    error = error_of(text)

    assert (str(error.path), error.line) == ("banque.txt", line)
    assert reason in error.reason


def test_an_empty_file_has_no_questions():
    assert parse_aiken("\n\n", "fr") == []


# The command ------------------------------------------------------------------------------------


def course_questions(app, course) -> list[Question]:
    return scalars(app, sa.select(Question).where(Question.course_id == course.id).order_by(Question.id))


def test_the_command_imports_a_txt_file_as_aiken(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = tmp_path / "banque.txt"
    path.write_text(SAMPLE, encoding="utf-8")

    result = runner.invoke(args=["lms", "import-questions", str(path), "--course", "traite",
                                 "--category", "Pré-test"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Imported 3 questions."
    stored = course_questions(app, course)
    assert [(q.key, q.type, q.config, q.texts) for q in stored] == [
        (p.key, p.type, p.config, p.texts) for p in parse_aiken(SAMPLE, "fr")]
    categories = scalars(app, sa.select(QuestionCategory).where(QuestionCategory.course_id == course.id))
    assert [(c.key, c.titles) for c in categories] == [("pre-test", {"fr": "Pré-test"})]
    assert {q.category_id for q in stored} == {categories[0].id}


def test_the_command_writes_nothing_from_a_malformed_file(app, runner, make, tmp_path):
    make.course(slug="traite")
    path = tmp_path / "banque.aiken"
    path.write_text(SAMPLE + "\nQuestion sans réponse ?\nA. Oui\nB. Non\n", encoding="utf-8")

    result = runner.invoke(args=["lms", "import-questions", str(path), "--course", "traite", "--format", "aiken"])

    assert result.exit_code == 1
    assert f"{path}:17: the question has no 'ANSWER: letter' line" in result.output
    assert count(app, Question) == 0
    assert count(app, QuestionCategory) == 0
