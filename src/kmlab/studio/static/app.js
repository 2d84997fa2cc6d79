// kmlab Studio: the page draws and asks; every number comes from the server (kmlab's Python API).
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_UPLOAD = 10 * 1024 * 1024;
const GREY = "#9a9a9a";
const NOISE = "#cfcfcf";
const VORONOI_CELLS = 160;
const PHASES = {
  init: "initial centres",
  assign: "assignment: every point joins its nearest centre",
  update: "update: every centre moves to the mean of its points",
  final: "final result",
};
const MINIBATCH_UPDATE = "update: the centres move toward a random batch of points (colours: nearest centre)";

const state = {
  info: null,
  dataset: null,     // the data set as the server described it
  drawn: null,       // points being drawn (view coordinates), or null when not drawing
  fit: null,         // the last fit
  frame: 0,
  timer: null,
  placed: [],        // centres placed by clicking (init "click to place")
  predictions: [],
  selection: null,   // the K panel's select_k result
  busy: 0,
  fitRequest: 0,     // numbers the fits, so that a late answer to an old request is dropped
};

// --- helpers -----------------------------------------------------------------------------

function setBusy(delta) {
  state.busy += delta;
  document.body.dataset.state = state.busy > 0 ? "busy" : "ready";
}

function say(text, isError = false) {
  const message = $("message");
  message.textContent = text || "";
  message.classList.toggle("error", Boolean(isError && text));
  if (isError && text) message.dataset.error = text; else delete message.dataset.error;
}

async function api(path, body, options = {}) {
  setBusy(1);
  try {
    const init = body === undefined ? { method: "GET" } : {
      method: "POST",
      headers: { "Content-Type": options.contentType || "application/json" },
      body: options.raw ? body : JSON.stringify(body),
    };
    const response = await fetch(path, { ...init, credentials: "same-origin" });
    let payload = null;
    try { payload = await response.json(); } catch (error) { payload = null; }
    if (!response.ok) {
      const detail = payload && payload.detail ? payload.detail : `${response.status} ${response.statusText}`;
      throw new Error(detail);
    }
    return payload;
  } finally {
    setBusy(-1);
  }
}

function intValue(id) { return parseInt($(id).value, 10); }
function floatValue(id) { return parseFloat($(id).value); }
function color(label) { return label < 0 ? NOISE : state.info.colors[label % state.info.colors.length]; }
function fmt(value, digits = 4) { return value === null || value === undefined ? "–" : Number(value).toPrecision(digits); }
function algorithmSpec() { return state.info.algorithms.find((a) => a.name === $("algorithm").value); }

// --- data --------------------------------------------------------------------------------

function fillPresetFields(preset) {
  $("n-points").value = preset.n_points;
  $("noise").value = preset.noise === null ? "" : preset.noise;
  $("noise").disabled = preset.noise === null;
  $("seed").value = preset.seed;
  $("preset-description").textContent = preset.description;
}

function currentPreset() { return state.info.presets.find((p) => p.name === $("preset").value); }

async function generate() {
  const preset = currentPreset();
  const body = { preset: preset.name, n_points: intValue("n-points"), seed: intValue("seed") };
  if (preset.noise !== null) body.noise = floatValue("noise");
  try {
    const dataset = await api("/api/data/preset", body);
    if (dataset.k) $("k").value = dataset.k;
    if (dataset.eps) $("eps").value = dataset.eps;
    await useDataset(dataset);
  } catch (error) { say(error.message, true); }
}

async function useDataset(dataset) {
  stopDrawing(false);
  state.dataset = dataset;
  state.fit = null;
  state.frame = 0;
  state.placed = [];
  state.predictions = [];
  document.body.dataset.dataset = dataset.dataset;
  document.body.dataset.points = dataset.n_points;
  $("data-notes").textContent = [`${dataset.title}: ${dataset.n_points.toLocaleString()} points, ${dataset.n_features} columns.`, ...dataset.notes].join(" ");
  $("voronoi").disabled = dataset.projected;
  $("draw").disabled = dataset.projected;
  say("");
  render();
  await Promise.all([refit(), chooseK()]);
}

async function upload(file) {
  if (!file) return;
  if (file.size > MAX_UPLOAD) { say(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; Studio takes files up to 10 MB.`, true); return; }
  try {
    const table = await api(`/api/data/upload?name=${encodeURIComponent(file.name)}`, file, { raw: true, contentType: "text/csv" });
    state.table = table;
    const fieldset = $("columns");
    fieldset.querySelectorAll("label").forEach((label) => label.remove());
    for (const column of table.columns) {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = column.name;
      box.checked = true;
      label.append(box, ` ${column.name} `);
      const spread = document.createElement("small");
      spread.textContent = `sd ${fmt(column.std, 3)}`;
      label.append(spread);
      fieldset.append(label);
    }
    $("standardize").checked = table.standardize;
    const skipped = table.skipped.length ? ` Not numeric, left out: ${table.skipped.join(", ")}.` : "";
    $("table-summary").textContent = `${table.file}: ${table.n_rows.toLocaleString()} rows, ${table.columns.length} numeric columns.${skipped}` +
      (table.standardize ? " The columns' scales differ: standardized." : "");
    $("table-options").hidden = false;
    if (table.data) await useDataset(table.data);
    else say("pick at least two numeric columns", true);
  } catch (error) { say(error.message, true); }
}

async function applyTable() {
  const columns = [...$("columns").querySelectorAll("input:checked")].map((box) => box.value);
  try {
    await useDataset(await api("/api/data/table", { table: state.table.table, columns, standardize: $("standardize").checked }));
  } catch (error) { say(error.message, true); }
}

function startDrawing(points) {
  pause();
  state.drawn = points;
  $("draw").setAttribute("aria-pressed", "true");
  $("draw").textContent = "Done drawing";
  say("Click on the plot to add points; press “Done drawing” to cluster them.");
  render();
}

async function stopDrawing(use = true) {
  const points = state.drawn;
  state.drawn = null;
  $("draw").setAttribute("aria-pressed", "false");
  $("draw").textContent = "Draw points";
  if (!use || points === null) return;
  if (points.length < 2) { say("draw at least 2 points", true); render(); return; }
  try { await useDataset(await api("/api/data/points", { points })); } catch (error) { say(error.message, true); }
}

// --- fitting -----------------------------------------------------------------------------

function fitBody() {
  // Only the settings of the chosen algorithm: a stale field of another one never blocks a fit.
  const algorithm = $("algorithm").value;
  const body = { dataset: state.dataset.dataset, algorithm };
  if (algorithm === "dbscan") return { ...body, eps: floatValue("eps"), min_samples: intValue("min-samples") };
  Object.assign(body, { k: intValue("k"), init: $("init").value, random_state: intValue("random-state") });
  if (algorithm !== "kmedoids") body.n_init = intValue("n-init");
  if (algorithm === "minibatch") body.batch_size = intValue("batch-size");
  if (body.init === "points") body.init_points = state.placed;
  return body;
}

function clearPlot(el) {
  // Plotly.react rather than Plotly.purge, which would drop the K charts' click listeners.
  Plotly.react(el, [], { height: el.clientHeight || 190 }, { displayModeBar: false });
}

async function refit() {
  if (!state.dataset || state.drawn) return;
  pause();
  if ($("init").value === "points" && algorithmSpec().centers && state.placed.length !== intValue("k")) {
    state.fit = null;
    updatePlaceHint();
    render();
    return;
  }
  const request = ++state.fitRequest;
  try {
    const fit = await api("/api/fit", fitBody());
    if (request !== state.fitRequest) return;
    state.fit = fit;
    state.frame = 0;
    state.predictions = [];
    document.body.dataset.model = fit.model;
    $("scrub").max = fit.frames.length - 1;
    showFrame(0);
    showPrediction();
    say(fit.frames.length < fit.n_steps ? `The fit took ${fit.n_steps} steps; ${fit.frames.length} of them are shown.` : "");
    await knife();
  } catch (error) {
    if (request === state.fitRequest) { state.fit = null; render(); say(error.message, true); }
  }
}

function frameLabels(index) {
  const frame = state.fit.frames[index];
  return frame.labels === null ? null : state.fit.assignments[frame.labels];
}

function showFrame(index) {
  if (!state.fit) return;
  state.frame = Math.max(0, Math.min(index, state.fit.frames.length - 1));
  $("scrub").value = state.frame;
  render();
}

function lastFrame() { return state.fit ? state.fit.frames.length - 1 : 0; }
function step(delta) { pause(); showFrame(state.frame + delta); }

function play() {
  if (!state.fit) return;
  if (state.timer) { pause(); return; }
  if (state.frame >= lastFrame()) showFrame(0);
  $("play").textContent = "❚❚ Pause";
  const tick = () => {
    if (state.frame >= lastFrame()) { pause(); return; }
    showFrame(state.frame + 1);
    state.timer = setTimeout(tick, 1800 / intValue("speed"));
  };
  state.timer = setTimeout(tick, 1800 / intValue("speed"));
}

function pause() {
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  $("play").textContent = "▶ Play";
}

// --- the main plot -----------------------------------------------------------------------

function extent(points) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of points) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (!Number.isFinite(x0)) return [-5, 5, -5, 5];
  const mx = 0.06 * (x1 - x0 || 2), my = 0.06 * (y1 - y0 || 2);
  return [x0 - mx, x1 + mx, y0 - my, y1 + my];
}

function voronoiTrace(centers, box) {
  // A square twice the data's size: the equal-aspect axes show more than the data's box.
  const side = 2 * Math.max(box[1] - box[0], box[3] - box[2]);
  const [cx, cy] = [(box[0] + box[1]) / 2, (box[2] + box[3]) / 2];
  const [x0, x1, y0, y1] = [cx - side / 2, cx + side / 2, cy - side / 2, cy + side / 2];
  const xs = [], ys = [], z = [];
  for (let i = 0; i < VORONOI_CELLS; i++) xs.push(x0 + (x1 - x0) * (i + 0.5) / VORONOI_CELLS);
  for (let j = 0; j < VORONOI_CELLS; j++) ys.push(y0 + (y1 - y0) * (j + 0.5) / VORONOI_CELLS);
  for (const y of ys) {
    const row = [];
    for (const x of xs) {
      let best = 0, bestDistance = Infinity;
      centers.forEach(([cx, cy], c) => { const d = (x - cx) ** 2 + (y - cy) ** 2; if (d < bestDistance) { bestDistance = d; best = c; } });
      row.push(best);
    }
    z.push(row);
  }
  const k = centers.length;
  const colorscale = [];
  for (let c = 0; c < k; c++) { colorscale.push([c / k, color(c)], [(c + 1) / k, color(c)]); }
  if (k === 1) colorscale.push([1, color(0)]);
  return { type: "heatmap", x: xs, y: ys, z, zmin: -0.5, zmax: k - 0.5, colorscale, showscale: false, opacity: 0.22, hoverinfo: "skip", name: "regions" };
}

function render() {
  const el = $("scatter");
  if (!state.info || typeof Plotly === "undefined") return;
  const points = state.drawn !== null ? state.drawn : (state.dataset ? state.dataset.points : []);
  const fit = state.drawn === null ? state.fit : null;
  const frame = fit ? fit.frames[state.frame] : null;
  const labels = fit ? frameLabels(state.frame) : null;
  const centers = frame && frame.centers ? frame.centers : null;
  const box = extent(points);
  const traces = [];
  if (centers && $("voronoi").checked && !(state.dataset && state.dataset.projected)) traces.push(voronoiTrace(centers, box));
  const big = points.length > 4000;
  traces.push({
    type: big ? "scattergl" : "scatter", mode: "markers", name: "points",
    x: points.map((p) => p[0]), y: points.map((p) => p[1]),
    marker: { size: big ? 4 : 7, color: labels ? labels.map(color) : GREY, line: { width: big ? 0 : 0.5, color: "#ffffff" } },
    hovertemplate: labels ? "(%{x:.3g}, %{y:.3g})<br>cluster %{customdata}<extra></extra>" : "(%{x:.3g}, %{y:.3g})<extra></extra>",
    customdata: labels || undefined,
  });
  if (centers && $("trails").checked && state.frame > 0) {
    centers.forEach((_, c) => {
      const path = fit.frames.slice(0, state.frame + 1).filter((f) => f.centers && f.centers[c]).map((f) => f.centers[c]);
      traces.push({ type: "scatter", mode: "lines", x: path.map((p) => p[0]), y: path.map((p) => p[1]), line: { color: color(c), width: 2, dash: "dot" }, hoverinfo: "skip", showlegend: false });
    });
  }
  if (centers) {
    traces.push({
      type: "scatter", mode: "markers", name: "centres",
      x: centers.map((p) => p[0]), y: centers.map((p) => p[1]),
      marker: { symbol: "x", size: 16, color: centers.map((_, c) => color(c)), line: { width: 2, color: "#111111" } },
      hovertemplate: "centre %{customdata}<extra></extra>", customdata: centers.map((_, c) => c),
    });
  }
  if (state.placed.length && (!fit || $("init").value === "points")) {
    traces.push({
      type: "scatter", mode: "markers", name: "placed",
      x: state.placed.map((p) => p[0]), y: state.placed.map((p) => p[1]),
      marker: { symbol: "diamond-open", size: 16, color: "#111111", line: { width: 2 } }, hoverinfo: "skip",
    });
  }
  if (state.predictions.length && fit) {
    traces.push({
      type: "scatter", mode: "markers", name: "new points",
      x: state.predictions.map((p) => p.point[0]), y: state.predictions.map((p) => p.point[1]),
      marker: { symbol: "star", size: 18, color: state.predictions.map((p) => color(p.label)), line: { width: 1.5, color: "#111111" } },
      hovertemplate: "new point → cluster %{customdata}<extra></extra>", customdata: state.predictions.map((p) => p.label),
    });
  }
  const titles = state.dataset && state.drawn === null ? state.dataset.axis_titles : ["x", "y"];
  const layout = {
    margin: { l: 50, r: 10, t: 10, b: 45 },
    showlegend: false,
    dragmode: clickMode() ? false : "zoom",
    hovermode: "closest",
    xaxis: { title: { text: titles[0] }, range: [box[0], box[1]], zeroline: false },
    yaxis: { title: { text: titles[1] }, range: [box[2], box[3]], zeroline: false, scaleanchor: "x", scaleratio: 1 },
    uirevision: state.dataset ? state.dataset.dataset : "none",
    plot_bgcolor: "#ffffff",
  };
  Plotly.react(el, traces, layout, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] });
  el.classList.toggle("clickable", Boolean(clickMode()));
  updateStatus(frame, labels);
}

function updateStatus(frame, labels) {
  const body = document.body.dataset;
  if (state.drawn !== null) {
    $("status").textContent = `Drawing: ${state.drawn.length} points.`;
    body.frame = 0; body.frames = 0; body.clusters = 0; body.phase = "drawing";
    return;
  }
  if (!frame) {
    $("status").textContent = state.dataset ? ($("init").value === "points" ? "Place the starting centres by clicking." : "No fit yet.") : "Loading…";
    body.frames = 0; body.clusters = 0; body.phase = "none";
    return;
  }
  const fit = state.fit;
  const clusters = labels ? new Set(labels.filter((l) => l >= 0)).size : 0;
  const at = `step ${state.frame + 1} of ${fit.frames.length}`;
  const phase = fit.algorithm === "minibatch" && frame.phase === "update" ? MINIBATCH_UPDATE : PHASES[frame.phase];
  const parts = [frame.iteration !== null ? `${fit.algorithm === "minibatch" ? "Batch" : "Iteration"} ${frame.iteration}` : "", phase];
  if (frame.n_changed !== undefined) parts.push(`${frame.n_changed} points changed cluster`);
  if (frame.inertia !== null) parts.push(`${fit.algorithm === "kmedoids" ? "total distance" : "inertia"} ${fmt(frame.inertia, 6)}`);
  if (fit.algorithm === "dbscan") parts.push(`${fit.n_clusters} clusters, ${fit.n_noise} noise points`);
  const last = state.frame === lastFrame();
  if (last && fit.converged !== null) parts.push(fit.converged ? "converged" : "stopped at max_iter");
  $("status").textContent = `${parts.filter(Boolean).join(" · ")} (${at})`;
  body.frame = state.frame;
  body.frames = fit.frames.length;
  body.phase = frame.phase;
  body.clusters = clusters;
  body.converged = String(last && fit.converged !== false);
  body.inertia = frame.inertia === null ? "" : frame.inertia;
}

// --- clicks on the plot ------------------------------------------------------------------

function clickMode() {
  // Drawing first; then placing centres until K are placed; then predicting; then placing anew.
  if (state.drawn !== null) return "draw";
  const placing = $("init").value === "points" && algorithmSpec() && algorithmSpec().centers;
  if (placing && state.placed.length < intValue("k")) return "place";
  if ($("predict-mode").checked && state.fit && state.fit.centers) return "predict";
  return placing ? "place" : null;
}

function plotPoint(event) {
  const el = $("scatter");
  const layout = el._fullLayout;
  if (!layout || !layout.xaxis) return null;
  const rect = el.getBoundingClientRect();
  const xa = layout.xaxis, ya = layout.yaxis;
  const px = event.clientX - rect.left - xa._offset, py = event.clientY - rect.top - ya._offset;
  if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
  const round = (v) => Math.round(v * 1e4) / 1e4;
  return [round(xa.p2c(px)), round(ya.p2c(py))];
}

// A click is a press and a release at the same place.  Plotly covers the page while the
// button is down, so the release is watched on the whole document.
let pressed = null;
function onPlotDown(event) {
  pressed = event.target.closest && event.target.closest(".modebar") ? null : [event.clientX, event.clientY];
}

async function onPlotUp(event) {
  if (!pressed || Math.hypot(event.clientX - pressed[0], event.clientY - pressed[1]) > 4) { pressed = null; return; }
  pressed = null;
  const mode = clickMode();
  if (!mode) return;
  const point = plotPoint(event);
  if (!point) return;
  if (mode === "draw") {
    state.drawn.push(point);
    render();
  } else if (mode === "place") {
    if (state.placed.length >= intValue("k")) state.placed = [];
    state.placed.push(point);
    updatePlaceHint();
    if (state.placed.length === intValue("k")) await refit(); else render();
  } else if (mode === "predict") {
    await predictAt(point);
  }
}

function updatePlaceHint() {
  const placing = $("init").value === "points" && algorithmSpec().centers;
  $("place-hint").hidden = !placing;
  $("place-count").textContent = `${Math.max(0, intValue("k") - state.placed.length)} remaining of ${intValue("k")}`;
}

async function predictAt(point) {
  try {
    const fit = state.fit;
    const result = await api("/api/predict", { model: fit.model, points: [point] });
    if (fit !== state.fit) return;
    state.predictions.push({ point, label: result.labels[0], distances: result.distances[0] });
    showFrame(lastFrame());
    showPrediction();
  } catch (error) { say(error.message, true); }
}

function showPrediction() {
  const panel = $("predict-result");
  const last = state.predictions[state.predictions.length - 1];
  document.body.dataset.predicted = state.predictions.length;
  if (!last) { panel.hidden = true; delete panel.dataset.label; return; }
  panel.hidden = false;
  panel.dataset.label = last.label;
  panel.replaceChildren();
  const title = document.createElement("p");
  title.innerHTML = `New point (${last.point[0]}, ${last.point[1]}) → <strong>cluster <span class="swatch"></span>${last.label}</strong>, the nearest centre. Distances to the centres:`;
  title.querySelector(".swatch").style.background = color(last.label);
  const list = document.createElement("ol");
  list.start = 0;
  last.distances.forEach((distance, c) => {
    const item = document.createElement("li");
    item.value = c;
    item.textContent = `centre ${c}: ${fmt(distance, 4)}`;
    item.style.borderLeft = `6px solid ${color(c)}`;
    if (c === last.label) item.className = "nearest";
    list.append(item);
  });
  panel.append(title, list);
}

// --- choosing K --------------------------------------------------------------------------

async function chooseK() {
  const dataset = state.dataset;
  try {
    const selection = await api("/api/select-k", { dataset: dataset.dataset, k_max: 10, random_state: 0 });
    if (dataset !== state.dataset) return;
    state.selection = selection;
    drawSelection();
  } catch (error) {
    state.selection = null;
    $("verdict").textContent = error.message;
    delete document.body.dataset.elbow;
    delete document.body.dataset.bestK;
    clearPlot($("elbow"));
    clearPlot($("silhouette-k"));
  }
}

function markedChart(el, ks, ys, marked, markLabel, yTitle) {
  const current = intValue("k");
  const traces = [{
    type: "scatter", mode: "lines+markers", x: ks, y: ys, connectgaps: false,
    marker: { size: ks.map((k) => (k === current ? 13 : 8)), color: ks.map((k) => (k === marked ? "#d62728" : k === current ? "#111111" : "#1f77b4")) },
    line: { color: "#1f77b4" }, hovertemplate: `K=%{x}<br>${yTitle} %{y:.4g}<extra>click: use this K</extra>`,
  }];
  const annotations = [];
  const index = ks.indexOf(marked);
  if (marked !== null && index >= 0 && ys[index] !== null) annotations.push({ x: marked, y: ys[index], text: markLabel, showarrow: true, arrowhead: 2, ax: 25, ay: -25, font: { color: "#d62728" } });
  Plotly.react(el, traces, {
    margin: { l: 55, r: 10, t: 8, b: 38 }, height: 190, showlegend: false, annotations,
    xaxis: { title: { text: "K" }, dtick: 1 }, yaxis: { title: { text: yTitle } },
  }, { displayModeBar: false, responsive: true });
}

function drawSelection() {
  const s = state.selection;
  if (!s) return;
  markedChart($("elbow"), s.k_values, s.inertia, s.elbow_k, s.elbow_k === null ? "" : `elbow: K=${s.elbow_k}`, "inertia");
  markedChart($("silhouette-k"), s.k_values, s.silhouette, s.recommended.silhouette, `best: K=${s.recommended.silhouette}`, "silhouette");
  const sampled = s.silhouette_points < state.dataset.n_points ? ` (silhouettes on ${s.silhouette_points.toLocaleString()} sampled points)` : "";
  $("verdict").textContent = `Verdict: ${s.verdict}.${s.best_k !== null ? ` Suggested K = ${s.best_k}.` : ""}${sampled}`;
  document.body.dataset.elbow = s.elbow_k === null ? "none" : s.elbow_k;
  document.body.dataset.bestK = s.best_k === null ? "none" : s.best_k;
}

function onChartClick(event) {
  const k = event.points && event.points[0] ? event.points[0].x : null;
  if (!Number.isInteger(k)) return;
  $("k").value = k;
  state.placed = [];
  drawSelection();
  refit();
}

// --- silhouette knife --------------------------------------------------------------------

async function knife() {
  const fit = state.fit;
  const el = $("knife");
  if (fit.n_clusters < 2 || fit.n_clusters >= state.dataset.n_points) {
    clearPlot(el);
    delete el.dataset.mean;
    $("knife-note").textContent = `The silhouette needs between 2 and n − 1 clusters; this clustering has ${fit.n_clusters}.`;
    return;
  }
  try {
    const result = await api("/api/silhouette", { model: fit.model });
    if (fit !== state.fit) return;
    const x = [], y = [], colors = [], ticks = [], tickText = [];
    let position = 0;
    for (const cluster of result.clusters) {
      const start = position;
      for (const value of cluster.values) { x.push(value); y.push(position++); colors.push(color(cluster.label)); }
      ticks.push((start + position - 1) / 2); tickText.push(`cluster ${cluster.label}`);
      position += Math.max(4, Math.round(position * 0.02));
    }
    Plotly.react(el, [{ type: "bar", orientation: "h", x, y, marker: { color: colors, line: { width: 0 } }, hoverinfo: "x" }], {
      margin: { l: 70, r: 10, t: 8, b: 38 }, height: 300, bargap: 0, showlegend: false,
      xaxis: { title: { text: "silhouette" }, range: [Math.min(-0.1, ...x), 1] },
      yaxis: { tickvals: ticks, ticktext: tickText, autorange: "reversed" },
      shapes: [{ type: "line", x0: result.mean, x1: result.mean, yref: "paper", y0: 0, y1: 1, line: { color: "#d62728", dash: "dash" } }],
    }, { displayModeBar: false, responsive: true });
    $("knife-note").textContent = `Mean silhouette ${fmt(result.mean, 3)} (dashed line): near 1, points sit well inside their cluster; below 0, closer to another.` +
      (result.sampled ? ` Computed on ${result.n_points.toLocaleString()} sampled points.` : "");
    el.dataset.mean = result.mean;
  } catch (error) {
    clearPlot(el);
    delete el.dataset.mean;
    $("knife-note").textContent = error.message;
  }
}

// --- code --------------------------------------------------------------------------------

async function runCode() {
  const output = $("code-output");
  $("code-status").textContent = "running…";
  output.dataset.state = "running";
  try {
    const result = await api("/api/run", { code: $("code").value });
    $("code-stdout").textContent = result.stdout;
    $("code-stderr").textContent = result.stderr;
    const figures = $("code-figures");
    figures.replaceChildren(...result.figures.map((png, i) => {
      const img = document.createElement("img");
      img.src = `data:image/png;base64,${png}`;
      img.alt = `figure ${i + 1}`;
      return img;
    }));
    const why = result.killed ? `stopped (${result.killed})` : result.returncode === 0 ? "finished" : `failed (exit code ${result.returncode})`;
    $("code-status").textContent = `${why} in ${result.seconds.toFixed(1)} s`;
    output.dataset.returncode = result.returncode;
    output.dataset.figures = result.figures.length;
  } catch (error) {
    $("code-status").textContent = error.message;
    output.dataset.returncode = "error";
  } finally {
    output.dataset.state = "done";
  }
}

async function viewCode() {
  if (!state.fit) { say("fit a model first", true); return null; }
  const result = await api("/api/code", { model: state.fit.model, voronoi: $("voronoi").checked });
  return result.code;
}

async function copyCode() {
  try {
    const code = await viewCode();
    if (code === null) return;
    try {
      await navigator.clipboard.writeText(code);
    } catch (error) {  // no clipboard permission: copy through a selected text area
      const area = document.createElement("textarea");
      area.value = code;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    $("code-status").textContent = "code of this view copied";
  } catch (error) { say(error.message, true); }
}

// --- wiring ------------------------------------------------------------------------------

function showAlgorithmOptions() {
  const spec = algorithmSpec();
  document.querySelectorAll(".centroid-only").forEach((el) => { el.hidden = !spec.centers; });
  document.querySelectorAll(".minibatch-only").forEach((el) => { el.hidden = spec.name !== "minibatch"; });
  document.querySelectorAll(".dbscan-only").forEach((el) => { el.hidden = spec.name !== "dbscan"; });
  $("n-init").disabled = spec.name === "kmedoids";
  $("k").disabled = !spec.centers;
  $("predict-mode").disabled = !spec.centers;
  $("algorithm-description").textContent = spec.description;
  updatePlaceHint();
}

function wire() {
  $("preset").addEventListener("change", () => { fillPresetFields(currentPreset()); generate(); });
  $("generate").addEventListener("click", generate);
  $("upload").addEventListener("change", (event) => upload(event.target.files[0]));
  $("apply-table").addEventListener("click", applyTable);
  $("draw").addEventListener("click", () => (state.drawn !== null ? stopDrawing() : startDrawing(state.dataset && !state.dataset.projected ? state.dataset.points.slice() : [])));
  $("clear-points").addEventListener("click", () => startDrawing([]));
  $("algorithm").addEventListener("change", () => { showAlgorithmOptions(); refit(); });
  for (const id of ["n-init", "random-state", "batch-size", "eps", "min-samples"]) $(id).addEventListener("change", refit);
  $("k").addEventListener("change", () => { state.placed = []; updatePlaceHint(); drawSelection(); refit(); });
  $("init").addEventListener("change", () => { state.placed = []; updatePlaceHint(); refit(); });
  $("reset").addEventListener("click", () => { pause(); showFrame(0); });
  $("step").addEventListener("click", () => step(1));
  $("step-back").addEventListener("click", () => step(-1));
  $("converge").addEventListener("click", () => { pause(); showFrame(lastFrame()); });
  $("play").addEventListener("click", play);
  $("scrub").addEventListener("input", (event) => { pause(); showFrame(parseInt(event.target.value, 10)); });
  for (const id of ["trails", "voronoi"]) $(id).addEventListener("change", render);
  $("predict-mode").addEventListener("change", () => { if ($("predict-mode").checked) { pause(); showFrame(lastFrame()); } else render(); });
  const plot = $("scatter");
  plot.addEventListener("mousedown", onPlotDown, true);
  document.addEventListener("mouseup", onPlotUp, true);
  $("elbow").on("plotly_click", onChartClick);
  $("silhouette-k").on("plotly_click", onChartClick);
  $("run-code").addEventListener("click", runCode);
  $("code").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); runCode(); }
    if (event.key === "Tab") {  // indent instead of leaving the editor
      event.preventDefault();
      const area = event.target, start = area.selectionStart;
      area.setRangeText("    ", start, area.selectionEnd, "end");
    }
  });
  $("view-code").addEventListener("click", async () => {
    try { const code = await viewCode(); if (code !== null) $("code").value = code; } catch (error) { say(error.message, true); }
  });
  $("copy-code").addEventListener("click", copyCode);
  $("tutorial-code").addEventListener("click", () => { $("code").value = state.info.code.tutorial; });
}

async function start() {
  try {
    state.info = await api("/api/info");
  } catch (error) { say(`Studio cannot start: ${error.message}`, true); return; }
  const info = state.info;
  $("version").textContent = info.version;
  for (const preset of info.presets) $("preset").append(new Option(preset.title, preset.name));
  $("preset").value = info.default_preset;
  fillPresetFields(currentPreset());
  for (const algorithm of info.algorithms) {
    const option = new Option(algorithm.title, algorithm.name);
    if (algorithm.unavailable) { option.disabled = true; option.title = algorithm.unavailable; option.textContent += " (not installed)"; }
    $("algorithm").append(option);
  }
  $("n-points").max = info.limits.max_points;
  $("k").max = info.limits.max_k;
  $("code").value = info.code.tutorial;
  if (!info.code.enabled) {
    $("run-code").disabled = true;
    $("code-status").textContent = info.code.reason;
  }
  // plotly's own listeners exist once a plot does
  Plotly.newPlot($("elbow"), [], { height: 190 }, { displayModeBar: false });
  Plotly.newPlot($("silhouette-k"), [], { height: 190 }, { displayModeBar: false });
  Plotly.newPlot($("knife"), [], { height: 300 }, { displayModeBar: false });
  showAlgorithmOptions();
  wire();
  if (info.initial) { await useDataset(info.initial); } else { await generate(); }
}

window.addEventListener("DOMContentLoaded", start);
