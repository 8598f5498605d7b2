"""Question types one by one: configuration checks, parsing the submitted form, grading on the server.

These are plain unit tests of quizzes/types.py: no database, no request.
"""

from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from quizzes.types import TYPES, InvalidResponse, normalize_text, parse_number

LANGUAGES = ("fr", "ar", "en")


# Helpers -----------------------------------------------------------------------------------------


def choice_config(correct=("a",), ids=("a", "b", "c", "d"), scoring=None) -> dict:
    config = {"options": [{"id": option_id, "correct": option_id in correct} for option_id in ids]}
    if scoring:
        config["scoring"] = scoring
    return config


def choice_texts(ids=("a", "b", "c", "d"), languages=LANGUAGES) -> dict:
    return {lang: {"stem": f"Stem {lang}", "options": {option_id: f"Option {option_id} {lang}" for option_id in ids}}
            for lang in languages}


def matching_texts(pairs: int, languages=LANGUAGES) -> dict:
    return {lang: {"stem": f"Stem {lang}", "prompts": [f"Prompt {i} {lang}" for i in range(pairs)],
                   "matches": [f"Match {i} {lang}" for i in range(pairs)]} for lang in languages}


def question(config: dict):
    return SimpleNamespace(id=7, config=config)


def layout(order) -> dict:
    return {"question_id": 7, "order": list(order)}


def parse(type_name: str, config: dict, form: dict | MultiDict, order=None):
    qtype = TYPES[type_name]
    order = qtype.option_ids(config) if order is None else order
    return qtype.parse(MultiDict(form), "q7", question(config), layout(order))


def grade(type_name: str, config: dict, response, texts=None) -> float:
    return TYPES[type_name].grade(config, texts or {}, response)


SHORT = {"answers": {"fr": ["Vulnérabilité"], "ar": ["الاستغلال"], "en": ["exploitation"]}}
ARABIC_WITH_HAMZA = {"answers": {"fr": [], "ar": ["أطفال"], "en": []}}


def test_the_registry_holds_the_six_documented_types():
    assert set(TYPES) == {"single", "multiple", "true_false", "short_answer", "numerical", "matching"}
    assert all(qtype.template.startswith("quizzes/types/_") for qtype in TYPES.values())


# Single choice -----------------------------------------------------------------------------------


def test_single_choice_with_exactly_one_correct_option_is_valid():
    assert TYPES["single"].validate(choice_config(), choice_texts()) == []


@pytest.mark.parametrize("correct", [("a", "b"), ()], ids=["two-correct", "none-correct"])
def test_single_choice_needs_exactly_one_correct_option(correct):
    errors = TYPES["single"].validate(choice_config(correct=correct), choice_texts())
    assert errors == ["needs exactly one correct option"]


@pytest.mark.parametrize("ids", [("a",), ("a", "a", "b"), ("a", "")], ids=["one", "duplicate", "empty"])
def test_choice_options_need_two_distinct_non_empty_ids(ids):
    config = {"options": [{"id": option_id, "correct": index == 0} for index, option_id in enumerate(ids)]}
    errors = TYPES["single"].validate(config, choice_texts(ids=tuple(i for i in ids if i) or ("a",)))
    assert "needs at least two options with distinct ids" in errors


def test_a_choice_option_without_text_in_a_language_is_refused():
    texts = choice_texts()
    del texts["ar"]["options"]["c"]
    assert TYPES["single"].validate(choice_config(), texts) == ["options c have no ar text"]


def test_single_choice_grades_the_correct_option_full_and_any_other_zero():
    config = choice_config(correct=("c",))
    assert grade("single", config, "c") == 1.0
    assert [grade("single", config, other) for other in ("a", "b", "d")] == [0.0, 0.0, 0.0]


def test_single_choice_parses_a_known_option_and_an_empty_form_as_unanswered():
    config = choice_config()
    assert parse("single", config, {"q7": "1"}) == "b"  # the form sends places in the frozen order
    assert parse("single", config, {}) is None
    assert parse("single", config, {"q7": ""}) is None


@pytest.mark.parametrize("value", ["z", "a", "1 ", "9", "-1", "correct"])
def test_single_choice_refuses_an_option_id_not_in_the_question(value):
    with pytest.raises(InvalidResponse):
        parse("single", choice_config(), {"q7": value})


def test_choice_places_follow_the_attempts_shuffled_order():
    assert parse("single", choice_config(), {"q7": "0"}, order=["c", "a", "d", "b"]) == "c"
    form = MultiDict([("q7", "3"), ("q7", "1")])
    assert parse("multiple", choice_config(), form, order=["c", "a", "d", "b"]) == ["a", "b"]


def test_single_choice_reads_only_its_own_field():
    assert parse("single", choice_config(), {"q8": "a", "score": "100"}) is None


# Multiple choice ---------------------------------------------------------------------------------


def test_multiple_choice_needs_at_least_one_correct_option_and_a_known_scoring():
    assert TYPES["multiple"].validate(choice_config(correct=("a", "b")), choice_texts()) == []
    assert TYPES["multiple"].validate(choice_config(correct=()), choice_texts()) == [
        "needs at least one correct option"]
    assert TYPES["multiple"].validate(choice_config(correct=("a",), scoring="generous"), choice_texts()) == [
        "scoring must be all_or_nothing or partial"]


@pytest.mark.parametrize("scoring", [None, "all_or_nothing"])
def test_multiple_all_or_nothing_gives_full_mark_only_for_exactly_the_correct_set(scoring):
    config = choice_config(correct=("a", "b"), scoring=scoring)
    assert grade("multiple", config, ["a", "b"]) == 1.0
    assert grade("multiple", config, ["a"]) == 0.0
    assert grade("multiple", config, ["a", "b", "c"]) == 0.0
    assert grade("multiple", config, ["c", "d"]) == 0.0
    assert grade("multiple", config, []) == 0.0


@pytest.mark.parametrize(("chosen", "expected"), [
    (["a", "b"], 1.0),         # every right one
    (["a"], 0.5),              # half of the right ones
    (["a", "b", "c"], 0.5),    # a wrong one takes back half (two wrong options)
    (["a", "c"], 0.0),         # as much right as wrong
    (["c"], 0.0),              # wrong only: never below 0
    (["a", "c", "d"], 0.0),    # more wrong than right: never below 0
    (["c", "d"], 0.0),
    ([], 0.0),
])
def test_multiple_partial_adds_right_options_and_subtracts_wrong_ones_never_below_zero(chosen, expected):
    config = choice_config(correct=("a", "b"), scoring="partial")
    assert grade("multiple", config, chosen) == pytest.approx(expected)


def test_multiple_partial_with_every_option_correct_counts_the_share_chosen():
    config = choice_config(correct=("a", "b", "c", "d"), scoring="partial")
    assert grade("multiple", config, ["a", "b", "c"]) == pytest.approx(0.75)


def test_multiple_choice_parses_several_values_sorted():
    form = MultiDict([("q7", "2"), ("q7", "0")])
    assert parse("multiple", choice_config(correct=("a", "c")), form) == ["a", "c"]
    assert parse("multiple", choice_config(correct=("a", "c")), {}) is None


@pytest.mark.parametrize("values", [["0", "9"], ["0", "0"], ["x"]], ids=["unknown", "repeated", "foreign"])
def test_multiple_choice_refuses_unknown_or_repeated_options(values):
    with pytest.raises(InvalidResponse):
        parse("multiple", choice_config(), MultiDict([("q7", value) for value in values]))


# True or false -----------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["true", 1, None])
def test_true_false_answer_must_be_a_boolean(answer):
    assert TYPES["true_false"].validate({"answer": answer}, {}) == ["answer must be true or false"]


def test_true_false_grades_equal_answers_full_mark():
    assert grade("true_false", {"answer": True}, True) == 1.0
    assert grade("true_false", {"answer": True}, False) == 0.0
    assert grade("true_false", {"answer": False}, False) == 1.0
    assert grade("true_false", {"answer": False}, True) == 0.0


def test_true_false_parses_true_false_and_nothing():
    config = {"answer": True}
    assert parse("true_false", config, {"q7": "true"}) is True
    assert parse("true_false", config, {"q7": "false"}) is False
    assert parse("true_false", config, {}) is None


@pytest.mark.parametrize("value", ["yes", "True", "1", "on"])
def test_true_false_refuses_anything_else(value):
    with pytest.raises(InvalidResponse):
        parse("true_false", {"answer": True}, {"q7": value})


# Short answer ------------------------------------------------------------------------------------


def test_short_answer_needs_accepted_answers():
    texts = {lang: {"stem": "?"} for lang in LANGUAGES}
    assert TYPES["short_answer"].validate({"answers": {"fr": [], "ar": [], "en": []}}, texts) == [
        "needs accepted answers"]
    assert TYPES["short_answer"].validate({}, texts) == ["needs accepted answers"]
    assert TYPES["short_answer"].validate(SHORT, texts) == []


@pytest.mark.parametrize("typed", [
    "Vulnérabilité", "vulnérabilité", "VULNÉRABILITÉ", "  vulnérabilité  ", "vulnerabilite", "VULNERABILITE",
])
def test_short_answer_ignores_case_surrounding_spaces_and_accents(typed):
    assert grade("short_answer", SHORT, typed) == 1.0


@pytest.mark.parametrize("typed", [
    "الاستغلال",
    "الاِسْتِغْلَالُ",       # with diacritics (harakat)
    "الاستـــغلال",          # with tatweel
    "الإستغلال",             # alef with hamza below
    "ألاستغلال",             # alef with hamza above
    "آلاستغلال",             # alef with madda
    "ٱلاستغلال",             # alef wasla
])
def test_short_answer_ignores_arabic_diacritics_tatweel_and_alef_forms(typed):
    assert grade("short_answer", SHORT, typed) == 1.0


def test_short_answer_reads_alef_maksura_as_ya():
    config = {"answers": {"fr": [], "ar": ["مستشفى"], "en": []}}
    assert grade("short_answer", config, "مستشفي") == 1.0
    assert grade("short_answer", config, "مستشفى") == 1.0
    assert grade("short_answer", config, "مستشفا") == 0.0


def test_short_answer_accepted_with_hamza_matches_a_plain_alef_and_back():
    assert grade("short_answer", ARABIC_WITH_HAMZA, "اطفال") == 1.0
    assert grade("short_answer", ARABIC_WITH_HAMZA, "أطفال") == 1.0
    assert grade("short_answer", ARABIC_WITH_HAMZA, "إطفال") == 1.0


@pytest.mark.parametrize("typed", ["Exploitation", "vulnerabilite", "الاستغلال"])
def test_short_answer_accepts_an_answer_of_any_language(typed):
    assert grade("short_answer", SHORT, typed) == 1.0


@pytest.mark.parametrize("typed", ["vulnérable", "exploit", "exploitation exploitation", "", None, "لاستغلال"])
def test_short_answer_refuses_other_words(typed):
    assert grade("short_answer", SHORT, typed) == 0.0


def test_short_answer_keeps_accents_when_ignore_accents_is_false():
    config = {**SHORT, "ignore_accents": False}
    assert grade("short_answer", config, "vulnerabilite") == 0.0
    assert grade("short_answer", config, "الاِسْتِغْلَالُ") == 0.0
    assert grade("short_answer", config, "  VULNÉRABILITÉ ") == 1.0  # case and spaces still ignored
    assert grade("short_answer", config, "Vulnérabilité") == 1.0


def test_short_answer_folds_inner_runs_of_spaces():
    config = {"answers": {"fr": ["travail forcé"], "ar": [], "en": []}}
    assert grade("short_answer", config, "Travail   forcé") == 1.0
    assert grade("short_answer", config, "travailforcé") == 0.0


def test_short_answer_parses_trimmed_text_and_empty_as_unanswered():
    assert parse("short_answer", SHORT, {"q7": "  exploitation \n"}) == "exploitation"
    assert parse("short_answer", SHORT, {"q7": "   "}) is None
    assert parse("short_answer", SHORT, {"q7": "x" * 200}) == "x" * 200


def test_short_answer_refuses_over_long_text():
    with pytest.raises(InvalidResponse):
        parse("short_answer", SHORT, {"q7": "x" * 201})


def test_normalize_text_folds_what_the_grading_ignores():
    assert normalize_text("  Élève   MAJEUR ") == "eleve majeur"
    assert normalize_text("  Élève   MAJEUR ", ignore_accents=False) == "élève majeur"
    assert normalize_text("أَطْفَـال") == "اطفال"


# Numerical ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("config", "error"), [
    ({"answer": "42"}, "answer must be a number"),
    ({"answer": True}, "answer must be a number"),
    ({}, "answer must be a number"),
    ({"answer": 42, "tolerance": -1}, "tolerance must be a number from 0"),
    ({"answer": 42, "tolerance": "1"}, "tolerance must be a number from 0"),
])
def test_numerical_needs_a_number_and_a_tolerance_from_zero(config, error):
    assert TYPES["numerical"].validate(config, {}) == [error]


def test_numerical_valid_configuration_passes():
    assert TYPES["numerical"].validate({"answer": 42, "tolerance": 0.5}, {}) == []
    assert TYPES["numerical"].validate({"answer": 2.5}, {}) == []


@pytest.mark.parametrize(("typed", "expected"), [
    ("42", 1.0), ("42.4", 1.0), ("41.5", 1.0), ("42.5", 1.0),     # inside answer ± tolerance (bounds included)
    ("42.6", 0.0), ("41.4", 0.0), ("-42", 0.0), ("0", 0.0),
    ("42,3", 1.0), ("42,6", 0.0),                                   # comma decimal
    ("٤٢", 1.0), ("٤٢٫٥", 1.0), ("٤٢,٣", 1.0), ("٤٣", 0.0),         # Arabic-Indic digits and separator
    ("۴۲", 1.0),                                                    # Eastern Arabic-Indic (Persian) digits
    (" 42 ", 1.0), ("+42", 1.0),
])
def test_numerical_gives_full_mark_within_the_tolerance(typed, expected):
    assert grade("numerical", {"answer": 42, "tolerance": 0.5}, typed) == expected


@pytest.mark.parametrize("typed", ["forty-two", "42abc", "4.2.1", "1e3", "nan", "inf", "", None, "--42", "٤٢x"])
def test_numerical_garbage_gets_zero(typed):
    assert grade("numerical", {"answer": 42, "tolerance": 1000}, typed) == 0.0


def test_numerical_without_tolerance_needs_the_exact_value():
    assert grade("numerical", {"answer": 3}, "3") == 1.0
    assert grade("numerical", {"answer": 3}, "3,0") == 1.0
    assert grade("numerical", {"answer": 3}, "3.01") == 0.0
    assert grade("numerical", {"answer": 0.1, "tolerance": 0}, "0.1") == 1.0


def test_parse_number_reads_latin_and_arabic_indic_digits():
    assert parse_number("12,5") == 12.5
    assert parse_number("١٢٫٥") == 12.5
    with pytest.raises(InvalidResponse):
        parse_number("douze")


def test_numerical_parses_trimmed_text_and_refuses_over_long_text():
    config = {"answer": 42}
    assert parse("numerical", config, {"q7": " 42,5 "}) == "42,5"
    assert parse("numerical", config, {"q7": ""}) is None
    assert parse("numerical", config, {"q7": "abc"}) == "abc"  # stored as typed, graded 0
    with pytest.raises(InvalidResponse):
        parse("numerical", config, {"q7": "4" * 41})


# Matching ----------------------------------------------------------------------------------------


def test_matching_valid_with_three_pairs_in_every_language():
    assert TYPES["matching"].validate({"pairs": 3}, matching_texts(3)) == []


@pytest.mark.parametrize("pairs", [0, 1, 2, None, "3"])
def test_matching_needs_at_least_three_pairs(pairs):
    count = pairs if isinstance(pairs, int) else 3
    assert TYPES["matching"].validate({"pairs": pairs}, matching_texts(count)) != []


def test_matching_needs_as_many_prompts_and_matches_in_every_language():
    texts = matching_texts(3)
    texts["en"]["matches"].pop()
    assert TYPES["matching"].validate({"pairs": 3}, texts) == ["needs 3 prompts and matches in en"]


@pytest.mark.parametrize(("response", "expected"), [
    ({"0": "0", "1": "1", "2": "2", "3": "3"}, 1.0),
    ({"0": "0", "1": "1", "2": "3", "3": "2"}, 0.5),
    ({"0": "0"}, 0.25),
    ({"0": "1", "1": "0", "2": "3", "3": "2"}, 0.0),
    ({"0": "0", "1": "0", "2": "0", "3": "0"}, 0.25),
    ({}, 0.0),
    (None, 0.0),
])
def test_matching_grades_the_share_of_correct_pairs(response, expected):
    assert grade("matching", {"pairs": 4}, response) == pytest.approx(expected)


def test_matching_parses_each_select_into_the_match_shown_at_that_place():
    # The form sends the place of the chosen match in the frozen order, never the match's own index.
    order = ["2", "0", "3", "1"]
    form = {"q7-0": "1", "q7-1": "3", "q7-3": "0"}
    assert parse("matching", {"pairs": 4}, form, order=order) == {"0": "0", "1": "1", "3": "2"}
    assert parse("matching", {"pairs": 4}, {}, order=order) is None


@pytest.mark.parametrize("value", ["4", "-1", "a", "٠", "0 "])
def test_matching_refuses_a_match_not_in_the_question(value):
    with pytest.raises(InvalidResponse):
        parse("matching", {"pairs": 4}, {"q7-0": value}, order=["3", "2", "1", "0"])


# Every type --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("type_name", "config", "responses"), [
    ("single", choice_config(), ["a", "b", "c", "d"]),
    ("multiple", choice_config(correct=("a", "b"), scoring="partial"),
     [[], ["a"], ["a", "b"], ["c"], ["a", "b", "c", "d"], ["b", "d"]]),
    ("true_false", {"answer": False}, [True, False]),
    ("short_answer", SHORT, ["", "exploitation", "autre"]),
    ("numerical", {"answer": 1.5, "tolerance": 0.1}, ["1.5", "x", "1,45", "9"]),
    ("matching", {"pairs": 3}, [{}, {"0": "0"}, {"0": "1", "1": "0"}, {"0": "0", "1": "1", "2": "2"}]),
])
def test_every_grade_is_a_fraction_from_zero_to_one(type_name, config, responses):
    fractions = [grade(type_name, config, response) for response in responses]
    assert all(0.0 <= fraction <= 1.0 for fraction in fractions)
    assert 1.0 in fractions and 0.0 in fractions
