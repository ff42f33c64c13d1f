"""Pruebas de utils.dialogue: el conjunto de evaluación de los bots y el bot de recuperación."""

from __future__ import annotations

import doctest

import pytest

import utils.dialogue as dialogue_module
from utils.data import load_spanish_dialogues
from utils.dialogue import (
    DEFAULT_THRESHOLD,
    OUT_OF_DOMAIN,
    PARAPHRASES,
    RetrievalBot,
    acceptable_answers,
    char_ngrams,
    dev_test_split,
)
from utils.nlp import find_copies


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    ds = load_spanish_dialogues()
    return list(ds["pregunta"]), list(ds["respuesta"])


def test_doctests():
    result = doctest.testmod(dialogue_module)
    assert result.failed == 0 and result.attempted > 0


def test_evaluation_set_shape():
    assert len(PARAPHRASES) == 52 and len(OUT_OF_DOMAIN) == 20
    texts = [p for p, _ in PARAPHRASES]
    assert len(set(texts)) == len(texts)  # sin reformulaciones repetidas
    assert all(targets for _, targets in PARAPHRASES)


def test_paraphrases_are_held_out(corpus):
    questions, _ = corpus
    known = set(questions)
    assert all(q in known for _, targets in PARAPHRASES for q in targets)
    assert not {p for p, _ in PARAPHRASES} & known  # ninguna reformulación está en el corpus
    assert not set(OUT_OF_DOMAIN) & known


def test_paraphrases_are_not_normalized_copies(corpus):
    """Ni siquiera sin mayúsculas, tildes ni signos: una copia se respondería por coincidencia."""
    questions, _ = corpus
    assert find_copies([p for p, _ in PARAPHRASES], questions) == []
    assert find_copies(OUT_OF_DOMAIN, questions) == []
    # la comprobación sí detecta una copia que solo cambia la forma
    assert find_copies(["¿cual es la capital de colombia?"], questions) != []


def test_dev_test_split():
    dev, test = dev_test_split(len(PARAPHRASES))
    assert dev == list(range(0, 52, 2)) and test == list(range(1, 52, 2))
    assert dev_test_split(0) == ([], [])
    with pytest.raises(ValueError):
        dev_test_split(-1)


def test_acceptable_answers(corpus):
    questions, answers = corpus
    ok = acceptable_answers(questions, answers)
    assert len(ok) == len(PARAPHRASES) and all(ok)
    # «bolsa de Valores» tiene varias respuestas en el corpus: todas son aceptables
    i = next(k for k, (p, _) in enumerate(PARAPHRASES) if "bolsa de valores" in p)
    assert len(ok[i]) >= 3


def test_acceptable_answers_bad_input(corpus):
    questions, answers = corpus
    with pytest.raises(ValueError, match="tantas"):
        acceptable_answers(questions, answers[:-1])
    with pytest.raises(ValueError, match="vacío"):
        acceptable_answers([], [])
    with pytest.raises(ValueError, match="no están en el corpus"):
        acceptable_answers(["hola"], ["¡hola!"])


def test_char_ngrams():
    assert char_ngrams("Chatbots!", sizes=(4,))[:2] == [" cha", "chat"]
    assert char_ngrams("") == []
    with pytest.raises(TypeError):
        char_ngrams(["hola"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        char_ngrams("hola", sizes=())


def test_retrieval_bot_reproduces_class_2(corpus):
    """Con el umbral de la clase 2, los números de prueba de 2c: 69 % de aciertos, 80 % de rechazo."""
    questions, answers = corpus
    bot = RetrievalBot(questions, answers)
    assert bot.threshold == DEFAULT_THRESHOLD
    ok = acceptable_answers(questions, answers)
    _, test = dev_test_split(len(PARAPHRASES))
    replies = bot.answer([PARAPHRASES[i][0] for i in test])
    accuracy = sum(r in ok[i] for r, i in zip(replies, test, strict=True)) / len(test)
    assert accuracy == pytest.approx(18 / 26)
    _, test_out = dev_test_split(len(OUT_OF_DOMAIN))
    rejected = [r is None for r in bot.answer([OUT_OF_DOMAIN[i] for i in test_out])]
    assert sum(rejected) / len(rejected) == pytest.approx(0.8)


def test_retrieval_bot_exact_question_and_fallback(corpus):
    questions, answers = corpus
    bot = RetrievalBot(questions, answers, fallback="¿Perdón?")
    best, score = bot.retrieve([questions[10]])
    assert answers[int(best[0])] in {
        a for q, a in zip(questions, answers, strict=True) if q == questions[10]
    }
    assert score[0] == pytest.approx(1.0)
    assert bot.reply("zzzz qqqq") == "¿Perdón?"
    assert bot.retrieve([])[0].shape == (0,)


def test_retrieval_bot_bad_input():
    with pytest.raises(ValueError, match="tantas"):
        RetrievalBot(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="al menos una"):
        RetrievalBot([], [])
    with pytest.raises(ValueError, match="threshold"):
        RetrievalBot(["a"], ["x"], threshold=1.5)
    bot = RetrievalBot(["hola"], ["¡hola!"])
    with pytest.raises(TypeError):
        bot.retrieve("hola")
    with pytest.raises(TypeError):
        bot.reply(["hola"])  # type: ignore[arg-type]


def test_exact_match_ignores_case_and_spacing_only():
    from utils.dialogue import exact_match

    assert exact_match("¿Qué  es un CHATBOT?", ["otra cosa", "¿qué es un chatbot?"])
    assert not exact_match("qué es un chatbot", ["¿qué es un chatbot?"])  # los signos cuentan
    assert not exact_match("hola", [])
    with pytest.raises(TypeError, match="reply"):
        exact_match(None, ["hola"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="colección"):
        exact_match("hola", "hola")


def test_chat_loops_until_exit_and_counts_turns(capsys):
    from utils.dialogue import chat

    messages = iter(["  hola  ", "¿qué tal?", "SALIR", "no se lee"])
    turns = chat(lambda m: f"eco: {m}", input_fn=lambda _prompt: next(messages))
    out = capsys.readouterr().out
    assert turns == 2
    assert "Bot: eco: hola\n" in out and "Bot: eco: ¿qué tal?\n" in out
    assert out.rstrip().endswith("Bot: ¡Hasta luego!") and "no se lee" not in out
