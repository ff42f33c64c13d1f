"""Solución de referencia del desafío 5: GRU con *max-pooling*, pesos por clase y Word2Vec ajustado.

- Parte A: una GRU que resume el tuit con el **máximo** de sus salidas en todos los pasos (en
  lugar del último estado) y la pérdida con **pesos por clase** (``"balanced"``), tres épocas.
- Parte B: Word2Vec Skip-gram (5 épocas) con los tuits de entrenamiento como punto de partida
  de los *embeddings*, **ajustados** con la tarea, y el mismo modelo y los mismos pesos que en A.

Elegida mirando solo la macro-F1 de desarrollo; la prueba se puntúa una sola vez, en la celda
del cuaderno. Ejecútala con ``python tests/soluciones/run.py desafio_5``.
"""

NOTEBOOK = "clase_5/desafio_5.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta copia de la línea de base por tu versión con balanceo de clases.": """
# Solución de referencia (parte A): GRU con max-pooling y pesos por clase.
SOLUTION_EPOCHS = smoke_or(3, 1)
class_weights = torch.tensor(
    compute_class_weight("balanced", classes=np.arange(3), y=train_df["label"]), dtype=torch.float32
).to(device)
set_seed(SEED)
model_a = RNNClassifier(len(vocab), emb_dim=100, hidden=128, num_classes=3, dropout=0.3, pad_id=vocab.pad_id,
                        cell="gru", pooling="max")  # fmt: skip
loss_a = nn.CrossEntropyLoss(weight=class_weights)
train_model("A: GRU máx + pesos", model_a, loss_fn=loss_a, epochs=SOLUTION_EPOCHS)
results_table()
""",
    "# ✏️ Completa: Word2Vec más afinado y el mismo balanceo que en la parte A.": """
# Solución de referencia (parte B): Word2Vec Skip-gram ajustado, mismo modelo y pesos que A.
start = time.perf_counter()
w2v = Word2Vec(
    train_tokens, vector_size=100, window=5, min_count=2, sg=1, epochs=5, workers=1, seed=SEED
)
w2v_matrix, coverage = embedding_matrix_from_word2vec(vocab, w2v.wv, seed=SEED)
print(f"Word2Vec en {time.perf_counter() - start:.1f} s · cobertura del vocabulario {coverage:.1%}")
set_seed(SEED)
model_b = RNNClassifier(len(vocab), emb_dim=100, hidden=128, num_classes=3, dropout=0.3, pad_id=vocab.pad_id,
                        cell="gru", pooling="max", pretrained=w2v_matrix, freeze=False)  # fmt: skip
loss_b = nn.CrossEntropyLoss(weight=class_weights)
train_model("B: Word2Vec ajustado", model_b, loss_fn=loss_b, epochs=SOLUTION_EPOCHS)
results_table()
""",
}

#: Expresión que debe ser verdadera en modo completo (variables del propio cuaderno).
CHECK = "all(checks.values())"

#: Cifras que se guardan en resultados/soluciones/desafio_5.json.
FIGURES = {
    "mejor_modelo": "best_name",
    "macro_f1_desarrollo": "best_f1",
    "macro_f1_prueba": "test_f1",
    "mejora_sobre_base_ic_bajo": "gain.low",
    "base_macro_f1_prueba": "test_table.loc['línea de base', 'test_macro_f1']",
    "a_recall_positivo_prueba": "test_table.loc[name_a, 'test_recall_positivo']",
    "b_macro_f1_prueba": "test_table.loc[name_b, 'test_macro_f1']",
    "tuits_prueba": "len(test)",
}
