"""Moodle GIFT files: reading every supported feature, refusing what we cannot hold, writing back,
and the ``flask lms import-questions`` / ``export-gift`` commands."""

import pytest
import sqlalchemy as sa
import yaml

from lms.extensions import db
from lms.yamldoc import ContentError
from quizzes.gift import ParsedQuestion, escape_gift, export_gift, parse_gift
from quizzes.importing import import_questions
from quizzes.models import Question, QuestionCategory
from quizzes.types import TYPES
from support import count, scalars

# A realistic file, written after the examples of Moodle's GIFT documentation.
SAMPLE = r"""// Formation : la traite des personnes.
// Les lignes qui commencent par deux barres obliques sont des commentaires.

$CATEGORY: $course$/top/Traite des personnes/Définitions

::Palerme::Quel texte international définit la traite des personnes ?{
    =Le Protocole de Palerme#Oui : il a été adopté en 2000.
    ~La Convention de Genève#Non, elle protège les réfugiés.
    ~Le Code du travail
    ####Le **Protocole de Palerme** complète la Convention contre la criminalité transnationale organisée.
}

::Trois éléments:: Quels sont les trois éléments de la définition ? {
    ~%33.33333%L'acte
    ~%33.33333%Le moyen
    ~%33.33333%La finalité d'exploitation
    ~%-100%Le passage d'une frontière#Non : la traite peut être interne.
}

// Vrai ou faux, avec un retour pour la mauvaise puis pour la bonne réponse.
::Consentement::Le consentement de la victime efface l'infraction.{F#Non : le consentement obtenu par la tromperie est sans effet.#Exact.}

::Frontière:: La traite peut avoir lieu sans franchir de frontière. {TRUE}

::Capitale:: Quelle ville accueille le Parlement du Maroc ? {=Rabat =الرباط#Bien, en arabe.}

$CATEGORY: $course$/top/Traite des personnes/Chiffres

::Année:: En quelle année le Protocole de Palerme a-t-il été adopté ? {#2000:1}

::Éléments:: Combien d'éléments compte la définition ? {#2..4}

::Ratification::Quand le Maroc a-t-il ratifié le Protocole ?{#
    =2011:0#Exact !
    =%50%2011:2#Presque.
    ~#Non : en 2011.
}

Le Protocole de Palerme a été adopté en {#2000} par l'Assemblée générale.

$CATEGORY: $course$/top/Traite des personnes/Correspondances

::Éléments de la définition::
Associez chaque élément à un exemple.
{
    =L'acte -> Le recrutement
    =Le moyen -> La tromperie
    =La finalité -> L'exploitation
    ####Les trois éléments doivent être réunis pour un adulte.
}

La traite est {~un délit mineur =un crime grave ~une infraction administrative} selon la loi 27-14.

::HTML::[html]<p>Une question en <b>HTML</b></p>{=<b>Oui</b> ~Non}
"""


def parse(text: str, language: str = "fr") -> list[ParsedQuestion]:
    return parse_gift(text, language)


def by_key(questions) -> dict[str, ParsedQuestion]:
    return {question.key: question for question in questions}


def only(text: str, language: str = "fr") -> ParsedQuestion:
    questions = parse(text, language)
    assert len(questions) == 1
    return questions[0]


def error_of(text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_gift(text, "fr", path="banque.gift")
    return caught.value


# Every supported feature ------------------------------------------------------------------------


def test_the_sample_gives_one_question_of_each_kind_with_its_category():
    questions = parse(SAMPLE)

    assert [(q.key, q.type, q.category) for q in questions] == [
        ("palerme", "single", "Définitions"),
        ("trois-elements", "multiple", "Définitions"),
        ("consentement", "true_false", "Définitions"),
        ("frontiere", "true_false", "Définitions"),
        ("capitale", "short_answer", "Définitions"),
        ("annee", "numerical", "Chiffres"),
        ("elements", "numerical", "Chiffres"),
        ("ratification", "numerical", "Chiffres"),
        ("le-protocole-de-palerme-a-ete-adopte-en", "numerical", "Chiffres"),
        ("elements-de-la-definition", "matching", "Correspondances"),
        ("la-traite-est-selon-la-loi-27-14", "single", "Correspondances"),
        ("html", "single", "Correspondances"),
    ]
    for question in questions:
        assert question.mark == 1
        assert set(question.texts) == {"fr"}
        assert TYPES[question.type].validate(question.config, question.texts) == []


def test_single_choice_with_option_feedback_and_general_feedback():
    question = by_key(parse(SAMPLE))["palerme"]

    assert question.config == {"options": [{"id": "a", "correct": True}, {"id": "b", "correct": False},
                                           {"id": "c", "correct": False}]}
    texts = question.texts["fr"]
    assert texts["stem"] == "Quel texte international définit la traite des personnes ?"
    assert texts["stem_html"] == "<p>Quel texte international définit la traite des personnes ?</p>"
    assert texts["options"] == {"a": "Le Protocole de Palerme", "b": "La Convention de Genève",
                                "c": "Le Code du travail"}
    assert texts["option_feedback"] == {"a": "Oui : il a été adopté en 2000.",
                                        "b": "Non, elle protège les réfugiés."}
    assert texts["feedback_html"] == ("<p>Le <strong>Protocole de Palerme</strong> complète la Convention contre "
                                      "la criminalité transnationale organisée.</p>")
    assert TYPES["single"].grade(question.config, question.texts, "a") == 1.0


def test_weights_make_a_multiple_answer_question_scored_partially():
    question = by_key(parse(SAMPLE))["trois-elements"]

    assert question.config == {"scoring": "partial", "options": [
        {"id": "a", "correct": True}, {"id": "b", "correct": True}, {"id": "c", "correct": True},
        {"id": "d", "correct": False}]}
    assert question.texts["fr"]["options"]["d"] == "Le passage d'une frontière"
    assert question.texts["fr"]["option_feedback"] == {"d": "Non : la traite peut être interne."}
    grade = TYPES["multiple"].grade
    assert grade(question.config, question.texts, ["a", "b", "c"]) == 1.0
    assert grade(question.config, question.texts, ["a"]) == pytest.approx(1 / 3)
    assert grade(question.config, question.texts, ["a", "d"]) == 0.0


def test_weights_without_decimals_and_zero_weights():
    question = only("Cochez les bonnes réponses. {~%50%un ~%50%deux ~%0%trois ~quatre}")

    assert question.type == "multiple"
    assert [option["correct"] for option in question.config["options"]] == [True, True, False, False]


@pytest.mark.parametrize(("answer", "expected"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False),
                                                  ("true", True), ("false", False)])
def test_true_false_spellings(answer, expected):
    question = only(f"La traite est une violation des droits humains. {{{answer}}}")

    assert (question.type, question.config) == ("true_false", {"answer": expected})
    assert "option_feedback" not in question.texts["fr"]


def test_true_false_feedback_is_for_the_wrong_then_the_right_answer():
    questions = by_key(parse(SAMPLE))

    # The right answer is "false": the first feedback goes to learners who answer "true".
    assert questions["consentement"].texts["fr"]["option_feedback"] == {
        "true": "Non : le consentement obtenu par la tromperie est sans effet.", "false": "Exact."}
    right_only = only("La traite peut être interne. {T##Oui, sans frontière.####Voir la leçon 2.}")
    assert right_only.texts["fr"]["option_feedback"] == {"true": "Oui, sans frontière."}
    assert right_only.texts["fr"]["feedback_html"] == "<p>Voir la leçon 2.</p>"


def test_short_answers_are_stored_for_the_file_language_only():
    question = by_key(parse(SAMPLE))["capitale"]

    assert question.config == {"answers": {"fr": ["Rabat", "الرباط"]}, "ignore_accents": True}
    assert question.texts["fr"]["option_feedback"] == {"1": "Bien, en arabe."}
    assert TYPES["short_answer"].grade(question.config, question.texts, " rabat ") == 1.0
    assert TYPES["short_answer"].grade(question.config, question.texts, "Casablanca") == 0.0
    english = only("Which city is Morocco's capital? {=Rabat =%100%Rabat city}", "en")
    assert english.config["answers"] == {"en": ["Rabat", "Rabat city"]}


def test_numerical_answers_with_tolerance_ranges_and_weights():
    questions = by_key(parse(SAMPLE))

    assert questions["annee"].config == {"answer": 2000, "tolerance": 1}
    assert questions["elements"].config == {"answer": 3, "tolerance": 1}
    assert questions["ratification"].config == {"answer": 2011, "tolerance": 0}
    assert questions["ratification"].texts["fr"]["option_feedback"] == {"right": "Exact !", "wrong": "Non : en 2011."}
    assert only("Pi ? {#3.14:0.005}").config == {"answer": 3.14, "tolerance": 0.005}
    assert only("Une température ? {#-5..-1}").config == {"answer": -3, "tolerance": 2}
    assert only("Un nombre ? {#1..2}").config == {"answer": 1.5, "tolerance": 0.5}
    grade = TYPES["numerical"].grade
    assert grade(questions["annee"].config, {}, "2001") == 1.0
    assert grade(questions["annee"].config, {}, "2002") == 0.0


def test_answers_inside_the_text_leave_a_blank():
    questions = by_key(parse(SAMPLE))

    assert questions["le-protocole-de-palerme-a-ete-adopte-en"].texts["fr"]["stem"] == (
        "Le Protocole de Palerme a été adopté en _____ par l'Assemblée générale.")
    missing_word = questions["la-traite-est-selon-la-loi-27-14"]
    assert missing_word.texts["fr"]["stem"] == "La traite est _____ selon la loi 27-14."
    assert missing_word.texts["fr"]["options"]["b"] == "un crime grave"
    assert [option["correct"] for option in missing_word.config["options"]] == [False, True, False]


def test_matching_pairs_and_multi_line_questions():
    question = by_key(parse(SAMPLE))["elements-de-la-definition"]

    assert question.config == {"pairs": 3}
    texts = question.texts["fr"]
    assert texts["stem"] == "Associez chaque élément à un exemple."
    assert texts["prompts"] == ["L'acte", "Le moyen", "La finalité"]
    assert texts["matches"] == ["Le recrutement", "La tromperie", "L'exploitation"]
    assert texts["feedback_html"] == "<p>Les trois éléments doivent être réunis pour un adulte.</p>"
    assert TYPES["matching"].grade(question.config, question.texts, {"0": "0", "1": "1", "2": "0"}) == pytest.approx(2 / 3)


def test_comments_are_ignored_even_inside_a_question():
    question = only("// avant\n::Q1:: Première ligne\n// au milieu\nseconde ligne {T}\n// après")

    assert question.texts["fr"]["stem"] == "Première ligne\nseconde ligne"


def test_categories_take_the_last_part_of_the_path_and_apply_to_what_follows():
    questions = parse("Sans catégorie {T}\n\n$CATEGORY: $course$/top/Module 1/Droit\n::a:: A {T}\n\n"
                      "::b:: B {F}\n\n$CATEGORY: Accueil//Orientation\n\n::c:: C {T}\n\n"
                      "$CATEGORY: $course$/top/الحماية\n\n::d:: D {T}")

    assert [(q.key, q.category) for q in questions] == [
        ("sans-categorie", ""), ("a", "Droit"), ("b", "Droit"), ("c", "Accueil/Orientation"), ("d", "الحماية")]


def test_titles_become_keys_and_keys_are_made_unique_in_the_file():
    questions = parse("::Q 1:: Un {T}\n\n::Q 1:: Deux {T}\n\n::Q 1:: Trois {T}\n\n"
                      "Pas de titre, mais une question assez longue pour être coupée quelque part {T}\n\n"
                      "::الرباط:: ما هي عاصمة المغرب؟ {=الرباط}\n\nما هي عاصمة المغرب؟ {=الرباط}")

    assert [q.key for q in questions] == ["q-1", "q-1-2", "q-1-3",
                                          "pas-de-titre-mais-une-question-assez-longue", "question",
                                          "question-2"]


def test_formats():
    questions = parse("::md::[markdown]Un texte **gras** et une [source](https://example.org).{T}\n\n"
                      "::html::[html]<p onclick=\"x()\">Du <em>HTML</em><script>alert(1)</script></p>"
                      "{=<b>Oui</b>#<i>Bien</i> ~Non}\n\n"
                      "::plain::[plain]2 * 3 * 4 < 30 et <b> reste du texte {T}\n\n"
                      "::moodle::[moodle]Une <b>question</b> {T####[plain]Voir *la* leçon.}\n\n"
                      "::default::Par défaut, du *Markdown* {T}")
    texts = {q.key: q.texts["fr"] for q in questions}

    assert texts["md"]["stem_html"] == ('<p>Un texte <strong>gras</strong> et une <a href="https://example.org" '
                                        'rel="noopener noreferrer">source</a>.</p>')
    assert texts["html"]["stem_html"] == "<p>Du <em>HTML</em></p>"
    assert texts["html"]["options"] == {"a": "Oui", "b": "Non"}
    assert texts["html"]["option_feedback"] == {"a": "Bien"}
    assert texts["plain"]["stem_html"] == "<p>2 * 3 * 4 &lt; 30 et &lt;b&gt; reste du texte</p>"
    assert texts["moodle"]["stem_html"] == "<p>Une <b>question</b></p>"
    assert texts["moodle"]["feedback_html"] == "<p>Voir *la* leçon.</p>"
    assert texts["default"]["stem_html"] == "<p>Par défaut, du <em>Markdown</em></p>"


def test_escaped_characters():
    question = only(r"::Échappements \: test:: Dans GIFT, 1+1\=2, \{ accolades \}, \#dièse, a\:b, \~tilde "
                    r"et \\ barre.\nNouvelle ligne.{=a\=b\~c#\#1 \{ok\} ~d\:e ####Fin \: \~ \= \{\}}")

    texts = question.texts["fr"]
    assert question.key == "echappements-test"
    assert texts["stem"] == "Dans GIFT, 1+1=2, { accolades }, #dièse, a:b, ~tilde et \\ barre.\nNouvelle ligne."
    assert texts["options"] == {"a": "a=b~c", "b": "d:e"}
    assert texts["option_feedback"] == {"a": "#1 {ok}"}
    assert texts["feedback_html"] == "<p>Fin : ~ = {}</p>"


def test_windows_line_ends_and_byte_order_mark():
    questions = parse_gift("\ufeff// commentaire\r\n::a:: Un {T}\r\n\r\n::b:: Deux\r\n{F}\r\n", "fr")

    assert [(q.key, q.texts["fr"]["stem"]) for q in questions] == [("a", "Un"), ("b", "Deux")]


def test_arabic_text_survives():
    question = only("::بروتوكول:: ما النص الدولي الذي يعرّف الاتجار بالبشر؟ {\n"
                    "=بروتوكول باليرمو#صحيح: اعتُمد سنة 2000.\n~اتفاقية جنيف\n####راجع الدرس الأول.}", "ar")

    texts = question.texts["ar"]
    assert question.key == "question"
    assert texts["stem"] == "ما النص الدولي الذي يعرّف الاتجار بالبشر؟"
    assert texts["options"] == {"a": "بروتوكول باليرمو", "b": "اتفاقية جنيف"}
    assert texts["option_feedback"] == {"a": "صحيح: اعتُمد سنة 2000."}
    assert texts["feedback_html"] == "<p>راجع الدرس الأول.</p>"
    assert parse_gift(export_gift([question], "ar"), "ar") == [question]


# What we refuse ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("Rédigez un paragraphe sur la traite. {}", 3, "essay questions"),
    ("Rédigez un paragraphe. {####Un modèle de réponse.}", 3, "essay questions"),
    ("Ceci n'est qu'une description.", 3, "descriptions"),
    ("Une question {=a ~b", 3, "unbalanced braces"),
    ("Une question =a ~b}", 3, "unbalanced braces"),
    ("::Titre Une question {T}", 3, "closing '::'"),
    ("Q1 {=a ~b} et Q2 {=c ~d}", 3, "only one answer block"),
    ("Choix {=a =b ~c}", 3, "several answers are marked right"),
    ("Choix {=a ~%50%b ~c}", 3, "cannot be mixed"),
    ("Choix {~a ~b ~c}", 3, "no answer is right"),
    ("Choix {~%150%a ~b}", 3, "between -100% and 100%"),
    ("Choix {~%100%a}", 3, "at least 2 answers"),
    ("Choix {=a ~}", 3, "an answer has no text"),
    ("{=a ~b}", 3, "the question has no text"),
    ("Réponse courte {=%50%a =b}", 3, "partial credit"),
    ("Associez {=a -> 1 =b -> 2}", 3, "at least 3 pairs"),
    ("Associez {=a -> 1 =b -> 2 =c -> 3 = -> 4}", 3, "extra wrong matches"),
    ("Associez {=a -> 1 =b -> 2 =c -> 3#retour}", 3, "cannot have feedback"),
    ("Nombre {#quarante}", 3, "is not a number"),
    ("Nombre {#5..1}", 3, "ends below its start"),
    ("Nombre {#4:-1}", 3, "cannot be negative"),
    ("Nombre {#=1:0 =2:0}", 3, "exactly one answer worth 100%"),
    ("Nombre {#=%50%1:0}", 3, "exactly one answer worth 100%"),
    ("$CATEGORY: $course$/top", 3, "names no category"),
])
def test_malformed_questions_name_the_file_line_and_reason(text, line, reason):
    error = error_of("// Une banque\n\n" + text)

    assert (str(error.path), error.line) == ("banque.gift", line)
    assert reason in error.reason
    assert str(error).startswith(f"banque.gift:{line}: ")


def test_the_line_is_where_the_bad_question_starts_and_nothing_partial_is_returned():
    text = "::a:: Une {T}\n\n// commentaire\n::b:: Deux\nsur deux lignes\n{=a =b ~c}\n\n::c:: Trois {T}"

    error = error_of(text)

    assert error.line == 4
    assert "several answers are marked right" in error.reason


# Writing GIFT -----------------------------------------------------------------------------------


def test_export_then_parse_round_trips_the_sample():
    questions = parse(SAMPLE)

    exported = export_gift(questions, "fr")

    assert parse(exported) == questions
    assert exported.count("$CATEGORY:") == 3
    assert "$CATEGORY: $course$/top/Définitions\n" in exported
    assert "::consentement::[markdown]Le consentement de la victime efface l'infraction. {FALSE#Non \\: le " in exported
    assert "\t~%33.33333%L'acte\n" in exported and "\t~%-100%Le passage d'une frontière#Non \\: " in exported


def test_export_escapes_special_characters_and_new_lines():
    question = ParsedQuestion(
        key="speciaux", category="Caté/gorie", type="single",
        config={"options": [{"id": "x", "correct": True}, {"id": "y", "correct": False}]},
        texts={"fr": {"stem": "a=b ~c #d {e} f:g \\h\n\nNouveau paragraphe", "stem_html": "", "feedback_html": "",
                      "options": {"x": "%50% des cas", "y": "%20% = peu"}, "option_feedback": {"y": "Non # {}"}}})

    exported = export_gift([question], "fr")

    assert "$CATEGORY: $course$/top/Caté//gorie\n" in exported
    assert "[markdown]a\\=b \\~c \\#d \\{e\\} f\\:g \\\\h\\n\\nNouveau paragraphe {" in exported
    assert "\n\n" not in exported.split("::speciaux::")[1]
    again = only(exported)
    assert again.category == "Caté/gorie"
    assert again.texts["fr"]["stem"] == "a=b ~c #d {e} f:g \\h\n\nNouveau paragraphe"
    assert again.texts["fr"]["stem_html"] == "<p>a=b ~c #d {e} f:g \\h</p>\n<p>Nouveau paragraphe</p>"
    assert again.texts["fr"]["options"] == {"a": "%50% des cas", "b": "%20% = peu"}
    assert again.texts["fr"]["option_feedback"] == {"b": "Non # {}"}
    assert escape_gift("a\\:b") == "a\\\\\\:b"


def test_export_of_a_short_answer_keeps_its_feedback_and_weight_like_text():
    question = only("Quel taux ? {=%100%%50%#Oui. =la moitié}")

    assert question.config["answers"] == {"fr": ["%50%", "la moitié"]}
    assert only(export_gift([question], "fr")) == question


# The import service and the commands -------------------------------------------------------------


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lms(runner, *args):
    return runner.invoke(args=["lms", *args])


def course_questions(app, course) -> list[Question]:
    return scalars(app, sa.select(Question).where(Question.course_id == course.id).order_by(Question.id))


def course_categories(app, course) -> dict[str, dict]:
    return {c.key: c.titles for c in scalars(app, sa.select(QuestionCategory)
                                             .where(QuestionCategory.course_id == course.id))}


def test_the_command_imports_a_gift_file_into_a_course(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = write(tmp_path, "banque.gift", SAMPLE)

    result = lms(runner, "import-questions", str(path), "--course", "traite")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Imported 12 questions."
    assert course_categories(app, course) == {"definitions": {"fr": "Définitions"}, "chiffres": {"fr": "Chiffres"},
                                              "correspondances": {"fr": "Correspondances"}}
    stored = course_questions(app, course)
    parsed = parse(SAMPLE)
    assert [(q.key, q.type, q.mark, q.config, q.texts, q.is_retired) for q in stored] == [
        (p.key, p.type, 1.0, p.config, p.texts, False) for p in parsed]
    categories = {c.id: c.key for c in scalars(app, sa.select(QuestionCategory))}
    assert [categories[q.category_id] for q in stored][:5] == ["definitions"] * 5


def test_importing_again_suffixes_keys_and_reuses_categories(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = write(tmp_path, "banque.gift", "$CATEGORY: Définitions\n\n::Q:: Un {T}\n\n::Q:: Deux {F}")

    for _ in range(2):
        result = lms(runner, "import-questions", str(path), "--course", "traite")
        assert result.exit_code == 0, result.output

    assert [q.key for q in course_questions(app, course)] == ["q", "q-2", "q-3", "q-2-2"]
    assert count(app, QuestionCategory, QuestionCategory.course_id == course.id) == 1


def test_category_override_and_language(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = write(tmp_path, "arabe.gift", "$CATEGORY: أ\n\n::س:: ما هي عاصمة المغرب؟ {=الرباط =Rabat}\n\n"
                                         "::ب:: الاتجار بالبشر جريمة. {T}")

    result = lms(runner, "import-questions", str(path), "--course", "traite", "--lang", "ar",
                 "--category", "الحماية")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Imported 2 questions."
    assert course_categories(app, course) == {"category": {"ar": "الحماية"}}
    first, second = course_questions(app, course)
    assert first.config == {"answers": {"ar": ["الرباط", "Rabat"]}, "ignore_accents": True}
    assert first.texts["ar"]["stem"] == "ما هي عاصمة المغرب؟"
    assert second.texts == {"ar": {"stem": "الاتجار بالبشر جريمة.", "stem_html": "<p>الاتجار بالبشر جريمة.</p>",
                                   "feedback_html": ""}}


def test_questions_without_a_category_go_to_imported(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = write(tmp_path, "sans.gift", "Une question {T}")

    result = lms(runner, "import-questions", str(path), "--course", "traite")

    assert result.output.strip() == "Imported 1 question."
    assert course_categories(app, course) == {"imported": {"fr": "imported"}}


def test_a_malformed_file_writes_nothing(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = write(tmp_path, "banque.gift", "$CATEGORY: Définitions\n\n::a:: Un {T}\n\n::b:: Deux {}\n")

    result = lms(runner, "import-questions", str(path), "--course", "traite")

    assert result.exit_code == 1
    assert f"{path}:5: essay questions" in result.output
    assert "nothing was imported" in result.output
    assert course_questions(app, course) == []
    assert course_categories(app, course) == {}


@pytest.mark.parametrize(("name", "args", "message"), [
    ("banque.gift", ["--course", "inconnu"], "No course with the slug 'inconnu'"),
    ("banque.xml", ["--course", "traite"], "give --format gift or aiken"),
    ("vide.gift", ["--course", "traite"], "no questions found"),
])
def test_other_command_errors(app, runner, make, tmp_path, name, args, message):
    make.course(slug="traite")
    path = write(tmp_path, name, "// rien\n" if name == "vide.gift" else "Q {T}")

    result = lms(runner, "import-questions", str(path), *args)

    assert result.exit_code == 1
    assert message in result.output
    assert count(app, Question) == 0


def test_format_option_reads_a_txt_file_as_gift(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    path = write(tmp_path, "moodle-export.txt", "::a:: Un {T}")

    result = lms(runner, "import-questions", str(path), "--course", "traite", "--format", "gift")

    assert result.exit_code == 0, result.output
    assert [q.type for q in course_questions(app, course)] == ["true_false"]


def test_the_service_flushes_without_committing(app, make):
    course = make.course(slug="traite")
    with app.app_context():
        existing = QuestionCategory(course_id=course.id, key="defs", titles={"fr": "Définitions", "en": "Definitions"})
        db.session.add(existing)
        db.session.flush()
        db.session.add(Question(course_id=course.id, category_id=existing.id, key="palerme", type="true_false",
                                config={"answer": True}, texts={}))
        db.session.flush()

        imported = import_questions(course, parse(SAMPLE), None, "fr")

        assert imported == 12
        keys = set(db.session.scalars(sa.select(Question.key)))
        assert {"palerme", "palerme-2"} <= keys
        # "Définitions" is found by its French title; the two other categories are new.
        assert set(db.session.scalars(sa.select(QuestionCategory.key))) == {"defs", "chiffres", "correspondances"}
        db.session.rollback()
    assert count(app, Question) == 0


def test_export_command_writes_the_current_questions(app, runner, make, tmp_path):
    course = make.course(slug="traite")
    lms(runner, "import-questions", str(write(tmp_path, "banque.gift", SAMPLE)), "--course", "traite")
    with app.app_context():
        db.session.execute(sa.update(Question).where(Question.key == "html").values(is_retired=True))
        db.session.commit()
    target = tmp_path / "export.gift"

    result = lms(runner, "export-gift", "traite", str(target))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Exported 11 questions to {target}."
    stored = [q for q in course_questions(app, course) if not q.is_retired]
    again = parse_gift(target.read_text(encoding="utf-8"), "fr")
    assert sorted((p.key, p.type, p.category, p.config, p.texts) for p in again) == sorted(
        (q.key, q.type, p.category, q.config, q.texts) for q, p in zip(stored, parse(SAMPLE)))
    assert lms(runner, "export-gift", "inconnu", str(target)).exit_code == 1


def test_export_of_a_three_language_bank_in_one_language(app, runner, make, tmp_path):
    make.course(slug="traite")
    text = {"fr": "Le Protocole de Palerme date de 2000.", "ar": "اعتُمد بروتوكول باليرمو سنة 2000.",
            "en": "The Palermo Protocol dates from 2000."}
    option = {"fr": "Vrai", "ar": "صحيح", "en": "True"}
    bank = {"course": "traite",
            "categories": [{"key": "definitions", "title": {"fr": "Définitions", "ar": "تعاريف", "en": "Definitions"}}],
            "questions": [
                {"key": "date", "category": "definitions", "type": "multiple", "stem": text, "feedback": text,
                 "options": [{"id": "x", "text": option, "correct": True},
                             {"id": "y", "text": {lang: value + " ?" for lang, value in option.items()}}]},
                {"key": "capital", "category": "definitions", "type": "short_answer", "stem": text,
                 "answers": {"fr": ["Rabat"], "ar": ["الرباط"], "en": ["Rabat city"]}},
            ]}
    bank_path = tmp_path / "traite.yaml"
    bank_path.write_text(yaml.safe_dump(bank, allow_unicode=True), encoding="utf-8")
    assert lms(runner, "import-banks", str(bank_path)).exit_code == 0
    target = tmp_path / "ar.gift"

    result = lms(runner, "export-gift", "traite", str(target), "--lang", "ar")

    assert result.exit_code == 0, result.output
    multiple, short = parse_gift(target.read_text(encoding="utf-8"), "ar")
    assert (multiple.key, multiple.category, multiple.type) == ("date", "تعاريف", "multiple")
    # GIFT has no "all or nothing": the weights written are those of partial scoring.
    assert multiple.config == {"options": [{"id": "a", "correct": True}, {"id": "b", "correct": False}],
                               "scoring": "partial"}
    assert multiple.texts["ar"]["options"] == {"a": "صحيح", "b": "صحيح ?"}
    assert multiple.texts["ar"]["stem"] == text["ar"]
    assert multiple.texts["ar"]["feedback_html"] == f"<p>{text['ar']}</p>"
    assert short.config["answers"] == {"ar": ["الرباط"]}
