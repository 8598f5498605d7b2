"""Quizzes through HTTP: bank import, taking a quiz, limits, review rules, grading, completion, speed, concurrency.

Each test writes a small question bank for a course made with ``make.course`` and imports it with the
real ``flask lms import-banks`` command. The database is always read on fresh sessions.
"""

import html
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from flask_babel import force_locale, gettext

from courses.content_files import import_course, read_course_folder
from certificates.models import Certificate
from courses.models import Course, Enrollment, Lesson
from lms.db import utcnow
from lms.extensions import db
from quizzes.attempts import quiz_status, start_attempt
from quizzes.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    GradingMethod,
    Question,
    QuestionCategory,
    Quiz,
    QuizDraw,
    QuizKind,
    QuizOverride,
    QuizQuestion,
    ReviewPolicy,
)
from support import ON_POSTGRESQL, count, scalar, scalars, write_course

LANGUAGES = ("fr", "ar", "en")
SLUG = "quiz-course"
SHIPPED_BANKS = Path(__file__).resolve().parent.parent / "quizzes" / "banks"


# Writing banks -----------------------------------------------------------------------------------


def texts(label: str) -> dict:
    return {lang: f"{label} {lang}" for lang in LANGUAGES}


def question_yaml(key: str, qtype: str, category: str = "basics", ids=("a", "b", "c", "d"), right=("a",),
                  **fields) -> dict:
    """A question of ``qtype`` whose stems, feedback and options are labelled with its key."""
    data = {"key": key, "category": category, "type": qtype, "stem": texts(f"Stem {key}"),
            "feedback": texts(f"Explanation {key}")}
    if qtype in ("single", "multiple"):
        data["options"] = [{"id": option_id, "text": texts(f"Option {option_id} {key}"),
                            "feedback": texts(f"Remark {option_id} {key}"),
                            **({"correct": True} if option_id in right else {})} for option_id in ids]
    elif qtype == "true_false":
        data["answer"] = False
    elif qtype == "short_answer":
        data["answers"] = {"fr": ["Vulnérabilité"], "ar": ["هشاشة"], "en": ["vulnerability"]}
    elif qtype == "numerical":
        data.update(answer=42, tolerance=0.5)
    elif qtype == "matching":
        data["pairs"] = [{"prompt": texts(f"Prompt {i} {key}"), "match": texts(f"Match {i} {key}")} for i in range(3)]
    data.update(fields)
    return data


def default_questions() -> list[dict]:
    """Eight questions: every type, both multiple-choice scorings, option ids differing between questions."""
    return [
        question_yaml("single-1", "single", ids=("a", "b", "c")),
        question_yaml("single-2", "single", ids=("x", "y", "z"), right=("y",)),
        question_yaml("multiple-1", "multiple", right=("a", "b"), scoring="partial"),
        question_yaml("multiple-2", "multiple", ids=("m", "n", "o"), right=("m", "o"), scoring="all_or_nothing"),
        question_yaml("tf-1", "true_false"),
        question_yaml("short-1", "short_answer"),
        question_yaml("number-1", "numerical"),
        question_yaml("match-1", "matching"),
    ]


def quiz_yaml(key: str, kind: str, questions: list[str], **fields) -> dict:
    return {"key": key, "kind": kind, "title": texts(f"Quiz {key}"), "pass_mark": 0, "attempts": 1,
            "grading": "highest", "review": "after_last_attempt", "shuffle_questions": True,
            "shuffle_options": True, "questions": questions, **fields}


def bank(slug: str = SLUG, questions: list[dict] | None = None, quizzes: list[dict] | None = None) -> dict:
    questions = default_questions() if questions is None else questions
    keys = [question["key"] for question in questions]
    if quizzes is None:
        quizzes = [
            quiz_yaml("pre-test", "pre_test", keys, review="never"),
            quiz_yaml("post-test", "post_test", keys),
            quiz_yaml("final", "graded", keys, pass_mark=70, attempts=2, review="after_passing"),
        ]
    return {"course": slug, "categories": [{"key": "basics", "title": texts("Basics")},
                                           {"key": "more", "title": texts("More")}],
            "questions": questions, "quizzes": quizzes}


def write_bank(folder: Path, data: dict, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or data['course']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def import_banks(runner, path: Path):
    return runner.invoke(args=["lms", "import-banks", str(path)])


def import_ok(runner, path: Path) -> None:
    result = import_banks(runner, path)
    assert result.exit_code == 0, result.output


def install_bank(runner, tmp_path: Path, data: dict | None = None) -> Path:
    path = write_bank(tmp_path / "banks", data or bank())
    import_ok(runner, path)
    return path


# Reading and changing the database ---------------------------------------------------------------


def enrol(app, user, course) -> None:
    with app.app_context():
        db.session.add(Enrollment(user_id=user.id, course_id=course.id))
        db.session.commit()


def enrollment_of(app, user, course) -> Enrollment:
    return scalar(app, sa.select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id))


def quiz_id(app, key: str, slug: str = SLUG) -> int:
    return scalar(app, sa.select(Quiz.id).join(Course, Course.id == Quiz.course_id)
                  .where(Course.slug == slug, Quiz.key == key))


def set_quiz(app, key: str, slug: str = SLUG, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Quiz).where(Quiz.id == quiz_id(app, key, slug)).values(**values))
        db.session.commit()


def attempt_row(app, attempt_id: int) -> Attempt:
    return scalar(app, sa.select(Attempt).where(Attempt.id == attempt_id))


def set_attempt(app, attempt_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id).values(**values))
        db.session.commit()


def attempts_of(app, user, key: str, slug: str = SLUG) -> list[Attempt]:
    return scalars(app, sa.select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz_id(app, key, slug))
                   .order_by(Attempt.number))


def stored_answers(app, attempt_id: int) -> dict[int, object]:
    return {answer.question_id: answer.response
            for answer in scalars(app, sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))}


def question_by_key(app, key: str, slug: str = SLUG) -> Question:
    return scalar(app, sa.select(Question).join(Course, Course.id == Question.course_id)
                  .where(Course.slug == slug, Question.key == key))


def pages(app, attempt_id: int) -> list[tuple[dict, Question]]:
    """The attempt's frozen layout items with their questions, in the order shown."""
    attempt = attempt_row(app, attempt_id)
    questions = {q.id: q for q in scalars(app, sa.select(Question).where(
        Question.id.in_([item["question_id"] for item in attempt.layout])))}
    return [(item, questions[item["question_id"]]) for item in attempt.layout]


# Answering ---------------------------------------------------------------------------------------


def send(client, url: str, data: dict | None = None):
    """POST with the client's CSRF token (read once per client)."""
    if not getattr(client, "quiz_token", None):
        client.quiz_token = client.csrf_token()
    return client.post(url, data={"csrf_token": client.quiz_token, **(data or {})})


def answer_form(question: Question, item: dict, right: bool = True) -> dict:
    """The form values a learner sends for ``question``: the right answer or a wrong one."""
    field, config = f"q{question.id}", question.config
    if question.type in ("single", "multiple"):
        correct = [option["id"] for option in config["options"] if option["correct"]]
        wrong = [option["id"] for option in config["options"] if not option["correct"]]
        chosen = [str(item["order"].index(option)) for option in (correct if right else wrong)]
        # The form sends places in the frozen order, not option ids.
        return {field: sorted(chosen) if question.type == "multiple" else chosen[0]}
    if question.type == "true_false":
        return {field: "true" if config["answer"] is right else "false"}
    if question.type == "short_answer":
        return {field: config["answers"]["fr"][0] if right else "autre chose"}
    if question.type == "numerical":
        return {field: str(config["answer"]) if right else "beaucoup"}
    if question.type == "matching":
        pairs = config["pairs"]
        # Each select sends the place of the chosen match in the order the page shows.
        return {f"{field}-{i}": str(item["order"].index(str(i if right else (i + 1) % pairs))) for i in range(pairs)}
    raise AssertionError(question.type)


def start(client, key: str, slug: str = SLUG):
    """POST the start form; return (response, attempt id or None)."""
    response = send(client, f"/courses/{slug}/quizzes/{key}/start")
    match = re.fullmatch(r"/attempts/(\d+)/1", response.headers.get("Location", ""))
    return response, int(match.group(1)) if match else None


def answer_all(client, app, attempt_id: int, right=True) -> None:
    """Save an answer on every page, moving on; ``right`` is a bool or the set of keys answered right."""
    for number, (item, question) in enumerate(pages(app, attempt_id), start=1):
        is_right = right if isinstance(right, bool) else question.key in right
        response = send(client, f"/attempts/{attempt_id}/{number}",
                        {**answer_form(question, item, is_right), "action": "next"})
        assert response.status_code == 302, response.get_data(as_text=True)


def submit(client, attempt_id: int, data: dict | None = None):
    return send(client, f"/attempts/{attempt_id}/submit", data)


def take(client, app, key: str, right=True, slug: str = SLUG) -> int:
    """Start, answer every question and submit; return the attempt id."""
    response, attempt_id = start(client, key, slug)
    assert attempt_id, response.headers.get("Location")
    answer_all(client, app, attempt_id, right)
    assert submit(client, attempt_id).status_code == 302
    return attempt_id


def page_html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def say(app, message: str, locale: str = "fr", **values) -> str:
    """A message as the catalog renders it in ``locale``."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


# Fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def course(make):
    return make.course(slug=SLUG, lessons=2)


@pytest.fixture
def learner(app, make, course, client, login_as):
    """A signed-in learner enrolled in the course."""
    user = make.user()
    enrol(app, user, course)
    login_as(user)
    return user


@pytest.fixture
def banked(runner, course, tmp_path) -> Path:
    """The course with the default bank imported; returns the bank file."""
    return install_bank(runner, tmp_path)


# Bank import -------------------------------------------------------------------------------------


def test_importing_a_bank_creates_its_categories_questions_and_quizzes(app, runner, course, tmp_path):
    data = bank()
    data["quizzes"].append(quiz_yaml("drawn", "practice", ["single-1"], draw=[{"category": "more", "count": 2}],
                                     time_limit=15, grading="last", review="immediately", attempts=0))
    path = write_bank(tmp_path, data)

    result = import_banks(runner, path)

    assert result.exit_code == 0, result.output
    assert f"Imported the question bank of {SLUG}." in result.output
    assert sorted(c.key for c in scalars(app, sa.select(QuestionCategory))) == ["basics", "more"]
    questions = {q.key: q for q in scalars(app, sa.select(Question))}
    assert sorted(questions) == sorted(q["key"] for q in default_questions())
    assert {q.course_id for q in questions.values()} == {course.id}
    assert questions["match-1"].config == {"pairs": 3}
    assert questions["match-1"].texts["ar"]["matches"] == [f"Match {i} match-1 ar" for i in range(3)]
    assert questions["single-2"].config["options"] == [{"id": "x", "correct": False}, {"id": "y", "correct": True},
                                                     {"id": "z", "correct": False}]
    assert questions["multiple-1"].config["scoring"] == "partial"
    assert questions["number-1"].config == {"answer": 42, "tolerance": 0.5}
    for lang in LANGUAGES:
        assert questions["single-1"].texts[lang]["stem"] == f"Stem single-1 {lang}"
        assert f"Explanation single-1 {lang}" in questions["single-1"].texts[lang]["feedback_html"]
        assert questions["single-1"].texts[lang]["option_feedback"]["b"] == f"Remark b single-1 {lang}"
    quizzes = {q.key: q for q in scalars(app, sa.select(Quiz))}
    assert {key: quiz.kind for key, quiz in quizzes.items()} == {
        "pre-test": QuizKind.PRE_TEST, "post-test": QuizKind.POST_TEST, "final": QuizKind.GRADED,
        "drawn": QuizKind.PRACTICE}
    final, drawn = quizzes["final"], quizzes["drawn"]
    assert (final.pass_mark, final.attempts_allowed, final.review_policy) == (70, 2, ReviewPolicy.AFTER_PASSING)
    assert (drawn.time_limit_minutes, drawn.grading_method, drawn.attempts_allowed) == (15, GradingMethod.LAST, 0)
    assert count(app, QuizQuestion, QuizQuestion.quiz_id == final.id) == 8
    draws = scalars(app, sa.select(QuizDraw).where(QuizDraw.quiz_id == drawn.id))
    assert [(d.count, d.category_id) for d in draws] == [
        (2, scalar(app, sa.select(QuestionCategory.id).where(QuestionCategory.key == "more")))]


def test_importing_again_updates_questions_by_key_and_retires_those_left_out(app, runner, course, tmp_path, make,
                                                                             client, login_as):
    path = install_bank(runner, tmp_path)
    before = {q.key: q.id for q in scalars(app, sa.select(Question))}
    learner = make.user()
    enrol(app, learner, course)
    login_as(learner)
    attempt_id = take(client, app, "final")
    data = bank()
    data["questions"] = [q for q in data["questions"] if q["key"] != "tf-1"]
    data["questions"][0]["stem"] = texts("Reworded stem")
    data["questions"].append(question_yaml("tf-2", "true_false", answer=True))
    for quiz in data["quizzes"]:
        quiz["questions"] = [q["key"] for q in data["questions"]]
    data["quizzes"][2]["pass_mark"] = 50
    write_bank(path.parent, data)

    import_ok(runner, path)

    after = {q.key: q for q in scalars(app, sa.select(Question))}
    assert {key: after[key].id for key in before} == before  # same rows, matched by key
    assert after["single-1"].texts["en"]["stem"] == "Reworded stem en"
    assert after["tf-1"].is_retired and not after["tf-2"].is_retired
    assert [key for key, q in after.items() if q.is_retired] == ["tf-1"]
    assert count(app, Quiz) == 3
    assert scalar(app, sa.select(Quiz.pass_mark).where(Quiz.key == "final")) == 50
    fixed = scalars(app, sa.select(QuizQuestion.question_id).where(QuizQuestion.quiz_id == quiz_id(app, "final")))
    assert after["tf-1"].id not in fixed and after["tf-2"].id in fixed
    # The attempt taken before is untouched, and a new attempt never draws the retired question.
    attempt = attempt_row(app, attempt_id)
    assert attempt.score == 100 and after["tf-1"].id in [item["question_id"] for item in attempt.layout]
    _response, second = start(client, "final")
    assert after["tf-1"].id not in [item["question_id"] for item in attempt_row(app, second).layout]

    data["questions"].append(question_yaml("tf-1", "true_false"))
    write_bank(path.parent, data)
    import_ok(runner, path)
    assert not question_by_key(app, "tf-1").is_retired


def make_second_course_bank(app, runner, folder: Path) -> Path:
    """A valid bank for a second course, sorted before quiz-course so it is read first."""
    with app.app_context():
        import_course(read_course_folder(write_course(folder.parent / "courses", slug="another")), publish=True)
        db.session.commit()
    return write_bank(folder, bank("another"))


def test_a_quiz_left_out_of_the_bank_is_retired_and_no_longer_required(app, runner, learner, client, course,
                                                                      banked):
    data = bank()
    data["quizzes"] = [quiz for quiz in data["quizzes"] if quiz["key"] != "final"]
    write_bank(banked.parent, data)

    import_ok(runner, banked)

    assert scalar(app, sa.select(Quiz.is_retired).where(Quiz.id == quiz_id(app, "final"))) is True
    assert client.get(f"/courses/{SLUG}/quizzes/final").status_code == 404
    assert "Quiz final fr" not in page_html(client, f"/courses/{SLUG}")
    read_every_lesson(client, app, course)
    assert enrollment_of(app, learner, course).completed_at is not None

    import_ok(runner, write_bank(banked.parent, bank()))
    assert scalar(app, sa.select(Quiz.is_retired).where(Quiz.id == quiz_id(app, "final"))) is False


def line_in_question(text: str, key: str, line: str) -> int:
    """The number of the first line equal to ``line`` in question ``key`` of a dumped bank."""
    lines = text.split("\n")
    first = lines.index(f"- key: {key}")
    return lines.index(line, first) + 1


def break_yaml(text: str) -> tuple[str, int]:
    broken = text.replace("- key: tf-1\n", "- key: tf-1: oops\n")
    return broken, broken.split("\n").index("- key: tf-1: oops") + 1


def unknown_type(text: str) -> tuple[str, int]:
    return text.replace("type: true_false", "type: essay"), line_in_question(text, "tf-1", "  type: true_false")


def two_correct(text: str) -> tuple[str, int]:
    head, tail = text.split("- key: single-1\n")
    tail = tail.replace("  - id: b\n", "  - id: b\n    correct: true\n", 1)
    return head + "- key: single-1\n" + tail, line_in_question(text, "single-1", "  type: single")


def missing_language(text: str) -> tuple[str, int]:
    return text.replace("    ar: Stem short-1 ar\n", ""), line_in_question(text, "short-1", "  stem:")


def answers_not_listed(text: str) -> tuple[str, int]:
    broken = text.replace("  answers:\n    fr:\n    - Vulnérabilité\n", "  answers:\n    fr: Vulnérabilité\n")
    return broken, line_in_question(text, "short-1", "  answers:")


@pytest.mark.parametrize(("damage", "reason"), [
    (break_yaml, "invalid YAML"),
    (unknown_type, "'type' must be one of"),
    (two_correct, "needs exactly one correct option"),
    (missing_language, "'stem' needs a text in fr, ar and en"),
    (answers_not_listed, "'answers' must list accepted answers per language"),
], ids=["bad-yaml", "unknown-type", "single-with-two-correct", "missing-language", "answers-not-a-list"])
def test_a_malformed_bank_is_refused_with_file_and_line_and_nothing_is_written(app, runner, course, tmp_path,
                                                                            damage, reason):
    folder = tmp_path / "banks"
    other = make_second_course_bank(app, runner, folder)
    text = yaml.safe_dump(bank(), allow_unicode=True, sort_keys=False)
    broken, line = damage(text)
    assert broken != text
    path = folder / f"{SLUG}.yaml"
    path.write_text(broken, encoding="utf-8")

    result = import_banks(runner, folder)

    assert result.exit_code != 0
    assert f"{path}:{line}: " in result.output
    assert reason in result.output
    assert "nothing was imported" in result.output
    # The other, valid bank in the same folder was not written either.
    for model in (Question, QuestionCategory, Quiz, QuizQuestion, QuizDraw):
        assert count(app, model) == 0, model
    # The same folder with the damage repaired imports both banks.
    path.write_text(text, encoding="utf-8")
    import_ok(runner, folder)
    assert count(app, Quiz) == 6 and other.exists()


def test_a_malformed_bank_leaves_the_bank_already_imported_unchanged(app, runner, banked):
    text = banked.read_text(encoding="utf-8").replace("Stem single-1 en", "Changed stem")
    banked.write_text(unknown_type(text)[0], encoding="utf-8")

    result = import_banks(runner, banked)

    assert result.exit_code != 0
    assert question_by_key(app, "single-1").texts["en"]["stem"] == "Stem single-1 en"
    assert not question_by_key(app, "tf-1").is_retired


def test_a_bank_for_a_course_not_imported_is_refused(app, runner, course, tmp_path):
    result = import_banks(runner, write_bank(tmp_path, bank("no-such-course")))

    assert result.exit_code != 0
    assert "no course 'no-such-course'" in result.output
    assert count(app, Question) == 0


# Who may take a quiz -----------------------------------------------------------------------------


def test_only_enrolled_learners_see_and_start_a_quiz(app, make, client, login_as, banked):
    outsider = make.user()
    login_as(outsider)

    assert client.get(f"/courses/{SLUG}/quizzes/final").status_code == 403
    response, attempt_id = start(client, "final")

    assert response.status_code == 403 and attempt_id is None
    assert count(app, Attempt) == 0


def test_an_unknown_quiz_is_not_found(learner, client, banked):
    assert client.get(f"/courses/{SLUG}/quizzes/no-such-quiz").status_code == 404
    assert start(client, "no-such-quiz")[0].status_code == 404
    assert client.get("/courses/no-such-course/quizzes/final").status_code == 404


def test_an_enrolled_learner_sees_the_quiz_page_with_a_start_form(learner, client, banked):
    html_page = page_html(client, f"/courses/{SLUG}/quizzes/final")

    assert "Quiz final fr" in html_page
    assert f'action="/courses/{SLUG}/quizzes/final/start"' in html_page


# Starting: questions frozen ----------------------------------------------------------------------


def test_starting_freezes_the_questions_and_their_option_order(app, learner, client, banked):
    response, attempt_id = start(client, "final")

    assert response.status_code == 302
    attempt = attempt_row(app, attempt_id)
    assert attempt.state is AttemptState.IN_PROGRESS and attempt.number == 1 and attempt.language == "fr"
    items = pages(app, attempt_id)
    assert sorted(q.key for _item, q in items) == sorted(q["key"] for q in default_questions())
    for item, question in items:
        if question.type in ("single", "multiple"):
            assert sorted(item["order"]) == sorted(o["id"] for o in question.config["options"])
        elif question.type == "matching":
            assert sorted(item["order"]) == ["0", "1", "2"]
        else:
            assert item["order"] == []
    # Reloading shows the same question on each page, with options in the frozen order.
    for _round in range(2):
        for number, (item, question) in enumerate(items, start=1):
            shown = page_html(client, f"/attempts/{attempt_id}/{number}")
            assert f"Stem {question.key} fr" in shown
            if question.type in ("single", "multiple"):
                labels = re.findall(rf'<label for="q{question.id}-\d+">([^<]+)</label>', html.unescape(shown))
                assert labels == [question.texts["fr"]["options"][option] for option in item["order"]]
    assert attempt_row(app, attempt_id).layout == attempt.layout


def test_questions_added_to_the_quiz_after_the_start_are_not_in_the_attempt(app, runner, learner, client, banked):
    _response, attempt_id = start(client, "final")
    data = bank()
    data["questions"].append(question_yaml("late", "true_false"))
    data["quizzes"][2]["questions"].append("late")
    write_bank(banked.parent, data)
    import_ok(runner, banked)

    late = question_by_key(app, "late")
    assert late.id not in [item["question_id"] for item in attempt_row(app, attempt_id).layout]
    assert len(attempt_row(app, attempt_id).layout) == 8
    assert start(client, "final")[1] == attempt_id  # starting again resumes the same attempt


def test_a_quiz_draws_the_asked_number_of_questions_from_a_category(app, runner, learner, client, course, tmp_path):
    questions = default_questions() + [question_yaml(f"extra-{n}", "true_false", category="more") for n in range(5)]
    data = bank(questions=questions,
                quizzes=[quiz_yaml("drawn", "practice", ["single-1"], draw=[{"category": "more", "count": 3}])])
    install_bank(runner, tmp_path, data)

    _response, attempt_id = start(client, "drawn")

    keys = [q.key for _item, q in pages(app, attempt_id)]
    assert len(keys) == 4 and "single-1" in keys
    assert len({key for key in keys if key.startswith("extra-")}) == 3


# Saving, resuming, submitting --------------------------------------------------------------------


def checked_values(shown: str, field: str) -> list[str]:
    return re.findall(rf'<input[^>]*name="{field}"[^>]*value="([^"]*)"[^>]*\schecked', shown)


def restored(shown: str, question: Question) -> dict:
    """The answer a question page shows as already given, in the shape ``answer_form`` sends it."""
    field, shown = f"q{question.id}", html.unescape(shown)
    if question.type in ("single", "multiple", "true_false"):
        values = checked_values(shown, field)
        if question.type == "multiple" or len(values) > 1:
            return {field: sorted(values)} if values else {}
        return {field: values[0]} if values else {}
    if question.type in ("short_answer", "numerical"):
        values = [v for v in re.findall(rf'name="{field}" id="{field}" value="([^"]*)"', shown) if v]
        return {field: values[0]} if values else {}
    return dict(re.findall(r'<select name="([^"]+)".*?<option value="(\d+)" selected', shown, re.DOTALL))


def test_answers_are_saved_when_moving_on_and_shown_again_when_coming_back(app, learner, client, banked):
    _response, attempt_id = start(client, "final")

    answer_all(client, app, attempt_id, right=True)

    saved = {question_by_key(app, key).id: response for key, response in {
        "single-1": "a", "single-2": "y", "multiple-1": ["a", "b"], "multiple-2": ["m", "o"], "tf-1": False,
        "short-1": "Vulnérabilité", "number-1": "42", "match-1": {"0": "0", "1": "1", "2": "2"}}.items()}
    assert stored_answers(app, attempt_id) == saved
    for number, (item, question) in enumerate(pages(app, attempt_id), start=1):
        shown = page_html(client, f"/attempts/{attempt_id}/{number}")
        assert restored(shown, question) == answer_form(question, item), question.key


def test_a_page_left_unanswered_shows_no_answer(app, learner, client, banked):
    _response, attempt_id = start(client, "final")

    for number, (_item, question) in enumerate(pages(app, attempt_id), start=1):
        assert restored(page_html(client, f"/attempts/{attempt_id}/{number}"), question) == {}


def test_going_back_saves_the_page_and_shows_the_previous_question(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    items = pages(app, attempt_id)
    item, question = items[1]

    response = send(client, f"/attempts/{attempt_id}/2", {**answer_form(question, item), "action": "previous"})

    assert response.headers["Location"] == f"/attempts/{attempt_id}/1"
    assert question.id in stored_answers(app, attempt_id)
    last = send(client, f"/attempts/{attempt_id}/{len(items)}", {"action": "finish"})
    assert last.headers["Location"] == f"/attempts/{attempt_id}/finish"


def test_a_learner_who_lost_the_connection_continues_the_same_attempt(app, learner, client, login_as, banked):
    _response, attempt_id = start(client, "final")
    items = pages(app, attempt_id)
    for number, (item, question) in enumerate(items[:3], start=1):
        send(client, f"/attempts/{attempt_id}/{number}", {**answer_form(question, item), "action": "next"})

    elsewhere = app.test_client()
    login_as(learner, target=elsewhere)
    quiz_page = page_html(elsewhere, f"/courses/{SLUG}/quizzes/final")
    assert f'href="/attempts/{attempt_id}/1"' in quiz_page
    assert f'action="/courses/{SLUG}/quizzes/final/start"' not in quiz_page
    assert start(elsewhere, "final")[1] == attempt_id

    for number, (item, question) in enumerate(items[:3], start=1):
        assert restored(page_html(elsewhere, f"/attempts/{attempt_id}/{number}"), question) == answer_form(
            question, item)
    for number, (item, question) in enumerate(items[3:], start=4):
        send(elsewhere, f"/attempts/{attempt_id}/{number}", {**answer_form(question, item), "action": "next"})
    assert submit(elsewhere, attempt_id).status_code == 302

    assert count(app, Attempt) == 1
    assert attempt_row(app, attempt_id).score == 100


def test_the_finish_page_counts_the_answered_questions(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    item, question = pages(app, attempt_id)[0]
    send(client, f"/attempts/{attempt_id}/1", {**answer_form(question, item), "action": "next"})

    shown = page_html(client, f"/attempts/{attempt_id}/finish")

    assert say(app, "You answered %(answered)s of %(total)s questions. Your answers are saved.",
               answered="1", total="8") in html.unescape(shown)
    assert f'action="/attempts/{attempt_id}/submit"' in shown


def test_submitting_grades_on_the_server_with_the_marks_of_each_question(app, learner, client, banked):
    right = {"single-1", "multiple-1", "short-1", "match-1"}
    attempt_id = take(client, app, "final", right=right)

    attempt = attempt_row(app, attempt_id)
    assert attempt.state is AttemptState.GRADED and attempt.submitted_at is not None
    assert attempt.score == 50 and attempt.passed is False
    fractions = {answer.question_id: answer.fraction for answer in scalars(app, sa.select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt_id))}
    assert fractions == {question_by_key(app, key).id: (1.0 if key in right else 0.0)
                         for key in [q["key"] for q in default_questions()]}


def test_question_marks_weigh_the_score(app, runner, learner, client, course, tmp_path):
    questions = [question_yaml("heavy", "true_false", mark=3), question_yaml("light", "true_false")]
    install_bank(runner, tmp_path, bank(questions=questions,
                                        quizzes=[quiz_yaml("final", "graded", ["heavy", "light"], pass_mark=70)]))

    attempt_id = take(client, app, "final", right={"heavy"})

    assert attempt_row(app, attempt_id).score == 75 and attempt_row(app, attempt_id).passed is True


def test_unanswered_questions_count_zero(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    item, question = pages(app, attempt_id)[0]
    send(client, f"/attempts/{attempt_id}/1", {**answer_form(question, item), "action": "next"})

    submit(client, attempt_id)

    assert attempt_row(app, attempt_id).score == 12.5


def test_a_second_submission_changes_nothing(app, learner, client, banked):
    attempt_id = take(client, app, "final", right={"single-1", "tf-1"})
    first = attempt_row(app, attempt_id)

    again = submit(client, attempt_id)

    assert again.status_code == 302 and again.headers["Location"] == f"/attempts/{attempt_id}/result"
    second = attempt_row(app, attempt_id)
    assert (second.score, second.submitted_at, second.passed, second.state) == (
        first.score, first.submitted_at, first.passed, AttemptState.GRADED)
    assert count(app, Attempt) == 1


def test_answers_sent_after_submission_are_not_stored(app, learner, client, banked):
    attempt_id = take(client, app, "final", right=False)
    before = stored_answers(app, attempt_id)
    item, question = pages(app, attempt_id)[0]

    response = send(client, f"/attempts/{attempt_id}/1", {**answer_form(question, item, right=True), "action": "next"})

    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert stored_answers(app, attempt_id) == before
    assert attempt_row(app, attempt_id).score == 0


def test_question_pages_reveal_neither_answers_nor_feedback(app, learner, client, banked):
    _response, attempt_id = start(client, "final")

    for number, (item, question) in enumerate(pages(app, attempt_id), start=1):
        shown = page_html(client, f"/attempts/{attempt_id}/{number}")
        text = html.unescape(shown)
        assert f"Stem {question.key} fr" in text
        assert "Explanation" not in text and "Remark" not in text
        assert "correct" not in text.lower()
        assert "Vulnérabilité" not in text and "vulnerability" not in text and "هشاشة" not in text


def test_matching_selects_send_the_place_of_a_match_not_its_answer_key(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    items = pages(app, attempt_id)
    number, (_item, question) = next((n, entry) for n, entry in enumerate(items, start=1)
                                     if entry[1].type == "matching")
    layout = [dict(entry, order=["2", "0", "1"]) if entry["question_id"] == question.id else entry
              for entry, _q in items]
    set_attempt(app, attempt_id, layout=layout)

    shown = html.unescape(page_html(client, f"/attempts/{attempt_id}/{number}"))
    select = re.search(rf'<select name="q{question.id}-0".*?</select>', shown, re.DOTALL).group(0)
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', select)

    assert options == [("0", "Match 2 match-1 fr"), ("1", "Match 0 match-1 fr"), ("2", "Match 1 match-1 fr")]
    # Choosing by the text shown gives the right pairs.
    by_text = {label: value for value, label in options}
    send(client, f"/attempts/{attempt_id}/{number}",
         {f"q{question.id}-{i}": by_text[f"Match {i} match-1 fr"] for i in range(3)} | {"action": "finish"})
    assert stored_answers(app, attempt_id)[question.id] == {"0": "0", "1": "1", "2": "2"}


def test_a_forged_score_in_the_form_is_ignored(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    for number, (item, question) in enumerate(pages(app, attempt_id), start=1):
        send(client, f"/attempts/{attempt_id}/{number}",
             {**answer_form(question, item, right=False), "score": "100", "fraction": "1", "action": "next"})

    submit(client, attempt_id, {"score": "100", "passed": "true", "grade": "100"})

    attempt = attempt_row(app, attempt_id)
    assert attempt.score == 0 and attempt.passed is False
    assert set(scalars(app, sa.select(AttemptAnswer.fraction).where(AttemptAnswer.attempt_id == attempt_id))) == {0}


def test_an_option_of_another_question_is_refused_and_changes_nothing(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    items = pages(app, attempt_id)
    number_of = {question.key: number for number, (_item, question) in enumerate(items, start=1)}
    single, multiple = question_by_key(app, "single-1"), question_by_key(app, "multiple-2")
    order = items[number_of["single-1"] - 1][0]["order"]
    send(client, f"/attempts/{attempt_id}/{number_of['single-1']}",
         {f"q{single.id}": str(order.index("b")), "action": "next"})

    refused = [
        send(client, f"/attempts/{attempt_id}/{number_of['single-1']}", {f"q{single.id}": "y", "action": "next"}),
        send(client, f"/attempts/{attempt_id}/{number_of['multiple-2']}",
             {f"q{multiple.id}": ["m", "a"], "action": "next"}),
    ]

    assert [response.status_code for response in refused] == [400, 400]
    assert stored_answers(app, attempt_id) == {single.id: "b"}


def test_an_answer_to_a_question_not_in_the_attempt_is_not_stored(app, runner, learner, client, course, tmp_path):
    data = bank()
    data["quizzes"][2]["questions"] = ["single-1", "tf-1"]
    install_bank(runner, tmp_path, data)
    _response, attempt_id = start(client, "final")
    outside = question_by_key(app, "single-2")
    inside_item, inside = pages(app, attempt_id)[0]

    response = send(client, f"/attempts/{attempt_id}/1",
                    {**answer_form(inside, inside_item), f"q{outside.id}": "y", "action": "next"})

    assert response.status_code in (302, 400)
    assert outside.id not in stored_answers(app, attempt_id)
    assert count(app, AttemptAnswer, AttemptAnswer.question_id == outside.id) == 0
    assert client.get(f"/attempts/{attempt_id}/3").status_code == 404


def test_someone_elses_attempt_is_not_found_and_unchanged(app, make, learner, client, login_as, course, banked):
    _response, attempt_id = start(client, "final")
    item, question = pages(app, attempt_id)[0]
    send(client, f"/attempts/{attempt_id}/1", {**answer_form(question, item, right=False), "action": "next"})
    before = stored_answers(app, attempt_id)
    intruder = make.user()
    enrol(app, intruder, course)
    other = app.test_client()
    login_as(intruder, target=other)

    assert other.get(f"/attempts/{attempt_id}/1").status_code == 404
    assert send(other, f"/attempts/{attempt_id}/1",
                {**answer_form(question, item, right=True), "action": "next"}).status_code == 404
    assert other.get(f"/attempts/{attempt_id}/finish").status_code == 404
    assert submit(other, attempt_id).status_code == 404
    assert other.get(f"/attempts/{attempt_id}/result").status_code == 404

    attempt = attempt_row(app, attempt_id)
    assert attempt.state is AttemptState.IN_PROGRESS and attempt.submitted_at is None and attempt.score is None
    assert stored_answers(app, attempt_id) == before


def test_pages_of_an_attempt_need_a_signed_in_owner(app, learner, client, banked):
    _response, attempt_id = start(client, "final")
    anonymous = app.test_client()

    for url in (f"/attempts/{attempt_id}/1", f"/attempts/{attempt_id}/finish", f"/attempts/{attempt_id}/result"):
        assert anonymous.get(url).status_code == 302
        assert "/login" in anonymous.get(url).headers["Location"]


# Attempts, time and dates ------------------------------------------------------------------------


def test_no_attempt_starts_after_the_allowed_ones(app, learner, client, banked):
    take(client, app, "final", right=False)
    take(client, app, "final", right=False)

    response, attempt_id = start(client, "final")

    assert attempt_id is None and response.headers["Location"] == f"/courses/{SLUG}/quizzes/final"
    assert say(app, "You have used every attempt allowed for this quiz.") in flashes(client)
    assert len(attempts_of(app, learner, "final")) == 2
    assert f'action="/courses/{SLUG}/quizzes/final/start"' not in page_html(client, f"/courses/{SLUG}/quizzes/final")


def test_a_trainer_granted_extra_attempt_allows_exactly_one_more(app, learner, client, banked):
    set_quiz(app, "final", attempts_allowed=1)
    take(client, app, "final", right=False)
    assert start(client, "final")[1] is None
    with app.app_context():
        db.session.add(QuizOverride(quiz_id=quiz_id(app, "final"), user_id=learner.id, extra_attempts=1))
        db.session.commit()

    second = take(client, app, "final", right=True)

    assert attempt_row(app, second).number == 2
    assert start(client, "final")[1] is None
    assert len(attempts_of(app, learner, "final")) == 2


def test_unlimited_attempts_never_run_out(app, learner, client, banked):
    set_quiz(app, "final", attempts_allowed=0)
    for _number in range(3):
        take(client, app, "final", right=False)

    assert start(client, "final")[1] is not None
    assert len(attempts_of(app, learner, "final")) == 4


def test_the_time_limit_sets_a_deadline_and_extra_minutes_extend_it(app, make, learner, client, login_as, course,
                                                                    banked):
    set_quiz(app, "final", time_limit_minutes=10)
    _response, attempt_id = start(client, "final")
    attempt = attempt_row(app, attempt_id)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=10)

    slower = make.user()
    enrol(app, slower, course)
    with app.app_context():
        db.session.add(QuizOverride(quiz_id=quiz_id(app, "final"), user_id=slower.id, extra_minutes=15))
        db.session.commit()
    other = app.test_client()
    login_as(slower, target=other)
    _response, extended = start(other, "final")
    attempt = attempt_row(app, extended)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=25)


def test_without_a_time_limit_there_is_no_deadline(app, learner, client, banked):
    assert attempt_row(app, start(client, "final")[1]).deadline_at is None


def test_after_the_deadline_answers_are_refused_and_the_attempt_is_graded_with_what_was_saved(app, learner, client,
                                                                                              banked):
    set_quiz(app, "final", time_limit_minutes=10)
    _response, attempt_id = start(client, "final")
    items = pages(app, attempt_id)
    (first_item, first), (second_item, second) = items[0], items[1]
    send(client, f"/attempts/{attempt_id}/1", {**answer_form(first, first_item), "action": "next"})
    deadline = (utcnow() - timedelta(minutes=1)).replace(microsecond=0)
    set_attempt(app, attempt_id, deadline_at=deadline)

    response = send(client, f"/attempts/{attempt_id}/2", {**answer_form(second, second_item), "action": "next"})

    assert response.status_code == 302 and response.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert second.id not in stored_answers(app, attempt_id)
    attempt = attempt_row(app, attempt_id)
    assert attempt.state is AttemptState.GRADED
    assert attempt.score == 12.5  # the one answer saved in time, of eight
    assert attempt.submitted_at == deadline
    assert submit(client, attempt_id).status_code == 302
    assert attempt_row(app, attempt_id).submitted_at == deadline


def test_an_expired_attempt_is_closed_when_the_learner_comes_back_and_counts_as_used(app, learner, client, banked):
    set_quiz(app, "final", time_limit_minutes=10, attempts_allowed=1)
    _response, attempt_id = start(client, "final")
    set_attempt(app, attempt_id, deadline_at=utcnow() - timedelta(hours=1))

    _response, again = start(client, "final")

    assert again is None
    attempt = attempt_row(app, attempt_id)
    assert attempt.state is AttemptState.GRADED and attempt.score == 0
    assert len(attempts_of(app, learner, "final")) == 1


def test_a_quiz_not_open_yet_or_closed_refuses_to_start(app, learner, client, banked):
    now = utcnow()
    set_quiz(app, "final", opens_at=now + timedelta(days=1))
    assert start(client, "final")[1] is None
    set_quiz(app, "final", opens_at=None, closes_at=now - timedelta(days=1))
    assert start(client, "final")[1] is None
    assert count(app, Attempt) == 0

    set_quiz(app, "final", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
    assert start(client, "final")[1] is not None


# Review ------------------------------------------------------------------------------------------


def shows_review(client, attempt_id: int) -> bool:
    shown = page_html(client, f"/attempts/{attempt_id}/result")
    revealed = 'class="review"' in shown
    assert revealed == ("Explanation single-1 fr" in shown)
    return revealed


def test_review_immediately_shows_answers_after_any_attempt(app, learner, client, banked):
    set_quiz(app, "final", review_policy=ReviewPolicy.IMMEDIATELY)

    attempt_id = take(client, app, "final", right=False)

    assert shows_review(client, attempt_id)
    shown = html.unescape(page_html(client, f"/attempts/{attempt_id}/result"))
    assert "Remark b single-1 fr" in shown  # the feedback of the option chosen


def test_review_never_hides_answers_even_after_passing_every_attempt(app, learner, client, banked):
    set_quiz(app, "final", review_policy=ReviewPolicy.NEVER)

    first, second = take(client, app, "final", right=True), take(client, app, "final", right=True)

    assert not shows_review(client, first) and not shows_review(client, second)


def test_review_after_passing_waits_for_a_passing_grade(app, learner, client, banked):
    set_quiz(app, "final", review_policy=ReviewPolicy.AFTER_PASSING)

    failed = take(client, app, "final", right=False)
    assert not shows_review(client, failed)
    passed = take(client, app, "final", right=True)

    assert shows_review(client, passed)


def test_review_after_last_attempt_waits_for_the_last_allowed_attempt(app, learner, client, banked):
    set_quiz(app, "final", review_policy=ReviewPolicy.AFTER_LAST_ATTEMPT)

    first = take(client, app, "final", right=True)
    assert not shows_review(client, first)
    last = take(client, app, "final", right=False)

    assert shows_review(client, last) and shows_review(client, first)


# Grading method ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "expected"), [
    (GradingMethod.HIGHEST, 100), (GradingMethod.LAST, 25), (GradingMethod.FIRST, 50)])
def test_the_grading_method_picks_the_grade_among_attempts(app, learner, client, banked, method, expected):
    set_quiz(app, "final", attempts_allowed=0, grading_method=method)
    take(client, app, "final", right={"single-1", "single-2", "multiple-1", "multiple-2"})
    take(client, app, "final", right=True)
    take(client, app, "final", right={"tf-1", "short-1"})

    with app.app_context():
        status = quiz_status(db.session.get(Quiz, quiz_id(app, "final")), learner.id)
    assert [a.score for a in status.attempts] == [50, 100, 25]
    assert status.grade == expected
    assert status.passed is (expected >= 70)
    assert status.remaining is None and status.in_progress is None


# Pre-test, post-test, completion -----------------------------------------------------------------


def test_pre_and_post_test_scores_and_the_knowledge_gain_are_stored(app, learner, client, course, banked):
    take(client, app, "pre-test", right={"single-1", "tf-1"})
    after_pre = enrollment_of(app, learner, course)
    assert (after_pre.pre_test_score, after_pre.post_test_score, after_pre.knowledge_gain) == (25, None, None)

    take(client, app, "post-test", right={"single-1", "single-2", "multiple-1", "multiple-2", "tf-1", "match-1",
                                          "number-1"})

    enrollment = enrollment_of(app, learner, course)
    assert enrollment.pre_test_score == 25
    assert enrollment.post_test_score == 87.5
    assert enrollment.knowledge_gain == 62.5
    assert enrollment.completed_at is None  # the tests are not the graded quiz


def lesson_keys(app, course) -> list[str]:
    return scalars(app, sa.select(Lesson.key).where(Lesson.course_id == course.id).order_by(Lesson.key))


def read_every_lesson(client, app, course) -> None:
    for key in lesson_keys(app, course):
        assert client.get(f"/courses/{SLUG}/lessons/{key}").status_code == 200
        assert send(client, f"/courses/{SLUG}/lessons/{key}/done").status_code == 302


def test_the_pre_test_never_blocks_the_lessons(app, runner, learner, client, course, tmp_path):
    keys = [q["key"] for q in default_questions()]
    install_bank(runner, tmp_path, bank(quizzes=[quiz_yaml("pre-test", "pre_test", keys),
                                                 quiz_yaml("post-test", "post_test", keys)]))

    read_every_lesson(client, app, course)

    assert enrollment_of(app, learner, course).completed_at is not None
    assert count(app, Attempt) == 0


def test_a_course_with_a_graded_quiz_is_not_completed_by_lessons_alone(app, learner, client, course, banked):
    read_every_lesson(client, app, course)
    assert enrollment_of(app, learner, course).completed_at is None

    take(client, app, "final", right={"single-1"})
    assert enrollment_of(app, learner, course).completed_at is None
    assert count(app, Certificate) == 0

    response, attempt_id = start(client, "final")
    answer_all(client, app, attempt_id, True)
    submit(client, attempt_id)
    assert enrollment_of(app, learner, course).completed_at is not None
    assert count(app, Certificate, Certificate.user_id == learner.id) == 1
    congratulation = say(app, "Congratulations: you have completed this course. Your certificate is in “My certificates”.")
    assert flashes(client) == [congratulation]

    client.get(f"/attempts/{attempt_id}/result")
    submit(client, attempt_id)  # sent twice: no second congratulation, no second certificate
    assert congratulation not in flashes(client) and count(app, Certificate) == 1


def test_passing_the_graded_quiz_before_the_lessons_completes_the_course_at_the_last_lesson(app, learner, client,
                                                                                          course, banked):
    take(client, app, "final", right=True)
    assert enrollment_of(app, learner, course).completed_at is None

    read_every_lesson(client, app, course)

    assert enrollment_of(app, learner, course).completed_at is not None


def test_the_pre_and_post_tests_do_not_count_toward_completion(app, learner, client, course, banked):
    set_quiz(app, "final", is_retired=True)
    take(client, app, "pre-test", right=False)
    take(client, app, "post-test", right=False)

    read_every_lesson(client, app, course)

    assert enrollment_of(app, learner, course).completed_at is not None


# Speed -------------------------------------------------------------------------------------------


SPEED_TYPES = [("single", {}), ("multiple", {"right": ("a", "c"), "scoring": "partial"}), ("true_false", {}),
               ("short_answer", {}), ("numerical", {}), ("matching", {})]


def test_question_page_and_submission_run_the_same_queries_for_3_and_30_questions(app, runner, learner, client,
                                                                                  course, tmp_path, count_queries):
    questions = [question_yaml(f"q-{n:02d}", SPEED_TYPES[n % 6][0], **SPEED_TYPES[n % 6][1]) for n in range(30)]
    keys = [q["key"] for q in questions]
    install_bank(runner, tmp_path, bank(questions=questions, quizzes=[
        quiz_yaml("three", "graded", keys[:3], attempts=0, pass_mark=50, review="immediately"),
        quiz_yaml("thirty", "graded", keys, attempts=0, pass_mark=50, review="immediately")]))
    figures = {}
    for key in ("three", "thirty"):
        _response, attempt_id = start(client, key)
        answer_all(client, app, attempt_id, right=True)
        item, question = pages(app, attempt_id)[1]
        requests = [
            ("question page", "GET", f"/attempts/{attempt_id}/2", None),
            ("save answer", "POST", f"/attempts/{attempt_id}/2", {**answer_form(question, item), "action": "next"}),
            ("finish page", "GET", f"/attempts/{attempt_id}/finish", None),
            ("submission", "POST", f"/attempts/{attempt_id}/submit", None),
            ("result page", "GET", f"/attempts/{attempt_id}/result", None),
        ]
        measured = {}
        for name, method, url, data in requests:
            with count_queries() as statements:
                response = send(client, url, data) if method == "POST" else client.get(url)
            assert response.status_code in (200, 302), name
            measured[name] = len(statements)
        figures[key] = measured
        assert attempt_row(app, attempt_id).score == 100
    print(f"\nqueries for 3 and 30 questions: {figures}")
    assert figures["three"] == figures["thirty"]
    assert figures["thirty"]["question page"] <= 8
    assert figures["thirty"]["submission"] <= 20


# Concurrency (PostgreSQL) ------------------------------------------------------------------------


def race(clients, url: str) -> list:
    """POST ``url`` from every client at the same moment; return the status codes (or errors)."""
    tokens = [each.csrf_token() for each in clients]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def post(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = clients[index].post(url, data={"csrf_token": tokens[index]}).status_code
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertion
            results[index] = error

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def signed_in_clients(app, login_as, user, number: int = 8) -> list:
    clients = [app.test_client() for _ in range(number)]
    for each in clients:
        login_as(user, target=each)
    return clients


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_simultaneous_submissions_grade_the_attempt_once(app, learner, client, login_as, course, banked,
                                                         count_queries):
    assert sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"
    set_quiz(app, "final", attempts_allowed=1)
    _response, attempt_id = start(client, "final")
    answer_all(client, app, attempt_id, right=True)
    clients = signed_in_clients(app, login_as, learner)

    with count_queries() as statements:
        results = race(clients, f"/attempts/{attempt_id}/submit")

    assert results == [302] * len(clients)
    grading = [s for s in statements if re.match(r"\s*UPDATE attempts SET", s)]
    assert len(grading) == 1, grading
    attempt = attempt_row(app, attempt_id)
    assert attempt.state is AttemptState.GRADED and attempt.score == 100 and attempt.submitted_at is not None
    assert count(app, Attempt) == 1
    assert enrollment_of(app, learner, course).completed_at is None  # lessons are still to read


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_simultaneous_starts_create_one_attempt_when_one_is_allowed(app, learner, login_as, banked):
    assert sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"
    set_quiz(app, "final", attempts_allowed=1)
    clients = signed_in_clients(app, login_as, learner)

    results = race(clients, f"/courses/{SLUG}/quizzes/final/start")

    assert results == [302] * len(clients)
    assert len(attempts_of(app, learner, "final")) == 1


# The shipped banks -------------------------------------------------------------------------------


def test_every_shipped_bank_imports_with_enough_questions_in_three_languages_and_its_three_quizzes(app, runner,
                                                                                                      make):
    assert runner.invoke(args=["lms", "import-courses"]).exit_code == 0
    result = runner.invoke(args=["lms", "import-banks"])
    assert result.exit_code == 0, result.output

    files = sorted(SHIPPED_BANKS.glob("*.yaml"))
    assert files
    learner = make.user()
    for path in files:
        slug = yaml.safe_load(path.read_text(encoding="utf-8"))["course"]
        course_id = scalar(app, sa.select(Course.id).where(Course.slug == slug))
        assert course_id is not None, path
        questions = scalars(app, sa.select(Question).where(Question.course_id == course_id, sa.not_(Question.is_retired)))
        assert len(questions) >= 15, (slug, len(questions))
        for question in questions:
            for lang in LANGUAGES:
                assert question.texts[lang]["stem"].strip(), (slug, question.key, lang)
        kinds = scalars(app, sa.select(Quiz.kind).where(Quiz.course_id == course_id, sa.not_(Quiz.is_retired)))
        assert {QuizKind.PRE_TEST, QuizKind.POST_TEST, QuizKind.GRADED} <= set(kinds), slug
        # Every quiz has questions to draw: an attempt can start.
        with app.test_request_context():
            for quiz in db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course_id)):
                attempt = start_attempt(quiz, learner.id, "ar")
                expected = sum(d.count for d in db.session.scalars(
                    sa.select(QuizDraw).where(QuizDraw.quiz_id == quiz.id)))
                assert len(attempt.layout) >= max(expected, 1), (slug, quiz.key)
            db.session.rollback()
