"""Qué acepta y qué devuelve cada endpoint (pydantic v2).

Cada campo tiene límites (largo del texto, tamaño del lote, rangos numéricos) y los modelos
prohíben campos de más (``extra="forbid"``): una petición fuera de esos límites recibe un 422
con un mensaje en español *antes* de llegar al modelo. Las descripciones y los ejemplos
aparecen en la documentación interactiva (``/docs``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

#: Largo máximo (en caracteres) de un texto para clasificar o rellenar.
MAX_CHARS = 1000
#: Largo máximo del texto que se resume.
MAX_CHARS_SUMMARY = 20_000
#: Textos por petición de sentimiento.
MAX_TEXTS = 32
#: Tokens nuevos como máximo en una generación.
MAX_NEW_TOKENS = 200
MASK = "[MASK]"

Texto = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SentimientoIn(_Strict):
    textos: list[Texto] = Field(
        min_length=1,
        max_length=MAX_TEXTS,
        description=f"Entre 1 y {MAX_TEXTS} textos de 1 a {MAX_CHARS} caracteres.",
        examples=[["The movie was wonderful.", "A boring, predictable film."]],
    )


class Prediccion(BaseModel):
    etiqueta: str = Field(description="La clase más probable.")
    probabilidades: dict[str, float] = Field(description="Probabilidad de cada clase (suman 1).")


class SentimientoOut(BaseModel):
    resultados: list[Prediccion]
    modelo: str


class MascaraIn(_Strict):
    texto: Texto = Field(
        description=f"Un texto con exactamente una vez «{MASK}» donde va la palabra que falta.",
        examples=["En el principio creó Dios los [MASK] y la tierra."],
    )
    top_k: int = Field(5, ge=1, le=20, description="Cuántos candidatos devolver (1–20).")

    @field_validator("texto")
    @classmethod
    def _one_mask(cls, value: str) -> str:
        if value.count(MASK) != 1:
            raise ValueError(
                f"el texto debe contener «{MASK}» exactamente una vez (tiene {value.count(MASK)})"
            )
        return value


class Candidato(BaseModel):
    token: str
    probabilidad: float
    texto: str = Field(description="El texto con la máscara reemplazada por el candidato.")


class MascaraOut(BaseModel):
    candidatos: list[Candidato]
    modelo: str


class ResumenIn(_Strict):
    texto: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHARS_SUMMARY)
    ] = Field(
        description=f"El documento que se resume (hasta {MAX_CHARS_SUMMARY} caracteres).",
        examples=[
            "El río nace en la sierra. Cruza tres provincias antes de llegar al mar. "
            "Sus aguas riegan huertas y olivares. En verano su caudal baja mucho. "
            "Los pueblos de la ribera celebran fiestas en su honor."
        ],
    )
    oraciones: int = Field(3, ge=1, le=10, description="Cuántas oraciones tiene el resumen.")
    metodo: Literal["centroid", "kmeans", "mmr"] = Field(
        "centroid",
        description="«centroid»: las oraciones más cercanas al centro del documento; «kmeans»: "
        "una oración por grupo de oraciones parecidas; «mmr»: como el centroide, penalizando "
        "las oraciones redundantes.",
    )


class ResumenOut(BaseModel):
    resumen: str
    indices: list[int] = Field(description="Posición de cada oración elegida en el documento.")
    n_oraciones: int = Field(description="Oraciones que tiene el documento.")
    modelo: str


class GenerarIn(_Strict):
    texto: Texto = Field(
        description="El comienzo del texto que el modelo continúa.",
        examples=["En el principio"],
    )
    max_new_tokens: int = Field(
        40, ge=1, le=MAX_NEW_TOKENS, description=f"Tokens nuevos (1–{MAX_NEW_TOKENS})."
    )
    temperature: float = Field(
        0.8, ge=0.0, le=2.0, description="0 = greedy (determinista); mayor = más variado (≤ 2)."
    )
    top_k: int = Field(
        50, ge=0, le=1000, description="Solo los k tokens más probables (0 = todos)."
    )
    top_p: float = Field(
        0.95, gt=0.0, le=1.0, description="Muestreo de núcleo: masa de probabilidad (0, 1]."
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Semilla para repetir.")


class GenerarOut(BaseModel):
    texto: str = Field(description="El texto de entrada seguido de la continuación.")
    continuacion: str
    tokens_generados: int
    recortado: bool = Field(
        description="True si el texto de entrada no cabía en el contexto del modelo y se usó "
        "solo su final."
    )
    modelo: str


class Error(BaseModel):
    detalle: str
    errores: list[dict] | None = None
