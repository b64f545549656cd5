// The drawing page: sends the canvas to /api/predict-image while you draw and shows what comes back.
"use strict";
const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const seen = document.getElementById("seen");
const bars = document.getElementById("bars");
const status = document.getElementById("status");
let drawing = false, last = null, inFlight = false, pending = false, lastSent = 0, unitCanvases = [];

function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function buildBars() {
  for (let d = 0; d < 10; d++) {
    const label = document.createElement("span");
    label.textContent = d;
    const track = document.createElement("div");
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.id = "bar-" + d;
    bar.style.width = "0%";
    track.appendChild(bar);
    const value = document.createElement("span");
    value.id = "prob-" + d;
    value.className = "muted";
    value.textContent = "–";
    bars.append(label, track, value);
  }
}

function point(event) {
  const r = pad.getBoundingClientRect();
  return { x: (event.clientX - r.left) * pad.width / r.width, y: (event.clientY - r.top) * pad.height / r.height };
}

pad.addEventListener("pointerdown", e => {
  drawing = true;
  last = point(e);
  pad.setPointerCapture(e.pointerId);
  stroke(last, last);
});
pad.addEventListener("pointermove", e => {
  if (!drawing) return;
  const p = point(e);
  stroke(last, p);
  last = p;
  schedule();
});
pad.addEventListener("pointerup", () => { drawing = false; schedule(true); });
pad.addEventListener("pointercancel", () => { drawing = false; });

function stroke(a, b) {
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 20;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.lineTo(b.x, b.y);
  ctx.stroke();
}

// Live predictions while drawing: at most one request in flight, at most every 120 ms.
function schedule(now) {
  if (inFlight) { pending = true; return; }
  if (!now && performance.now() - lastSent < 120) { pending = true; setTimeout(() => pending && !inFlight && schedule(true), 130); return; }
  pending = false;
  lastSent = performance.now();
  inFlight = true;
  pad.toBlob(async blob => {
    try {
      const response = await fetch("api/predict-image", { method: "POST", headers: { "Content-Type": "image/png" }, body: blob });
      const json = await response.json();
      if (!response.ok) { showError(json.error); return; }
      show(json);
      status.textContent = "Keep drawing, or clear to start again.";
    } catch (err) {
      showError(String(err));
    } finally {
      inFlight = false;
      if (pending) schedule(true);
    }
  }, "image/png");
}

function showError(message) {
  status.textContent = message;
  document.getElementById("prediction").textContent = "?";
}

function show(result) {
  const best = result.digit;
  document.getElementById("prediction").textContent = best;
  result.probabilities.forEach((p, d) => {
    const bar = document.getElementById("bar-" + d);
    bar.style.width = (100 * p).toFixed(1) + "%";
    bar.classList.toggle("best", d === best);
    document.getElementById("prob-" + d).textContent = (100 * p).toFixed(1) + "%";
  });
  if (result.input) drawSmall(seen, result.input, v => [v * 255, v * 255, v * 255]);
  if (result.maps) showMaps(result.maps);
  const hidden = document.getElementById("hidden");
  hidden.replaceChildren();
  const max = Math.max(1e-6, ...result.hidden.map(Math.abs));
  result.hidden.forEach((a, i) => {
    const div = document.createElement("div");
    div.style.height = (100 * Math.abs(a) / max).toFixed(0) + "%";
    div.style.background = a >= 0 ? "#5a5" : "#c55";
    div.title = "unit " + i + ": " + a.toFixed(3);
    hidden.appendChild(div);
    if (unitCanvases[i]) unitCanvases[i].style.borderColor = "rgba(40,160,40," + Math.min(1, Math.max(0, a / max)).toFixed(2) + ")";
  });
}

// Draws a width × height array (28×28 unless given) onto a canvas, scaled up without smoothing.
function drawSmall(canvas, values, color, width = 28, height = 28) {
  const small = document.createElement("canvas");
  small.width = width; small.height = height;
  const sctx = small.getContext("2d");
  const image = sctx.createImageData(width, height);
  values.forEach((v, i) => {
    const [r, g, b] = color(v);
    image.data[4 * i] = r; image.data[4 * i + 1] = g; image.data[4 * i + 2] = b; image.data[4 * i + 3] = 255;
  });
  sctx.putImageData(image, 0, 0);
  const c = canvas.getContext("2d");
  c.imageSmoothingEnabled = false;
  c.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// Blue negative, white zero, red positive, against the largest magnitude.
function diverging(max) {
  return v => {
    const t = v / max, fade = 255 * (1 - Math.min(1, Math.abs(t)));
    return t >= 0 ? [255, fade, fade] : [fade, fade, 255];
  };
}

// A size × size canvas of width × height values in diverging colours, titled, appended to holder.
function tile(holder, values, width, height, size, title) {
  const canvas = document.createElement("canvas");
  canvas.width = size; canvas.height = size;
  canvas.title = title;
  drawSmall(canvas, values, diverging(Math.max(1e-9, ...values.map(Math.abs))), width, height);
  holder.appendChild(canvas);
  return canvas;
}

// The first convolution's feature maps for the drawing: one small picture per filter.
function showMaps(maps) {
  document.getElementById("maps-section").hidden = false;
  const holder = document.getElementById("maps");
  holder.replaceChildren();
  const plane = maps.height * maps.width;
  for (let c = 0; c < maps.channels; c++) {
    tile(holder, maps.values.slice(c * plane, (c + 1) * plane), maps.width, maps.height, 56, "filter " + c);
  }
}

async function loadModel() {
  const model = await (await fetch("api/model")).json();
  document.getElementById("model-info").textContent =
    "model " + model.shape + (model.preset ? " · preset " + model.preset : "") +
    (model.testAccuracy ? " · test accuracy " + (100 * Number(model.testAccuracy)).toFixed(2) + " %" : "");
  document.getElementById("test-image").disabled = !model.hasTestImages;
  if (model.filters) {
    document.getElementById("filters-section").hidden = false;
    const holder = document.getElementById("filters");
    model.filters.forEach((w, i) => tile(holder, w, model.kernel, model.kernel, 42, "filter " + i));
  }
  if (model.hiddenWeights) {
    document.getElementById("units-section").hidden = false;
    const units = document.getElementById("units");
    model.hiddenWeights.forEach((w, i) => unitCanvases.push(tile(units, w, 28, 28, 28, "unit " + i)));
  }
}

document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  document.getElementById("prediction").textContent = "–";
  status.textContent = "Draw one digit with the mouse or a finger.";
});

document.getElementById("test-image").addEventListener("click", async () => {
  const image = await (await fetch("api/test-image")).json();
  drawSmall(pad, image.pixels, v => [v * 255, v * 255, v * 255]);
  const response = await fetch("api/predict", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pixels: image.pixels }) });
  const result = await response.json();
  if (!response.ok) { showError(result.error); return; }
  result.input = image.pixels;
  show(result);
  status.textContent = "Test image #" + image.index + ", labelled " + image.label + ".";
});

clearPad();
buildBars();
loadModel();
