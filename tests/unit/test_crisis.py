# ruff: noqa: RUF001
# (Curly quotes and apostrophes appear on purpose: normalising them is under test.)
"""Crisis language matching (I2): normalisation, whole-word matches with spans in the
original text, immutable phrase lists, and the v1 list's figures on the corpus, which
docs/kites.md must repeat exactly."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.kites.crisis import (
    Match,
    Phrase,
    PhraseList,
    default_phrase_list,
    extend,
    match,
    normalise,
)
from tests.unit.crisis_corpus import EN_CRISIS, EN_ORDINARY, ES_CRISIS, ES_ORDINARY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "kites.md"
V1 = default_phrase_list()


def ids(text: str, phrases: PhraseList = V1) -> list[str]:
    return [found.phrase_id for found in match(phrases, text)]


# Normalisation.


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        # Every apostrophe look-alike becomes the ASCII one inside a word.
        ("I can’t", "i can't"),
        ("I can‘t", "i can't"),
        ("I can`t", "i can't"),
        ("I can´t", "i can't"),
        ("I can′t", "i can't"),
        ("I canʼt", "i can't"),
        ("I can＇t", "i can't"),
        # At a word's edge it is a quotation mark or a dropped letter: gone.
        ("’cause I’m dyin’", "cause i'm dyin"),
        ("“help”", "help"),
        # Accents go, for comparison only.
        ("Está DAÑADO", "esta danado"),
        ("Me quiero morír", "me quiero morir"),
        ("e\u0301l", "el"),  # a combining accent typed separately
        # Casefolding, beyond lowercasing.
        ("STRASSE straße", "strasse strasse"),
        ("İstanbul", "istanbul"),
        # Compatibility characters that decompose to capitals are casefolded too.
        ("㎐ ℌ Ⅻ", "hz h xii"),
        # An apostrophe look-alike that only appears on decomposing is one too.
        ("ŉ oŉe", "n o'ne"),
        # Every kind of space, run together, becomes one.
        ("want \t to\n\ndie\u00a0now\u3000ok ", "want to die now ok"),
        # Other punctuation separates words.
        ("kill.myself", "kill myself"),
        ("self-harm", "self harm"),
        ("¿Qué? ¡Ayuda!", "que ayuda"),
        ("help 🙏 me", "help me"),
        # Stretched letters shorten; doubled ones stay.
        ("sooooo tired", "so tired"),
        ("I wanna diiiie", "i wanna die"),
        ("too good", "too good"),
        ("1000 days", "1000 days"),
        # Invisible format characters (category Cf) vanish, not becoming a space.
        ("ki\u200bll myself", "kill myself"),  # zero-width space
        ("kil\u00adl myself", "kill myself"),  # soft hyphen
        ("ki\u200cll my\u200dself", "kill myself"),  # zero-width non-joiner and joiner
        ("\ufeffkill\u2060 myself", "kill myself"),  # byte order mark, word joiner
        ("can\u200b't", "can't"),
        ("\u200b\u00ad", ""),
        ("", ""),
    ],
)
def test_it_normalises_text_for_comparison(text: str, normal: str) -> None:
    assert normalise(text) == normal


def test_pero_and_perro_stay_distinct() -> None:
    assert normalise("pero") == "pero"
    assert normalise("PERRO") == "perro"
    only_perro = PhraseList("t", (Phrase("dog", "es", "perro"),))
    assert ids("pero quiero terapia", only_perro) == []
    assert ids("el perro de mi hermano", only_perro) == ["dog"]


def test_a_stretched_double_letter_shortens_to_one_letter() -> None:
    # The price of shortening stretched words: "killll" reads "kil", which is one reason
    # "kil myself" is a listed variant.
    assert normalise("killll myself") == "kil myself"
    assert ids("killll myself") == ["en-kill-myself"]


# Matches, with spans in the original text.


def test_a_match_points_at_the_words_as_written() -> None:
    text = "Please.  I  CAN’T   go on!!"
    assert match(V1, text) == (Match("en-cant-go-on", 12, 25, "CAN’T   go on"),)
    assert text[12:25] == "CAN’T   go on"


def test_a_stretched_word_is_covered_by_its_whole_span() -> None:
    (found,) = match(V1, "i want to kiiiiill myselfff")
    assert found.text == "kiiiiill myselfff"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("ki\u200bll myself", 0, 12),  # zero-width space inside a word
        ("kil\u00adl myself", 0, 12),  # soft hyphen
        ("I will ki\u200dll my\u200cself", 7, 20),  # zero-width joiner and non-joiner
        ("\ufeffkill\u2060 myself\u200b.", 1, 13),  # at the edges they stay outside
        ("\u200bk\u00adi\u200bl\u2060l m\u200by\u200bs\u00ade\u200blf", 1, 19),
    ],
)
def test_invisible_characters_cannot_hide_a_word(text: str, start: int, end: int) -> None:
    assert ids("kill myself") == ["en-kill-myself"]
    assert match(V1, text) == (Match("en-kill-myself", start, end, text[start:end]),)
    assert normalise(text[start:end]) == "kill myself"


def test_an_expanded_character_maps_back_to_itself() -> None:
    # "ß" becomes two letters, "ﬁ" (a ligature) two more.
    phrases = PhraseList("t", (Phrase("street", "en", "strasse fine"),))
    (found,) = match(phrases, "Die Straße ﬁne.")
    assert found.text == "Straße ﬁne"


def test_it_matches_whole_words_only() -> None:
    assert ids("my skill myselfie") == []
    assert ids("the suicides report") == []
    assert ids("kill myself") == ["en-kill-myself"]


def test_a_misspelling_matches_only_through_its_listed_variant() -> None:
    assert ids("thinking about suicde") == ["en-suicide"]
    assert ids("I want to kil myself") == ["en-kill-myself"]
    assert ids("I wanna die") == ["en-want-to-die"]
    assert ids("thinking about suiccide") == []


def test_every_phrase_is_looked_for_whatever_the_language_of_the_text() -> None:
    text = "I am ok pero a veces quiero morir and I want to die"
    assert ids(text) == ["es-quiero-morir", "en-want-to-die"]


def test_a_longer_form_of_a_phrase_is_reported_once() -> None:
    (found,) = match(V1, "Me quiero morir")
    assert (found.phrase_id, found.text) == ("es-quiero-morir", "Me quiero morir")


def test_each_occurrence_is_reported_in_order() -> None:
    found = match(V1, "suicide. SUICIDE. Suicidal.")
    assert [(f.phrase_id, f.start) for f in found] == [
        ("en-suicide", 0),
        ("en-suicide", 9),
        ("en-suicidal", 18),
    ]


def test_text_with_no_crisis_language_has_no_match() -> None:
    assert match(V1, "when is my next appointment with the psych doctor") == ()
    assert match(V1, "") == ()


# Phrase lists are immutable; a supervisor's additions make a new version.


def test_extending_a_list_keeps_every_phrase_and_names_a_new_version() -> None:
    added = Phrase("local-1", "en", "wanna go to sleep forever")
    extended = extend(V1, [added], "v1+north-1")
    assert extended.version == "v1+north-1"
    assert extended.phrases == (*V1.phrases, added)
    assert ids("I wanna go to sleep forever", extended) == ["local-1"]
    assert ids("I wanna go to sleep forever") == []


def test_an_extension_cannot_reuse_the_version() -> None:
    with pytest.raises(ValueError, match="already published"):
        extend(V1, [Phrase("local-1", "en", "gone forever")], V1.version)


def test_an_extension_cannot_redefine_a_phrase_id() -> None:
    with pytest.raises(ValueError, match="en-suicide"):
        extend(V1, [Phrase("en-suicide", "en", "something milder")], "v2")


def test_a_list_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        PhraseList("t", (Phrase("a", "en", "one"), Phrase("a", "en", "two")))


@pytest.mark.parametrize("pattern", ["", "  ", "?!"])
def test_a_phrase_needs_words(pattern: str) -> None:
    with pytest.raises(ValueError, match="no words"):
        Phrase("empty", "en", pattern)


def test_the_v1_list_fits_the_columns_that_record_a_signal() -> None:
    # CrisisSignal stores phrase_id in 64 characters and the version in 32.
    assert V1.version == "v1"
    assert len(V1.version) <= 32
    assert all(len(phrase.id) <= 64 for phrase in V1.phrases)


def test_no_v1_variant_merely_repeats_its_pattern() -> None:
    for phrase in V1.phrases:
        assert len(phrase.forms) == 1 + len(phrase.variants), phrase.id


@pytest.mark.parametrize("phrase", V1.phrases, ids=lambda phrase: phrase.id)
def test_each_v1_form_is_found_in_a_sentence(phrase: Phrase) -> None:
    for form in phrase.forms:
        assert phrase.id in ids(f"Kite: {form.upper()}, please."), form


# Properties.

WORDS = st.text(max_size=40)


@given(WORDS)
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(WORDS, WORDS)
def test_more_words_never_remove_a_signal(first: str, second: str) -> None:
    before = set(ids(first))
    assert before <= set(ids(f"{first} {second}"))
    assert set(ids(second)) <= set(ids(f"{first} {second}"))


@given(WORDS, st.sampled_from(V1.phrases), st.data())
def test_a_match_span_normalises_to_a_form_of_its_phrase(
    prefix: str, phrase: Phrase, data: st.DataObject
) -> None:
    form = data.draw(st.sampled_from(phrase.forms))
    written = data.draw(st.sampled_from([form, form.upper(), form.replace("'", "’")]))
    text = f"{prefix} {written}."
    found = [m for m in match(V1, text) if m.phrase_id == phrase.id]
    assert found
    for m in found:
        assert text[m.start : m.end] == m.text
        assert normalise(m.text) in phrase.forms


# The corpus figures. docs/kites.md repeats these numbers and lists every miss and false
# alarm; change the list or the corpus, and this test says what the docs must now say.


@dataclass(frozen=True)
class Figures:
    crisis: int
    crisis_flagged: int
    ordinary: int
    ordinary_flagged: int

    @property
    def recall(self) -> float:
        return self.crisis_flagged / self.crisis

    @property
    def precision(self) -> float:
        return self.crisis_flagged / (self.crisis_flagged + self.ordinary_flagged)

    def row(self, label: str) -> str:
        return (
            f"| {label} | {self.crisis} | {self.crisis_flagged} | {self.recall:.1%} "
            f"| {self.ordinary} | {self.ordinary_flagged} | {self.precision:.1%} |"
        )


EXPECTED = {
    "en": Figures(crisis=70, crisis_flagged=60, ordinary=66, ordinary_flagged=9),
    "es": Figures(crisis=66, crisis_flagged=58, ordinary=66, ordinary_flagged=6),
    "all": Figures(crisis=136, crisis_flagged=118, ordinary=132, ordinary_flagged=15),
}
# Chosen below the measured figures with a little room, not above them: the corpus holds
# indirect warning signs ("I gave my commissary away") that no phrase list can catch.
RECALL_FLOOR = 0.85

KNOWN_MISSES = (
    "i dont see a reason to keep living",
    "i’m not going to make it through this sentence, I want it over",
    "I gave my commissary away to everybody because I won't need it",
    "Tell my daughter I love her and I'm sorry. I won't be here much longer.",
    "my life is over and i'm ready to die",
    "I'm going to starve myself to death",
    "Im going to swallow the batteries from my radio",
    "I wish I had never been born, I want everything to stop",
    "honestly I would rather be dead than go back to prison",
    "I’ve been cutting my arms again with a razor",
    "me corté los brazos anoche con una navaja",
    "Las voces me dicen que me mate",
    "Ya me despedí de mi mamá por carta",
    "Les regalé todas mis cosas a los del pod",
    "me voy a tirar del segundo piso",
    "Tomé muchas pastillas anoche a propósito",
    "Me estoy haciendo daño y nadie me ayuda",
    "ojalá no despertara mañana",
)
KNOWN_FALSE_ALARMS = (
    "I hurt myself playing basketball in the yard, my knee is swollen",
    "I cut myself shaving and it won't stop bleeding",
    "I don’t want to die in here, my heart meds are late every day",
    "My brother died of an overdose last month, I need grief counseling",
    "My celly's cousin committed suicide and he's taking it real hard, can someone check on him",
    "I was on suicide watch at my last facility, please send my records to my lawyer",
    "I want to end it with my girlfriend but she keeps writing me, can I talk to someone",
    "I can't go on Tuesday because I have court, can we move my appointment",
    "I want to die my hair, can commissary sell hair dye",
    "quiero cortarme el pelo, ¿cuándo viene el barbero?",
    "ya no aguanto mas el dolor de muela",
    "Mi compañero de celda dice que va a matarme si no le doy mi comisaría",
    "Mi hermano murió de una sobredosis y necesito hablar con alguien",
    "no quiero vivir con mi suegra cuando salga",
    "ya no puedo más con el dolor de espalda, necesito al doctor",
)


def measure(crisis: tuple[str, ...], ordinary: tuple[str, ...]) -> Figures:
    return Figures(
        crisis=len(crisis),
        crisis_flagged=sum(1 for text in crisis if match(V1, text)),
        ordinary=len(ordinary),
        ordinary_flagged=sum(1 for text in ordinary if match(V1, text)),
    )


def test_the_corpus_is_large_enough_to_say_something() -> None:
    for sentences in (EN_CRISIS, EN_ORDINARY, ES_CRISIS, ES_ORDINARY):
        assert len(sentences) >= 60
        assert len(set(sentences)) == len(sentences)


def test_the_corpus_figures_are_those_the_docs_state() -> None:
    measured = {
        "en": measure(EN_CRISIS, EN_ORDINARY),
        "es": measure(ES_CRISIS, ES_ORDINARY),
        "all": measure(EN_CRISIS + ES_CRISIS, EN_ORDINARY + ES_ORDINARY),
    }
    assert measured == EXPECTED
    docs = DOCS.read_text(encoding="utf-8")
    for label, figures in EXPECTED.items():
        assert figures.row(label) in docs


def test_recall_on_the_crisis_sentences_is_at_least_the_floor() -> None:
    assert all(figures.recall >= RECALL_FLOOR for figures in EXPECTED.values())


def test_the_known_misses_and_false_alarms_are_those_the_docs_list() -> None:
    misses = [text for text in EN_CRISIS + ES_CRISIS if not match(V1, text)]
    alarms = [text for text in EN_ORDINARY + ES_ORDINARY if match(V1, text)]
    assert misses == list(KNOWN_MISSES)
    assert alarms == list(KNOWN_FALSE_ALARMS)
    docs = DOCS.read_text(encoding="utf-8")
    for text in KNOWN_MISSES + KNOWN_FALSE_ALARMS:
        assert text in docs, text
