"""Solución de referencia del desafío 7 (resumidor extractivo de oraciones clave).

Puntúa cada oración con tres señales sobre TF-IDF lematizado (Snowball, sin *stopwords*),
ajustado en las oraciones y el título de cada documento: el coseno con el **centroide**, el
coseno con el **título** y un premio por **posición** ``γ / (1 + i)``. Los pesos y el número de
oraciones ``k`` se eligen en **desarrollo** con una búsqueda en rejilla; la prueba se puntúa una
sola vez, en la celda del cuaderno. Ejecútala con ``python tests/soluciones/run.py desafio_7``.
"""

NOTEBOOK = "clase_7/desafio_7.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta línea de base por tu resumidor.": """
stemmer = SnowballStemmer("spanish")
stop = spanish_stopwords()


def stems(text):
    return [stemmer.stem(w) for w in tokenize(text, keep_punct=False) if w not in stop]


def sentence_scores(doc, w_centroid, w_title, w_position):
    sentences = doc["sentences"]
    vec = TfidfVectorizer(tokenizer=stems, token_pattern=None, sublinear_tf=True)
    vec.fit(sentences + [doc["title"]])
    x = vec.transform(sentences).toarray()  # [n, vocab]
    x /= np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-12)
    title = vec.transform([doc["title"]]).toarray()[0]
    centroid = x.mean(axis=0)
    cos_title = x @ title / max(np.linalg.norm(title), 1e-12)
    cos_centroid = x @ centroid / max(np.linalg.norm(centroid), 1e-12)
    position = 1 / (1 + np.arange(len(sentences)))
    return w_centroid * cos_centroid + w_title * cos_title + w_position * position


def make_select(w_centroid, w_title, w_position, k):
    def select(doc):
        scores = sentence_scores(doc, w_centroid, w_title, w_position)
        return sorted(int(i) for i in np.argsort(-scores, kind="stable")[:k])

    return select


grid = list(itertools.product([0.5, 1.0], [0.0, 0.5, 1.0], [0.0, 0.25, 0.5, 1.0], [2, 3]))
tuning = {params: evaluate(make_select(*params), dev)["F1 clave"] for params in grid}
best = max(tuning, key=lambda p: (tuning[p], -p[2]))  # empate: menos peso a la posición
print(f"{len(grid)} combinaciones en desarrollo; la mejor (centroide, título, posición, k) = "
      f"{best}: F1 clave {tuning[best]:.3f}")
MY_NAME = "centroide + título + posición (TF-IDF lematizado)"
my_select = make_select(*best)
""",
}

#: Los objetivos obligatorios del cuaderno en ✅.
CHECK = "dev_ok and once_ok"

FIGURES = {
    "f1_clave_desarrollo": "my_dev['F1 clave']",
    "f1_clave_desarrollo_lead3": "lead_dev['F1 clave']",
    "f1_clave_prueba": "final.loc[MY_NAME, 'F1 clave']",
    "f1_clave_prueba_base": "final.loc['línea de base', 'F1 clave']",
    "f1_clave_prueba_lead3": "final.loc['lead-3', 'F1 clave']",
    "mejora_sobre_base_ic_bajo": "vs_base.low",
    "mejora_sobre_lead3": "vs_lead.estimate",
}
