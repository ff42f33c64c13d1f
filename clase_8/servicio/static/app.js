// Página del servicio: llama a la API con fetch y muestra resultados o errores. Sin dependencias.
"use strict";

const $ = (id) => document.getElementById(id);

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// POST con JSON; devuelve el cuerpo de la respuesta o lanza un Error con el mensaje de la API.
async function callApi(path, body) {
  const headers = { "Content-Type": "application/json" };
  const token = $("token").value.trim();
  if (token) headers["Authorization"] = "Bearer " + token;
  let response;
  try {
    response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
  } catch (err) {
    throw new Error("No se pudo contactar con el servicio: " + err.message);
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) {
    const detail = data && data.detalle ? data.detalle : response.statusText;
    const retry = response.headers.get("Retry-After");
    throw new Error(`Error ${response.status}: ${detail}` + (retry ? ` (reintenta en ${retry} s)` : ""));
  }
  return data;
}

// Una fila «nombre ▇▇▇▇ 83 %» por cada par (nombre, probabilidad).
function bars(container, pairs) {
  for (const [name, p] of pairs) {
    const row = document.createElement("div");
    row.className = "fila";
    const label = document.createElement("span");
    label.className = "nombre";
    label.textContent = name;
    const bar = document.createElement("div");
    bar.className = "barra";
    bar.style.width = (100 * p).toFixed(1) + "%";
    const value = document.createElement("span");
    value.textContent = (100 * p).toFixed(1) + " %";
    row.append(label, bar, value);
    container.append(row);
  }
}

// Conecta un formulario: construye la petición, la envía y pinta la respuesta.
function wire(formId, path, buildBody, render, resultId) {
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button");
    const out = $(resultId);
    button.disabled = true;
    showError("");
    try {
      const data = await callApi(path, buildBody());
      out.replaceChildren();
      render(out, data);
    } catch (err) {
      out.replaceChildren();
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  });
}

const number = (id) => Number($(id).value);

wire("form-sentimiento", "/sentimiento",
  () => ({ textos: $("sent-texto").value.split("\n").filter((t) => t.trim() !== "") }),
  (out, data) => {
    data.resultados.forEach((res, i) => {
      const block = document.createElement("div");
      block.className = "caso";
      const phrase = document.createElement("div");
      phrase.className = "frase";
      const texts = $("sent-texto").value.split("\n").filter((t) => t.trim() !== "");
      phrase.textContent = `«${texts[i]}» → ${res.etiqueta}`;
      block.append(phrase);
      bars(block, Object.entries(res.probabilidades));
      out.append(block);
    });
  }, "sent-resultado");

wire("form-mascara", "/mascara",
  () => ({ texto: $("mask-texto").value, top_k: number("mask-k") }),
  (out, data) => bars(out, data.candidatos.map((c) => [c.token, c.probabilidad])),
  "mask-resultado");

wire("form-resumen", "/resumen",
  () => ({ texto: $("res-texto").value, oraciones: number("res-k"), metodo: $("res-metodo").value }),
  (out, data) => {
    out.textContent = data.resumen;
    const note = document.createElement("div");
    note.className = "ayuda";
    note.textContent = `Oraciones elegidas: ${data.indices.map((i) => i + 1).join(", ")} de ${data.n_oraciones}.`;
    out.append(note);
  }, "res-resultado");

wire("form-generar", "/generar",
  () => ({
    texto: $("gen-texto").value, max_new_tokens: number("gen-max"), temperature: number("gen-temp"),
    top_k: number("gen-topk"), top_p: number("gen-topp"),
  }),
  (out, data) => {
    const prompt = document.createElement("span");
    prompt.textContent = data.texto.slice(0, data.texto.length - data.continuacion.length);
    const cont = document.createElement("span");
    cont.className = "continuacion";
    cont.textContent = data.continuacion;
    out.append(prompt, cont);
    if (data.recortado) {
      const note = document.createElement("div");
      note.className = "ayuda";
      note.textContent = "El texto no cabía en el contexto del modelo: se usó solo su final.";
      out.append(note);
    }
  }, "gen-resultado");

// Estado del servicio al abrir la página.
fetch("/salud").then((r) => r.json()).then((data) => {
  const parts = Object.entries(data.modelos).map(([task, state]) => `${task}: ${state}`);
  $("estado").textContent = "Servicio en marcha. " + parts.join(" · ");
}).catch((err) => {
  $("estado").textContent = "El servicio no responde: " + err.message;
  $("estado").classList.add("mal");
});
