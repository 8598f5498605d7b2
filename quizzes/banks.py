"""Question banks as YAML files (quizzes/banks/<course>.yaml): check everything, then import.

Questions and quizzes are matched by key, so importing again updates them in place and never
touches attempts; a question left out of the file is retired.
"""

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from courses.models import Course, Module
from lms.extensions import db
from lms.i18n import LANGUAGES
from lms.markdown import render_markdown
from lms.yamldoc import ContentError, line_of, load_yaml, read_text, require
from quizzes.models import (
    GradingMethod,
    Question,
    QuestionCategory,
    Quiz,
    QuizDraw,
    QuizKind,
    QuizQuestion,
    ReviewPolicy,
)
from quizzes.types import TYPES

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
BANKS_ROOT = Path(__file__).resolve().parent / "banks"


def _texts(path, mapping, key, optional=False) -> dict[str, str] | None:
    value = mapping.get(key)
    if value is None and optional:
        return None
    require(isinstance(value, dict) and all(isinstance(value.get(lang), str) and value[lang].strip()
                                            for lang in LANGUAGES), path, mapping, key,
            f"'{key}' needs a text in fr, ar and en")
    return {lang: value[lang].strip() for lang in LANGUAGES}


def question_from_yaml(path: Path, data: dict) -> dict:
    """A question's columns (type, mark, config, texts) from its YAML mapping, checked."""
    qtype = data.get("type")
    require(qtype in TYPES, path, data, "type", f"'type' must be one of: {', '.join(TYPES)}")
    mark = data.get("mark", 1)
    require(isinstance(mark, (int, float)) and not isinstance(mark, bool) and mark > 0, path, data, "mark",
            "'mark' must be a number above 0")
    stems = _texts(path, data, "stem")
    feedback = _texts(path, data, "feedback", optional=True) or {}
    texts = {lang: {"stem": stems[lang], "stem_html": render_markdown(stems[lang]),
                    "feedback_html": render_markdown(feedback[lang]) if feedback else ""} for lang in LANGUAGES}
    config: dict = {}
    if qtype in ("single", "multiple"):
        options = data.get("options")
        require(isinstance(options, list) and options, path, data, "options", "'options' must be a list")
        config["options"] = []
        for option in options:
            require(isinstance(option, dict) and isinstance(option.get("id"), (str, int)), path, data, "options",
                    "each option needs an 'id'")
            option_id = str(option["id"])
            config["options"].append({"id": option_id, "correct": bool(option.get("correct"))})
            option_texts = _texts(path, option, "text")
            option_feedback = _texts(path, option, "feedback", optional=True) or {}
            for lang in LANGUAGES:
                texts[lang].setdefault("options", {})[option_id] = option_texts[lang]
                if option_feedback:
                    texts[lang].setdefault("option_feedback", {})[option_id] = option_feedback[lang]
        if qtype == "multiple":
            config["scoring"] = data.get("scoring", "all_or_nothing")
    elif qtype == "true_false":
        config["answer"] = data.get("answer")
    elif qtype == "short_answer":
        answers = data.get("answers")
        # A bare string is not a list: it would accept each of its letters as an answer.
        require(isinstance(answers, dict) and all(isinstance(answers.get(lang) or [], list) for lang in LANGUAGES),
                path, data, "answers", "'answers' must list accepted answers per language")
        config["answers"] = {lang: [str(a) for a in answers.get(lang) or []] for lang in LANGUAGES}
        config["ignore_accents"] = bool(data.get("ignore_accents", True))
    elif qtype == "numerical":
        config["answer"], config["tolerance"] = data.get("answer"), data.get("tolerance", 0)
    elif qtype == "matching":
        pairs = data.get("pairs")
        require(isinstance(pairs, list), path, data, "pairs", "'pairs' must be a list")
        config["pairs"] = len(pairs)
        for pair in pairs:
            prompt, match = _texts(path, pair, "prompt"), _texts(path, pair, "match")
            for lang in LANGUAGES:
                texts[lang].setdefault("prompts", []).append(prompt[lang])
                texts[lang].setdefault("matches", []).append(match[lang])
    problems = TYPES[qtype].validate(config, texts)
    require(not problems, path, data, "type", "; ".join(problems))
    return {"type": qtype, "mark": float(mark), "config": config, "texts": texts}


def read_bank(path: Path) -> dict:
    """Parse and check a bank file; raise ContentError naming the file, line and reason."""
    path = Path(path)
    data = load_yaml(path, read_text(path))
    require(isinstance(data, dict), path, {}, None, "a bank must be a mapping")
    slug = data.get("course")
    require(isinstance(slug, str) and slug, path, data, "course", "'course' must name a course slug")
    categories = {}
    for category in data.get("categories") or []:
        key = category.get("key") if isinstance(category, dict) else None
        require(isinstance(key, str) and KEY.match(key) and key not in categories, path, category or data,
                "key", "each category needs a new key of lowercase letters, digits and hyphens")
        categories[key] = _texts(path, category, "title")
    require(categories, path, data, "categories", "'categories' must list at least one category")
    questions = {}
    for question in data.get("questions") or []:
        require(isinstance(question, dict), path, data, "questions", "each question must be a mapping")
        key = question.get("key")
        require(isinstance(key, str) and KEY.match(key) and key not in questions, path, question, "key",
                "each question needs a new key of lowercase letters, digits and hyphens")
        require(question.get("category") in categories, path, question, "category", "unknown category")
        questions[key] = {"category": question["category"], **question_from_yaml(path, question)}
    quizzes = {}
    for quiz in data.get("quizzes") or []:
        key = quiz.get("key") if isinstance(quiz, dict) else None
        require(isinstance(key, str) and KEY.match(key) and key not in quizzes, path, quiz or data, "key",
                "each quiz needs a new key")
        values = {
            "kind": quiz.get("kind"), "pass_mark": quiz.get("pass_mark", 0), "attempts": quiz.get("attempts", 1),
            "grading": quiz.get("grading", "highest"), "time_limit": quiz.get("time_limit"),
            "review": quiz.get("review", "after_last_attempt"),
        }
        require(values["kind"] in {k.value for k in QuizKind}, path, quiz, "kind", "unknown quiz kind")
        require(values["grading"] in {g.value for g in GradingMethod}, path, quiz, "grading", "unknown grading")
        require(values["review"] in {r.value for r in ReviewPolicy}, path, quiz, "review", "unknown review policy")
        require(isinstance(values["pass_mark"], (int, float)) and 0 <= values["pass_mark"] <= 100, path, quiz,
                "pass_mark", "'pass_mark' is a percent from 0 to 100")
        require(isinstance(values["attempts"], int) and values["attempts"] >= 0, path, quiz, "attempts",
                "'attempts' is a whole number (0: unlimited)")
        require(values["time_limit"] is None or (isinstance(values["time_limit"], int) and values["time_limit"] > 0),
                path, quiz, "time_limit", "'time_limit' is a number of minutes")
        draws = quiz.get("draw") or []
        for draw in draws:
            require(isinstance(draw, dict) and draw.get("category") in categories
                    and isinstance(draw.get("count"), int) and draw["count"] > 0, path, quiz, "draw",
                    "each draw needs a known category and a count")
        fixed = quiz.get("questions") or []
        require(all(k in questions for k in fixed), path, quiz, "questions", "unknown question key")
        require(draws or fixed, path, quiz, "key", "a quiz needs questions to draw or list")
        quizzes[key] = {**values, "titles": _texts(path, quiz, "title"), "draws": draws, "questions": fixed,
                        "module": quiz.get("module"), "shuffle_questions": bool(quiz.get("shuffle_questions", True)),
                        "shuffle_options": bool(quiz.get("shuffle_options", True)), "line": line_of(quiz, "key")}
    return {"path": path, "course": slug, "categories": categories, "questions": questions, "quizzes": quizzes}


def bank_files(path: Path | None = None) -> list[Path]:
    path = Path(path) if path else BANKS_ROOT
    return [path] if path.is_file() else sorted(path.glob("*.yaml"))


def import_bank(bank: dict) -> Course:
    """Write a checked bank: categories, questions and quizzes by key; missing questions retired."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == bank["course"]))
    if course is None:
        raise ContentError(bank["path"], None, f"no course '{bank['course']}': import the course first")
    categories = {c.key: c for c in db.session.scalars(
        sa.select(QuestionCategory).where(QuestionCategory.course_id == course.id))}
    for key, titles in bank["categories"].items():
        category = categories.get(key) or QuestionCategory(course_id=course.id, key=key)
        category.titles = titles
        db.session.add(category)
        categories[key] = category
    db.session.flush()
    questions = {q.key: q for q in db.session.scalars(sa.select(Question).where(Question.course_id == course.id))}
    for key, values in bank["questions"].items():
        question = questions.get(key) or Question(course_id=course.id, key=key)
        question.category_id = categories[values["category"]].id
        question.type, question.mark = values["type"], values["mark"]
        question.config, question.texts, question.is_retired = values["config"], values["texts"], False
        db.session.add(question)
        questions[key] = question
    for key, question in questions.items():
        if key not in bank["questions"]:
            question.is_retired = True
    db.session.flush()
    modules = {m.key: m.id for m in db.session.scalars(sa.select(Module).where(Module.course_id == course.id))}
    quizzes = {q.key: q for q in db.session.scalars(
        sa.select(Quiz).where(Quiz.course_id == course.id)
        .options(selectinload(Quiz.draws), selectinload(Quiz.fixed_questions)))}
    for key, values in bank["quizzes"].items():
        if values["module"] is not None and values["module"] not in modules:
            raise ContentError(bank["path"], values["line"], f"unknown module '{values['module']}'")
        quiz = quizzes.get(key) or Quiz(course_id=course.id, key=key, draws=[], fixed_questions=[])
        quiz.kind, quiz.titles = QuizKind(values["kind"]), values["titles"]
        quiz.pass_mark, quiz.attempts_allowed = float(values["pass_mark"]), values["attempts"]
        quiz.grading_method, quiz.review_policy = GradingMethod(values["grading"]), ReviewPolicy(values["review"])
        quiz.time_limit_minutes = values["time_limit"]
        quiz.shuffle_questions, quiz.shuffle_options = values["shuffle_questions"], values["shuffle_options"]
        quiz.module_id = modules.get(values["module"]) if values["module"] else None
        quiz.is_retired = False
        if key in quizzes:
            quiz.draws.clear()
            quiz.fixed_questions.clear()
        quiz.draws.extend(QuizDraw(category_id=categories[d["category"]].id, count=d["count"])
                          for d in values["draws"])
        quiz.fixed_questions.extend(QuizQuestion(question_id=questions[k].id, position=i)
                                    for i, k in enumerate(values["questions"]))
        db.session.add(quiz)
    for key, quiz in quizzes.items():
        if key not in bank["quizzes"]:
            quiz.is_retired = True
    db.session.flush()
    return course


def import_banks(path: Path | None = None) -> list[Course]:
    """Check every bank first, then import them all; one bad file stops everything."""
    banks = [read_bank(file) for file in bank_files(path)]
    return [import_bank(bank) for bank in banks]
