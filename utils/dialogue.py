"""Conjunto de evaluación de los bots conversacionales y un bot de recuperación de referencia.

Lo comparten dos cuadernos: el bot de reglas de la clase 2 (``2c_bot_basado_en_reglas``) y el
bot generativo *seq2seq* de la clase 6 (``6c_bot_conversacional``), que así se miden con **las
mismas** preguntas:

- :data:`PARAPHRASES`: 52 reformulaciones de preguntas del corpus de diálogos
  (``utils.data.load_spanish_dialogues()``), escritas a mano (otras palabras, sin tildes, otro
  orden), cada una con la pregunta o preguntas del corpus cuya respuesta es correcta.
  Ninguna es copia de una pregunta del corpus, ni siquiera sin mayúsculas, tildes ni signos
  (``utils.nlp.find_copies``; lo comprueba ``tests/test_dialogue.py``).
- :data:`OUT_OF_DOMAIN`: 20 preguntas ajenas al corpus, que un bot debería rechazar.
- :func:`dev_test_split`: la partición fija en desarrollo (posiciones pares) y prueba (impares).
- :func:`acceptable_answers`: las respuestas aceptables de cada reformulación.
- :class:`RetrievalBot`: el bot de recuperación que ganó en la clase 2 (TF-IDF de n-gramas de
  caracteres + coseno, con umbral 0,425 elegido en desarrollo y *fallback*), como línea de base.

Ejemplo:
    >>> from utils.data import load_spanish_dialogues
    >>> dialogos = load_spanish_dialogues()
    >>> bot = RetrievalBot(dialogos["pregunta"], dialogos["respuesta"])
    >>> bot.reply("cual es la capital de colombia")
    'Bogotá.'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from .nlp import normalize
from .text import ngrams, tokenize

__all__ = [
    "DEFAULT_THRESHOLD",
    "FALLBACK",
    "OUT_OF_DOMAIN",
    "PARAPHRASES",
    "RetrievalBot",
    "acceptable_answers",
    "char_ngrams",
    "chat",
    "dev_test_split",
    "exact_match",
]

#: Umbral de confianza (similitud coseno) elegido en la clase 2 con la mitad de desarrollo.
DEFAULT_THRESHOLD = 0.425
#: Respuesta cuando el bot no encuentra una pregunta lo bastante parecida.
FALLBACK = "No sé responder a eso."

#: (reformulación, [preguntas del corpus cuya respuesta es correcta]).
PARAPHRASES: list[tuple[str, list[str]]] = [
    (
        "explícame qué es la inteligencia artificial",
        ["¿Qué es la inteligencia artificial?", "Qué es la IA"],
    ),
    ("¿puedes sentir emociones como los humanos?", ["¿Tienes sentimientos?"]),
    ("¿eres listo?", ["¿Eres inteligente?"]),
    (
        "en que lenguaje te programaron",
        [
            "En qué lenguaje estás escrito",
            "En qué idioma estás escrito",
            "En qué lenguaje estás programado",
        ],
    ),
    ("¿cuánta memoria ram tienes tú?", ["¿Cuánta RAM tienes?"]),
    ("que significa nlp", ["Qué es NLP"]),
    (
        "¿qué es el procesamiento de lenguaje natural?",
        ["Qué es procesamiento del lenguaje natural"],
    ),
    (
        "¿vas a vivir para siempre?",
        [
            "¿eres inmortal?",
            "¿Morirás?",
            "¿Morirás alguna vez?",
            "algún día vas a morir",
            "porque nunca morirás",
        ],
    ),
    ("¿te puedes copiar a ti mismo?", ["Te puedes clonar", "¿Puedes replicarte?"]),
    (
        "¿cuál es el mejor lenguaje para programar?",
        ["Cuál es el mejor lenguaje de programación", "Qué lenguaje es mejor para programar"],
    ),
    ("que monitor me recomiendas comprar", ["Qué monitor comprar"]),
    ("¿qué es un disco ssd?", ["Qué es un ssd", "Qué es la memoria ssd"]),
    ("¿qué tarjeta gráfica debería comprar?", ["Qué tarjeta gráfica me compro"]),
    ("cuál es el mejor sistema operativo?", ["Cuál es el mejor sistema opeativo"]),
    ("cuanta ram necesito para mi computadora", ["Cuánta memoria RAM necesito"]),
    ("¿qué es exactamente un chatbot?", ["¿Qué es un chatbot?"]),
    ("¿para qué sirven los chatbots?", ["Para qué sirve un chatbot"]),
    (
        "¿cuál es tu propósito?",
        ["Cuál es tu finalidad", "Cuál es tu objetivo", "Para qué te hicieron"],
    ),
    (
        "¿qué lenguaje de programación prefieres?",
        ["¿Cuál es tu lenguaje de programación favorito?"],
    ),
    ("que sistema operativo utilizas", ["¿Qué sistemas operativos usas?"]),
    (
        "¿en qué clase de hardware funcionas?",
        [
            "¿Qué tipo de hardware usas?",
            "¿Qué tipo de computadora?",
            "¿Qué tipo de ordenador eres?",
        ],
    ),
    ("¿eres un programa de computadora?", ["¿Es cierto que eres un programa informático?"]),
    (
        "¿algún día morirás?",
        ["¿Morirás alguna vez?", "algún día vas a morir", "¿Morirás?", "¿eres inmortal?"],
    ),
    ("¿qué es la computación cuántica?", ["qué es un ordenador cuántico"]),
    ("¿qué cosas te gusta hacer?", ["¿Qué te gusta hacer?"]),
    ("dime quién eres", ["¿Quién eres?", "quien eres", "¿Quién eres tú?", "Qué eres"]),
    ("¿cuál es tu libro preferido?", ["¿Cuál es tu libro favorito?"]),
    ("¿qué significa la palabra yolo?", ["¿Qué significa YOLO?"]),
    ("¿te pagan por trabajar?", ["a ti te pagan", "Cuánto cobra usted"]),
    (
        "explícame qué es la bolsa de valores",
        ["que es la bolsa de Valores", "¿Qué es el mercado de valores?"],
    ),
    ("¿qué significa hacer trading?", ["¿qué es el trading?"]),
    ("¿qué es el dólar?", ["¿Qué es un dólar?"]),
    ("defíneme la economía", ["¿Qué es la economía?"]),
    ("¿cuánto dinero ganas?", ["Cuánto ganas", "cuánto dinero tiene usted", "Cuánto cobra usted"]),
    ("¿qué edad tienes?", ["cuantos años tienes", "Cual es tu edad"]),
    ("¿de qué temas puedes hablar?", ["De qué puedes hablar"]),
    ("¿cuáles son tus materias favoritas?", ["Cuáles son tus asignaturas favoritas"]),
    ("¿tienes un número favorito?", ["Cuál es tu número favorito"]),
    ("¿dónde vives?", ["Dónde estás", "Cuál es tu ubicación", "De donde eres"]),
    ("¿tienes hermanos o hermanas?", ["Tienes hermanos"]),
    ("¿quién es tu papá?", ["Quien es tu padre"]),
    ("¿cuándo fuiste creado?", ["Cuándo te crearon"]),
    (
        "¿quién fue el presidente 37 de estados unidos?",
        ["¿Quién fue el presidente número 37 de los Estados Unidos"],
    ),
    (
        "¿en qué año mataron a kennedy?",
        ["¿En qué año fue asesinado el presidente John F. Kennedy?"],
    ),
    (
        "¿cómo se llamó el primer satélite artificial?",
        ["¿Cuál fue el nombre del primer satélite artificial de la Tierra?"],
    ),
    (
        "¿cuál es la galaxia más cercana a la vía láctea?",
        ["¿Cuál es el nombre de la galaxia principal más cercana a la Vía Láctea?"],
    ),
    ("¿cómo se llama la capital de colombia?", ["Cuál es la capital de Colombia?"]),
    ("¿dónde está el canal de suez?", ["¿En qué país se encuentra el Canal de Suez?"]),
    ("¿qué edad tiene la tierra?", ["¿Cuál es la edad aproximada de la Tierra?"]),
    (
        "¿qué ciudad llaman la de la eterna primavera?",
        ["A qué ciudad se le conoce como “La ciudad de la eterna primavera ?"],
    ),
    ("¿usas alguna base de datos?", ["Usas bases de datos"]),
    ("¿para quién trabajas?", ["Quien es tu jefe"]),
]
OUT_OF_DOMAIN: list[str] = [
    "¿cuál es la receta de la paella valenciana?",
    "¿quién ganó el mundial de fútbol de 2010?",
    "¿a qué hora abre el banco mañana?",
    "recomiéndame una serie de televisión",
    "¿cómo cambio la rueda de mi bicicleta?",
    "¿cuánto cuesta un vuelo a madrid?",
    "¿qué temperatura hará el sábado?",
    "¿cómo se dice perro en alemán?",
    "¿cuál es el río más largo del mundo?",
    "necesito reservar una mesa para cuatro personas",
    "¿dónde puedo comprar entradas para el concierto?",
    "¿qué es la fotosíntesis?",
    "¿me ayudas con mi declaración de impuestos?",
    "¿cuántos habitantes tiene perú?",
    "¿cómo se hace un pastel de chocolate?",
    "¿quién escribió don quijote?",
    "¿qué es un agujero negro?",
    "¿cuál es la capital de francia?",
    "mi gato no quiere comer desde ayer",
    "¿cómo instalo una impresora en windows?",
]


def dev_test_split(n: int) -> tuple[list[int], list[int]]:
    """Parte ``n`` elementos en desarrollo (posiciones pares) y prueba (posiciones impares).

    Alternar hace que las dos mitades tengan casos parecidos. Es la partición de la clase 2:
    el umbral del bot se eligió con la de desarrollo y los resultados se informan en la de
    prueba.

    Ejemplo:
        >>> dev_test_split(5)
        ([0, 2, 4], [1, 3])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n debe ser un entero ≥ 0; se recibió {n!r}.")
    return list(range(0, int(n), 2)), list(range(1, int(n), 2))


def acceptable_answers(
    questions: Sequence[str],
    answers: Sequence[str],
    paraphrases: Sequence[tuple[str, Sequence[str]]] = PARAPHRASES,
) -> list[set[str]]:
    """Respuestas aceptables de cada reformulación: las de toda fila cuya pregunta es un objetivo.

    Una pregunta del corpus puede aparecer en varias filas con respuestas distintas; todas
    cuentan como correctas.

    Ejemplo:
        >>> ok = acceptable_answers(["¿Hola?", "¿Hola?", "¿Qué hora es?"], ["Hola", "Buenas", "Tarde"],
        ...                         [("hola!", ["¿Hola?"])])
        >>> sorted(ok[0])
        ['Buenas', 'Hola']
    """
    questions, answers = list(questions), list(answers)
    if len(questions) != len(answers):
        raise ValueError(
            f"Hay {len(questions)} preguntas y {len(answers)} respuestas: deben ser tantas como."
        )
    if not questions:
        raise ValueError("El corpus de preguntas está vacío.")
    by_question: dict[str, set[str]] = {}
    for q, a in zip(questions, answers, strict=True):
        by_question.setdefault(q, set()).add(a)
    result = []
    for text, targets in paraphrases:
        missing = [t for t in targets if t not in by_question]
        if missing:
            raise ValueError(
                f"La reformulación {text!r} apunta a preguntas que no están en el corpus: "
                f"{missing}. ¿Se pasó el corpus de load_spanish_dialogues()?"
            )
        result.append(set().union(*(by_question[t] for t in targets)))
    return result


def exact_match(reply: str, options: Iterable[str]) -> bool:
    """¿Es ``reply`` igual, token a token, a alguna de las respuestas ``options``?

    Compara con ``utils.text.tokenize``: no cuentan las mayúsculas ni los espacios de más,
    pero sí cada palabra y cada signo. Es la «exactitud» de los bots de las clases 2 y 6.

    Ejemplo:
        >>> exact_match("soy  un Bot.", ["Soy un bot.", "Hola."])
        True
        >>> exact_match("soy un bot", ["Soy un bot."])
        False
    """
    if not isinstance(reply, str):
        raise TypeError(f"reply debe ser un texto (str); se recibió {type(reply).__name__}.")
    if isinstance(options, str):
        raise TypeError("options debe ser una colección de respuestas, no un único texto.")
    tokens = tokenize(reply)
    return any(tokens == tokenize(o) for o in options)


def char_ngrams(text: str, sizes: Iterable[int] = (2, 3, 4)) -> list[str]:
    """N-gramas de caracteres de cada palabra normalizada (sin tildes ni puntuación), con
    espacios como bordes: «chatbots» y «chatbot» comparten casi todos sus rasgos.

    Ejemplo:
        >>> char_ngrams("¡Sí!", sizes=(2, 3))
        [' s', 'si', 'i ', ' si', 'si ']
    """
    if not isinstance(text, str):
        raise TypeError(f"text debe ser un texto (str); se recibió {type(text).__name__}.")
    sizes = list(sizes)
    if not sizes or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(f"sizes debe ser una lista de enteros ≥ 1; se recibió {sizes!r}.")
    grams: list[str] = []
    for word in normalize(text, remove_accents=True, remove_punct=True).split():
        chars = list(f" {word} ")
        grams += ["".join(g) for n in sizes for g in ngrams(chars, n)]
    return grams


class RetrievalBot:
    """Bot de recuperación: devuelve la respuesta de la pregunta del corpus más parecida.

    Vectoriza las preguntas con TF-IDF (``sublinear_tf``) de n-gramas de caracteres
    (:func:`char_ngrams`) y compara con la similitud coseno. Si la mejor similitud no llega al
    ``threshold``, responde ``fallback``. Es la configuración ganadora de la clase 2, sin las
    intenciones escritas a mano.

    Ejemplo:
        >>> bot = RetrievalBot(["¿Cómo te llamas?", "¿Qué es un chatbot?"], ["Nomi.", "Un programa."])
        >>> bot.reply("que es un chatbot")
        'Un programa.'
        >>> bot.reply("¿cuál es la receta de la paella?")
        'No sé responder a eso.'
    """

    def __init__(
        self,
        questions: Iterable[str],
        answers: Iterable[str],
        threshold: float = DEFAULT_THRESHOLD,
        fallback: str = FALLBACK,
    ) -> None:
        self.questions, self.answers = list(questions), list(answers)
        if len(self.questions) != len(self.answers):
            raise ValueError(
                f"Hay {len(self.questions)} preguntas y {len(self.answers)} respuestas: hacen "
                "falta tantas respuestas como preguntas."
            )
        if not self.questions:
            raise ValueError("El bot necesita al menos una pregunta con su respuesta.")
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(
                f"threshold es una similitud coseno entre 0 y 1; se recibió {threshold!r}."
            )
        self.threshold, self.fallback = float(threshold), fallback
        # analyzer=char_ngrams: cada texto se convierte en su lista de n-gramas
        self.vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(self.questions)  # [n_preguntas, |V|]

    def retrieve(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Para cada texto: índice de la pregunta más parecida y su similitud coseno.

        Ejemplo:
            >>> bot = RetrievalBot(["hola", "adiós"], ["¡Hola!", "¡Chao!"])
            >>> best, score = bot.retrieve(["adios"])
            >>> int(best[0]), round(float(score[0]), 2)
            (1, 1.0)
        """
        if isinstance(texts, str):
            raise TypeError(
                "retrieve() espera una lista de textos; envuelve el texto en una lista."
            )
        texts = list(texts)
        if not texts:
            return np.zeros(0, dtype=int), np.zeros(0)
        sims = cosine_similarity(self.vectorizer.transform(texts), self.matrix)  # [n, n_preguntas]
        return sims.argmax(axis=1), sims.max(axis=1)

    def answer(self, texts: Sequence[str]) -> list[str | None]:
        """Respuesta para cada texto, o ``None`` si la similitud queda bajo el umbral.

        Ejemplo:
            >>> RetrievalBot(["hola"], ["¡Hola!"]).answer(["hola", "impuestos"])
            ['¡Hola!', None]
        """
        best, score = self.retrieve(texts)
        return [
            self.answers[int(b)] if s >= self.threshold else None
            for b, s in zip(best, score, strict=True)
        ]

    def reply(self, text: str) -> str:
        """Respuesta a un mensaje (``fallback`` si no hay una pregunta lo bastante parecida)."""
        if not isinstance(text, str):
            raise TypeError(f"reply() espera un texto (str); se recibió {type(text).__name__}.")
        found = self.answer([text])[0]
        return self.fallback if found is None else found


#: Mensajes que terminan una conversación de :func:`chat`.
EXIT_WORDS = frozenset({"salir", "exit", "quit"})


def chat(reply: Callable[[str], str], input_fn: Callable[[str], str] = input) -> int:
    """Conversación interactiva (Jupyter/Colab): lee mensajes y escribe la respuesta del bot.

    ``reply`` recibe el mensaje y devuelve el texto a mostrar. Termina con «salir» (o ``exit``,
    ``quit``) y devuelve el número de turnos. ``input_fn`` permite probarla sin teclado.

    Ejemplo:
        >>> mensajes = iter(["hola", "salir"])
        >>> chat(str.upper, input_fn=lambda _: next(mensajes))
        Escribe tu mensaje («salir» para terminar).
        Bot: HOLA
        Bot: ¡Hasta luego!
        1
    """
    print("Escribe tu mensaje («salir» para terminar).")
    turns = 0
    while True:
        message = input_fn("Tú: ").strip()
        if message.lower() in EXIT_WORDS:
            print("Bot: ¡Hasta luego!")
            return turns
        print("Bot:", reply(message))
        turns += 1
