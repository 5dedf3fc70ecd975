// The VisualWords page: upload or pick an image, ask for expressions, show each mask as a tint
// with a black-white-black contour (visible on any object colour), keep a history per image.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { imageId: null, blob: null, name: null, history: [], current: -1 };
// Read by the browser test and handy in the console.
window.visualWords = state;

function setStatus(text, kind) {
  $("status").textContent = text;
  document.body.dataset.state = kind;
}

async function problemText(response) {
  try {
    const p = await response.json();
    return `${p.title || response.status}: ${p.detail || ""}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function checkModel() {
  const pill = $("model-status");
  const r = await fetch("readyz");
  pill.textContent = r.ok ? "model: ready" : "model: " + (await problemText(r));
  pill.className = "pill " + (r.ok ? "ready" : "error");
  if (!r.ok) setTimeout(checkModel, 2000);
}

async function openImage(blob, name) {
  setStatus(`Uploading ${name}…`, "uploading");
  const form = new FormData();
  form.append("image", blob, name);
  const started = performance.now();
  const r = await fetch("api/images", { method: "POST", body: form });
  if (!r.ok) return setStatus(await problemText(r), "error");
  const info = await r.json();
  Object.assign(state, { imageId: info.id, blob, name, history: [], current: -1 });
  const url = URL.createObjectURL(blob);
  await new Promise((resolve) => { $("photo").onload = resolve; $("photo").src = url; });
  sizeStage(info.width, info.height);
  $("words").removeAttribute("src"); // fetched when first shown
  $("words").hidden = !$("words-toggle").checked;
  if ($("words-toggle").checked) showWords();
  $("stage").hidden = false;
  $("drop-hint").hidden = true;
  for (const id of ["expression", "go", "words-toggle"]) $(id).disabled = false;
  const o = info.open_ms;
  $("image-info").textContent = `${info.width}×${info.height}, ${info.tokens.visual_words} visual words (a patch projector: ${info.tokens.patches} tokens)`;
  renderHistory();
  clearOverlay();
  setStatus(`Ready: opened in ${Math.round(performance.now() - started)} ms ` +
    `(SAM ${ms(o.sam_encoder)}, visual words ${ms(o.visual_words)}, LLM prefix ${ms(o.prefix)}${info.cache_hit ? ", cached" : ""}). Type an expression.`, "ready");
  $("expression").focus();
}

/** The visual words overlay; the words the shown answer is grounded on are outlined, with their scores in the legend. */
function wordsUrl() {
  const shown = state.current >= 0 ? state.history[state.current].words : [];
  const chosen = shown.map((w) => `${w.region}:${w.score}`).join(",");
  return `api/images/${state.imageId}/words` + (chosen ? `?chosen=${encodeURIComponent(chosen)}` : "");
}

function showWords() {
  const words = $("words");
  const url = wordsUrl();
  if (words.getAttribute("src") === url) return;
  words.onerror = () => {
    words.removeAttribute("src"); // e.g. 429 under load: try again on the next toggle
    setStatus("The visual words could not be loaded; toggle again to retry.", "error");
  };
  words.src = url;
}

function sizeStage(width, height) {
  // Small images (ShapesWorld is 128 px) are scaled up by a whole factor so pixels stay square.
  const fit = Math.min(640 / width, 480 / height);
  const scale = fit >= 1 ? Math.floor(fit) : fit;
  for (const el of [$("photo"), $("overlay")]) {
    el.style.width = `${Math.round(width * scale)}px`;
    el.style.height = `${Math.round(height * scale)}px`;
  }
  $("stage").style.width = `${Math.round(width * scale)}px`;
}

const ms = (v) => `${Math.round(v)} ms`;

async function segment(expression) {
  setStatus(`Segmenting “${expression}”…`, "segmenting");
  const started = performance.now();
  let r = await postSegment(expression);
  if (r.status === 404 && state.blob) {
    // The server no longer holds this image (evicted or restarted): upload it again once.
    const form = new FormData();
    form.append("image", state.blob, state.name);
    form.append("expression", expression);
    r = await fetch("api/segment", { method: "POST", body: form });
  }
  if (r.status === 429) return setStatus(`The server is busy; try again in ${r.headers.get("Retry-After") || "a few"} s.`, "error");
  if (!r.ok) return setStatus(await problemText(r), "error");
  const body = await r.json();
  const result = body.results[0];
  result.round_trip_ms = performance.now() - started;
  result.tokens = body.image.tokens;
  state.history.push(result);
  await show(state.history.length - 1);
  setStatus(`“${expression}” → ${result.answer}`, "done");
}

function postSegment(expression) {
  return fetch("api/segment", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ image_id: state.imageId, expressions: [expression] }),
  });
}

async function show(index) {
  state.current = index;
  state.last = state.history[index];
  renderHistory();
  if ($("words-toggle").checked) showWords();
  await drawMask(state.last.mask_png);
}

function renderHistory() {
  const list = $("history");
  list.replaceChildren(...state.history.map((h, i) => {
    const li = document.createElement("li");
    li.className = i === state.current ? "current" : "";
    li.dataset.index = i;
    const t = h.timings_ms;
    li.innerHTML = `<div class="expr"></div><div class="answer"></div>` +
      `<div class="meta">${h.area} px · ${ms(h.round_trip_ms)} round trip (LLM ${ms(t.llm)}, decoder ${ms(t.decoder)}) · ` +
      `${h.tokens.visual_words} visual tokens vs ${h.tokens.patches} patches` +
      (h.words.length ? ` · grounded in word${h.words.length > 1 ? "s" : ""} ${h.words.map((w) => w.region).join(", ")}` : "") + `</div>`;
    li.querySelector(".expr").textContent = h.expression;
    li.querySelector(".answer").textContent = h.mask_count === 0 ? `${h.answer} (no [SEG]: empty mask)` : h.answer;
    li.onclick = () => show(i);
    return li;
  }));
}

function clearOverlay() {
  const c = $("overlay");
  c.getContext("2d").clearRect(0, 0, c.width, c.height);
  delete c.dataset.maskShown;
}

async function drawMask(dataUrl) {
  const photo = $("photo");
  const w = parseInt(photo.style.width, 10), h = parseInt(photo.style.height, 10);
  const png = await loadImage(dataUrl);
  const c = $("overlay");
  c.width = w; c.height = h;
  const ctx = c.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(png, 0, 0, w, h);
  const src = ctx.getImageData(0, 0, w, h);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < mask.length; i++) mask[i] = src.data[i * 4] > 127 ? 1 : 0;
  // Bands around the boundary: black outside, white inside, black again, then the tint; one of
  // black or white contrasts with any object colour.
  const core2 = erode(mask, w, h, 2), core3 = erode(core2, w, h, 1), outer = dilate(mask, w, h, 1);
  const out = ctx.createImageData(w, h);
  for (let i = 0; i < mask.length; i++) {
    const rgba = core3[i] ? [0, 200, 255, 140]   // tint
      : core2[i] ? [0, 0, 0, 255]                    // inner black line
      : mask[i] ? [255, 255, 255, 255]               // white line on the boundary, 2 px
      : outer[i] ? [0, 0, 0, 255]                    // outer black line
      : null;
    if (rgba) out.data.set(rgba, i * 4);
  }
  ctx.putImageData(out, 0, 0);
  c.dataset.maskShown = "true";
}

/** Pixels whose whole (2k+1)² neighbourhood is inside the mask (k rounds of 3x3 erosion). */
function erode(mask, w, h, k) {
  let cur = mask;
  for (let round = 0; round < k; round++) {
    const next = new Uint8Array(w * h);
    for (let y = 1; y < h - 1; y++)
      for (let x = 1; x < w - 1; x++) {
        const i = y * w + x;
        next[i] = cur[i] & cur[i - 1] & cur[i + 1] & cur[i - w] & cur[i + w] & cur[i - w - 1] & cur[i - w + 1] & cur[i + w - 1] & cur[i + w + 1];
      }
    cur = next;
  }
  return cur;
}

/** The mask grown by k pixels (3x3 dilation, k rounds). */
function dilate(mask, w, h, k) {
  let cur = mask;
  for (let round = 0; round < k; round++) {
    const next = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let any = 0;
        for (let dy = -1; dy <= 1 && !any; dy++)
          for (let dx = -1; dx <= 1 && !any; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && xx >= 0 && yy < h && xx < w) any = cur[yy * w + xx];
          }
        next[y * w + x] = any;
      }
    cur = next;
  }
  return cur;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = reject;
    img.src = url;
  });
}

function wire() {
  $("file").onchange = (e) => { const f = e.target.files[0]; if (f) openImage(f, f.name); };
  for (const b of document.querySelectorAll("#examples button")) {
    b.onclick = async () => {
      const r = await fetch(b.dataset.src);
      await openImage(await r.blob(), b.dataset.src.split("/").pop());
      $("expression").value = b.dataset.hint;
    };
  }
  const drop = $("drop");
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer.files[0];
    if (f) openImage(f, f.name);
  };
  $("ask").onsubmit = (e) => {
    e.preventDefault();
    const text = $("expression").value.trim();
    if (!text) return setStatus("Type an expression first.", "error");
    segment(text);
  };
  $("words-toggle").onchange = (e) => {
    $("words").hidden = !e.target.checked;
    if (e.target.checked) showWords();
  };
}

wire();
checkModel();
