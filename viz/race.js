// The race view (see ui/race.py and viz/race.py): plotly.js plots driven by one player, and
// scrubbers that redraw a run from its bank of paths, all in the browser.

const CACHE = (window.__raceChunks = window.__raceChunks || new Map());
const MAX_CHUNKS = 160;

// plotly.js: Streamlit's own copy if a chart on the page already loaded it; else the cartesian
// bundle (1.5 MB: scatter, bar and heatmap traces) for the maps, curves and figures, and the full
// 4.8 MB bundle only for a 3D view. Each is fetched once per page.
function loadLib(name) {
  const libs = (window.__raceLibs = window.__raceLibs || {});
  if (!libs[name]) {
    libs[name] = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = new URL(`app/static/${name}`, document.baseURI).href;
      s.onload = () => resolve(window.Plotly);  // this bundle's instance, taken at once
      s.onerror = () => {
        delete libs[name];
        reject(new Error(`could not load ${name}`));
      };
      document.head.appendChild(s);
    });
  }
  return libs[name];
}

function loadPlotly(full) {
  if (window.Plotly && window.Plotly.react && !window.__raceLibs) return Promise.resolve(window.Plotly);
  return loadLib(full ? "plotly.min.js" : "plotly-cartesian.min.js");
}

function f32(spec) {
  if (!spec || Array.isArray(spec)) return new Float32Array(spec || []);
  const bin = atob(spec.bdata);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function q16(spec) {
  // a bank's curve or heights at 16 bits over their own range (viz.encode.q16); 65535 is a gap
  if (!spec || !spec.q) return spec ? f32(spec) : null;
  const bin = atob(spec.q.bdata);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const u = new Uint16Array(bytes.buffer);
  const out = new Float32Array(u.length);
  const step = (spec.hi - spec.lo) / 65534;
  for (let i = 0; i < u.length; i++) {
    const w = spec.lo + u[i] * step;
    out[i] = u[i] === 65535 ? NaN : spec.log ? 10 ** w : w;
  }
  return out;
}

function keep(name, raw) {
  if (CACHE.has(name)) return;
  let value = raw;
  if (raw && raw.x && raw.x.q) value = { x: q16(raw.x), y: q16(raw.y) };  // the iso-lines
  if (raw && raw.xy) {
    value = { xy: f32(raw.xy), loss: q16(raw.loss), dist: q16(raw.dist), z: q16(raw.z),
      div: raw.div, div_xy: raw.div_xy, div_z: raw.div_z, G: raw.G, F: raw.F };
  }
  CACHE.set(name, value);
  while (CACHE.size > MAX_CHUNKS) CACHE.delete(CACHE.keys().next().value);
}

const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : +v.toPrecision(4)).toString();

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// the curves under (or beside) the map: loss, distance to the minimum, the learning-rate schedule
const KINDS = ["loss", "dist", "lr"];

function build(parent) {
  const root = el("div", "race");
  root.tabIndex = 0;
  const note = el("div", "race-note");
  const map = el("div", "race-map");
  const bar = el("div", "race-bar");
  const btn = (label, title, cls) => {
    const b = el("button", cls, label);
    b.type = "button";
    b.title = title;
    b.setAttribute("aria-label", title);
    bar.appendChild(b);
    return b;
  };
  const S = { root, note, map };
  S.reset = btn("⏮", "Back to the start (Home)");
  S.back = btn("◀", "One step back (←)");
  S.play = btn("▶ Play", "Play or pause (Space)", "race-play");
  S.fwd = btn("▶|", "One step forward (→)");
  S.end = btn("⏭", "To the last step (End)");
  S.slider = el("input");
  S.slider.type = "range";
  S.slider.min = 0;
  S.slider.step = 1;
  S.slider.setAttribute("aria-label", "step");
  bar.appendChild(S.slider);
  S.k = el("span", "race-k");
  bar.appendChild(S.k);
  S.where = el("div", "race-where");
  S.scrub = el("div", "race-scrub");
  S.curves = el("div", "race-curves");
  S.panels = {};
  for (const kind of KINDS) S.curves.appendChild((S.panels[kind] = el("div", `race-${kind}`)));
  S.three = el("div", "race-3d");
  const main = el("div", "race-main");
  main.append(note, map, bar, S.where, S.scrub);
  root.append(main, S.curves, S.three);
  parent.appendChild(root);
  S.fi = null;
  S.playing = null;
  S.busy3d = false;
  S.want = new Set();  // the chunks asked of the server and not here yet (ask)
  S.askTimer = null;
  return S;
}

// -- one run's path at the current frame ----------------------------------------------------------

function source(S, r) {
  // the run's data now: the server's path, or a bank row if one of its axes is scrubbed; every
  // number drawn (series, the ✕'s place, 3D heights) was computed by the server (viz.geometry)
  const run = S.data.runs[r];
  for (const a of run.axes) {
    const j = S.sel[r][a.name];
    if (j !== a.index && CACHE.has(a.chunk)) {  // a bank not here yet: the page's own path
      const c = CACHE.get(a.chunk);
      const F = c.F;
      const row = (arr, w) => (arr ? arr.subarray(j * F * w, (j + 1) * F * w) : null);
      return {
        xy: row(c.xy, 2),
        series: { loss: row(c.loss, 1), dist: row(c.dist, 1), lr: run.series.lr ? f32(run.series.lr) : null },
        z: row(c.z, 1),
        div: c.div[j],
        div_xy: c.div_xy[j],
        div_z: c.div_z ? c.div_z[j] : null,
        ks: S.data.bank_steps,
        value: a.values[j],
        axis: a,
      };
    }
  }
  if (!S.cur[r]) {
    const ks = Array.from({ length: run.steps + 1 }, (_, i) => i);
    const series = {};
    for (const [kind, v] of Object.entries(run.series)) series[kind] = f32(v);
    S.cur[r] = { xy: f32(run.xy), series, z: run.z ? f32(run.z) : null, div: run.diverged_at,
      div_xy: run.div_xy, div_z: run.div_z, ks };
  }
  return S.cur[r];
}

function lastIndex(ks, k) {
  let lo = 0, hi = ks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ks[mid] <= k) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function mapFrame(S, r, k) {
  const src = source(S, r);
  const run = S.data.runs[r];
  const n = lastIndex(src.ks, k);
  const stride = src === S.cur[r] ? S.data.frames.stride : 1;
  const xs = [], ys = [];
  for (let i = 0; i <= n; i += stride) { xs.push(src.xy[2 * i]); ys.push(src.xy[2 * i + 1]); }
  if (stride > 1 && n % stride) { xs.push(src.xy[2 * n]); ys.push(src.xy[2 * n + 1]); }
  const size = S.data.marker;
  let head;
  if (src.div >= 0 && k >= src.div) {
    const [x, y] = src.div_xy;
    const [[x0, x1], [y0, y1]] = S.data.map.window;
    const side = x > (x0 + x1) / 2 ? "left" : "right";
    const level = y > (y0 + y1) / 2 ? "bottom" : "top";
    head = {
      x: [x], y: [y], mode: "markers+text", text: [`diverged at step ${src.div}`],
      textposition: `${level} ${side}`,
      marker: { symbol: "x", size: size * 1.6, color: run.color, line: { color: "white", width: 1.5 } },
    };
  } else {
    head = {
      x: [src.xy[2 * n]], y: [src.xy[2 * n + 1]], mode: "markers", text: [""],
      marker: { symbol: run.symbol, size, color: run.color, line: { color: "white", width: 1.5 } },
    };
  }
  return [{ x: xs, y: ys }, head];
}

function label(S, r) {
  const src = source(S, r);
  const run = S.data.runs[r];
  if (!src.axis) return run.label;
  return `${run.short} · ${src.axis.symbol}=${fmt(src.value)} (scrubbed)`;
}

// -- figures ----------------------------------------------------------------------------------------

function isoLines(S) {
  // the field's iso-lines (vectors, viz.contours), drawn first: under every run and marker
  const lines = S.data.map.lines && CACHE.get(S.data.map.lines);
  if (!lines) return [];
  return [{ type: "scatter", x: lines.x, y: lines.y, mode: "lines", hoverinfo: "skip",
    showlegend: false, line: { color: "rgba(70, 78, 95, 0.55)", width: 1 } }];
}

function tr(S, r) { return S.base + 2 * r; }  // run r's trail; its head is the next trace

function mapTraces(S, k) {
  const d = S.data;
  const traces = isoLines(S);
  d.runs.forEach((run, r) => {
    const [trail, head] = mapFrame(S, r, k);
    traces.push({
      type: "scatter", ...trail, mode: "lines+markers", name: label(S, r), legendgroup: `run${r}`,
      line: { color: run.color, width: d.line, dash: run.dash },
      marker: { size: d.marker * 0.6, color: run.color, symbol: run.symbol },
      hovertemplate: `${run.label}<br>(%{x:.4g}, %{y:.4g})<extra></extra>`,
    });
    traces.push({
      type: "scatter", ...head, legendgroup: `run${r}`, showlegend: false, hoverinfo: "skip",
      textfont: { color: run.color, size: d.font }, cliponaxis: false,
    });
  });
  const points = (b) => {
    const t = f32(b), xs = [], ys = [];
    for (let i = 0; i < t.length; i += 2) { xs.push(t[i]); ys.push(t[i + 1]); }
    return { x: xs, y: ys };
  };
  d.runs.forEach((run, r) => {
    // where each step took its gradient (Nesterov's look-ahead, Schedule-Free's y, SAM's ascent
    // point) and Schedule-Free's base sequence z: still points, hidden while a run is scrubbed
    if (!run.trail) return;
    const what = run.trail_name || "gradient point";
    traces.push({
      type: "scatter", ...points(run.trail), mode: "markers", name: `${what} (run ${r + 1})`,
      legendgroup: `run${r}`, visible: source(S, r) === S.cur[r],
      marker: { symbol: "diamond-open", size: d.marker * 0.8, color: run.color, opacity: 0.55 },
      hovertemplate: `${what} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    });
    if (!run.base) return;
    traces.push({
      type: "scatter", ...points(run.base), mode: "markers", name: `z, the SGD sequence (run ${r + 1})`,
      legendgroup: `run${r}`, visible: source(S, r) === S.cur[r],
      marker: { symbol: "circle-open", size: d.marker * 0.6, color: run.color, opacity: 0.5 },
      hovertemplate: "z (%{x:.4g}, %{y:.4g})<extra></extra>",
    });
  });
  return traces.concat(d.map.static, d.map.extra || []);
}

function series(S, r, kind) {
  const src = source(S, r);
  const y = src.series[kind];
  return { x: kind === "lr" ? Array.from({ length: y.length }, (_, i) => i) : src.ks, y };
}

function cursor(layout, k) {
  const r = layout.yaxis.range || [0, 1];
  const log = layout.yaxis.type === "log";
  return { x: [k, k], y: log ? [10 ** r[0], 10 ** r[1]] : r };
}

function curveTraces(S, kind, k) {
  const d = S.data;
  const traces = d.runs.map((run, r) => ({
    type: "scatter", ...series(S, r, kind), mode: "lines", name: run.label,
    line: { color: run.color, width: d.line, dash: run.dash },
    hovertemplate: `${run.label}<br>step %{x}: %{y:.4g}<extra></extra>`,
  }));
  traces.push({
    type: "scatter", ...cursor(d.curves[kind], k), mode: "lines", hoverinfo: "skip",
    showlegend: false, line: { color: "#444", width: 1.5, dash: "dot" },
  });
  return traces;
}

function threeTraces(S, k) {
  const d = S.data;
  const t = d.surface3d;
  const traces = [CACHE.get(t.surface).trace];
  d.runs.forEach((run, r) => {
    const src = source(S, r);
    const xs = [], ys = [], zs = [];
    for (let i = 0; i < src.ks.length; i++) {  // z is NaN where the path leaves the map
      const ok = isFinite(src.z[i]);
      xs.push(ok ? src.xy[2 * i] : NaN); ys.push(ok ? src.xy[2 * i + 1] : NaN); zs.push(src.z[i]);
    }
    traces.push({
      type: "scatter3d", x: xs, y: ys, z: zs, mode: "lines", name: run.label,
      line: { color: run.color, width: t.line, dash: run.dash },
      hovertemplate: `${run.label}<br>(%{x:.4g}, %{y:.4g})<extra></extra>`,
    });
    traces.push({ type: "scatter3d", ...ball(S, r, k), mode: "markers", showlegend: false, hoverinfo: "skip",
      marker: { size: t.ball, color: run.color } });
  });
  return traces.concat(t.static);
}

function ball(S, r, k) {
  const src = source(S, r);
  if (src.div >= 0 && k >= src.div) {  // the ✕, at the height of its last finite loss
    return { x: [src.div_xy[0]], y: [src.div_xy[1]], z: [src.div_z === null ? NaN : src.div_z] };
  }
  const n = lastIndex(src.ks, k);
  return { x: [src.xy[2 * n]], y: [src.xy[2 * n + 1]], z: [src.z[n]] };
}

// -- drawing ----------------------------------------------------------------------------------------

function steps(S) { return S.data.frames.steps; }
function stepOf(S) { return steps(S)[S.fi]; }

function showStep(S) {
  const n = steps(S).length - 1;
  S.slider.max = n;
  S.slider.value = S.fi;
  const k = stepOf(S);
  S.k.textContent = `step ${k} / ${steps(S)[n]}`;
  S.slider.setAttribute("aria-valuetext", `step ${k}`);
}

function moveTo(S, fi, P) {
  const n = steps(S).length - 1;
  S.fi = Math.max(0, Math.min(n, fi));
  showStep(S);
  drawFrame(S, P);
}

function drawFrame(S, P, which) {
  // only the moving traces: trail and head of each run, the curves' cursor, the 3D balls
  const k = stepOf(S);
  const d = S.data;
  const runs = which || d.runs.map((_, r) => r);
  const opts = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };
  const data = [], idx = [];
  for (const r of runs) {
    const [trail, head] = mapFrame(S, r, k);
    data.push(trail, head);
    idx.push(tr(S, r), tr(S, r) + 1);
  }
  if (idx.length) P.animate(S.map, { data, traces: idx }, opts).catch(() => {});
  if (d.frame_images) {  // a picture per frame (the network's decision boundary): swap the image
    const c = CACHE.get(d.frame_images[S.fi]);
    if (c) P.relayout(S.map, { "images[0].source": c.png }).catch(() => {});
  }
  if (d.frame_lines) {  // lines per frame (a ReLU network's elbows): move those static traces
    const c = CACHE.get(d.frame_lines[S.fi]);
    if (c) P.restyle(S.map, { x: c.x, y: c.y }, c.idx.map((i) => S.staticBase + i)).catch(() => {});
  }
  if (d.curves) {
    for (const kind of KINDS) {
      const gd = S.panels[kind];
      if (!d.curves[kind] || !gd._fullLayout) continue;
      P.animate(gd, { data: [cursor(d.curves[kind], k)], traces: [d.runs.length] }, opts).catch(() => {});
    }
  }
  draw3d(S, P);
}

function draw3d(S, P) {
  // a 3D redraw costs ~0.5 s in software WebGL: one at a time; the latest step wins
  const d = S.data;
  if (!d.surface3d || !S.three._fullLayout) return;
  if (S.busy3d) { S.want3d = true; return; }
  S.busy3d = true;
  S.want3d = false;
  const balls = d.runs.map((_, r) => ball(S, r, stepOf(S)));
  S.P3.restyle(S.three, { x: balls.map((b) => b.x), y: balls.map((b) => b.y), z: balls.map((b) => b.z) },
    d.runs.map((_, r) => 2 + 2 * r))
    .catch(() => {})
    .then(() => { S.busy3d = false; if (S.want3d) draw3d(S, P); });
}

function redrawRuns(S, P, runs) {
  // scrubbed runs: their trails and heads first, in one animation (a second "immediate"
  // animation would cancel the first); their curves and 3D paths once the map is drawn
  const d = S.data;
  const k = stepOf(S);
  const opts = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };
  S.curvesDue = S.curvesDue || new Set();
  const data = [], idx = [];
  for (const r of runs) {
    S.curvesDue.add(r);
    data.push(...mapFrame(S, r, k));
    idx.push(tr(S, r), tr(S, r) + 1);
  }
  P.animate(S.map, { data, traces: idx }, opts)
    .catch(() => {})
    .then(() => {
      if (d.curves && !S.curvesTimer) {  // the latest value wins while the slider moves
        S.curvesTimer = setTimeout(() => {
          const due = [...S.curvesDue];
          S.curvesDue.clear();
          S.curvesTimer = null;
          for (const kind of KINDS) {
            const gd = S.panels[kind];
            if (!d.curves[kind] || !gd._fullLayout) continue;
            const data = due.map((q) => { const s = series(S, q, kind); return { x: s.x, y: s.y }; });
            P.animate(gd, { data, traces: due }, opts).catch(() => {});
          }
        }, 20);
      }
    });
  if (d.surface3d && S.three._fullLayout) {
    clearTimeout(S.timer3d);  // the 3D paths follow once the scrubber rests (a 3D redraw is slow)
    S.timer3d = setTimeout(() => S.P3.react(S.three, threeTraces(S, stepOf(S)), S.three.layout).catch(() => {}), 250);
  }
}

function relabel(S, P, runs) {
  // legend names say which runs show a scrubbed value (a restyle redraws the whole map: on release)
  P.restyle(S.map, { name: runs.map((r) => label(S, r)) }, runs.map((r) => tr(S, r))).catch(() => {});
}

function play(S, P) {
  if (S.playing) return pause(S);
  if (S.fi >= steps(S).length - 1) moveTo(S, 0, P);
  S.play.textContent = "⏸ Pause";
  S.playing = setInterval(() => {
    moveTo(S, S.fi + 1, P);
    if (S.fi >= steps(S).length - 1) pause(S);  // the last step shown: ready to play again
  }, Math.max(16, S.data.duration));
}

function pause(S) {
  if (S.playing) clearInterval(S.playing);
  S.playing = null;
  S.play.textContent = "▶ Play";
}

// -- scrubbers --------------------------------------------------------------------------------------

function buildScrub(S, P) {
  const d = S.data;
  S.scrub.replaceChildren();
  const scrubbable = d.runs.map((run, r) => r).filter((r) => d.runs[r].axes.length);
  if (!scrubbable.length) return;
  if (S.pick === undefined || !scrubbable.includes(S.pick)) {
    S.pick = scrubbable.includes(d.pick) ? d.pick : scrubbable[0];
  }
  const title = el("span", "race-where", "Scrub");
  S.scrub.appendChild(title);
  const tied = d.runs.every((run) => run.axes.every((a) => a.group));  // one set of values for all
  if (scrubbable.length > 1 && !tied) {
    const pick = el("select");
    pick.setAttribute("aria-label", "run to scrub");
    for (const r of scrubbable) {
      const o = el("option", null, `run ${d.runs[r].short}`);
      o.value = r;
      pick.appendChild(o);
    }
    pick.value = S.pick;
    pick.onchange = () => { S.pick = +pick.value; buildScrub(S, P); };
    S.scrub.appendChild(pick);
  }
  const r = S.pick;
  for (const a of d.runs[r].axes) {
    const lab = el("label");
    const name = el("span", null, a.symbol);
    const input = el("input");
    input.type = "range";
    input.min = 0;
    input.max = a.values.length - 1;
    input.step = 1;
    input.value = S.sel[r][a.name];
    input.className = `race-scrub-${a.name}`;
    input.setAttribute("aria-label", `scrub ${a.symbol} of run ${r + 1}`);
    const val = el("span", "race-val", fmt(a.values[S.sel[r][a.name]]));
    input.oninput = () => {
      const j = +input.value;
      val.textContent = fmt(a.values[j]);
      if (!fetchBanks(S)) { S.pending = { r, name: a.name, j }; return; }  // drawn when here
      setAxis(S, r, a, j, P);
    };
    input.onchange = () => {
      relabel(S, P, S.data.runs.map((_, q) => q));
      clearTimeout(S.syncTimer);
      const j = +input.value;
      S.sync.textContent = j === a.index ? "" : `${a.symbol} = ${fmt(a.values[j])}: updating the page…`;
      if (j === a.index) return;
      S.syncTimer = setTimeout(() => S.setTrigger("scrub", { run: r, name: a.name, index: j }), 700);
    };
    lab.append(name, input, val);
    S.scrub.appendChild(lab);
  }
  S.sync = el("span", "race-sync", "");
  S.scrub.appendChild(S.sync);
  // the banks come on demand (they are most of a view's bytes): asked for as soon as a hand
  // comes near a scrubber, so they are usually here before it moves
  if (!S.scrub.dataset.asks) {  // once per element: the scrub area is rebuilt on every render
    S.scrub.dataset.asks = "1";
    for (const kind of ["pointerenter", "pointerdown", "focusin", "touchstart"]) {
      S.scrub.addEventListener(kind, () => fetchBanks(S), { passive: true });
    }
  }
}

function fetchBanks(S) {
  // true when every bank of the view is in the cache; else ask the server for the missing ones
  // and return false
  const names = S.data.runs.flatMap((run) => run.axes.map((a) => a.chunk));
  const lacking = [...new Set(names)].filter((n) => !CACHE.has(n));
  if (!lacking.length) return true;
  S.asked = lacking.join(",");
  S.sync.textContent = "Loading the scrubbers' runs…";
  ask(S, lacking);
  return false;
}

// Chunks are asked of the server until they arrive. An answer can be lost: a rerun that
// interrupts the run carrying them drops that run's queued messages (Streamlit clears its
// queue), and the next run's view, the same as the one here, does not call this module again.
// So an ask not answered is repeated, 2, 4, 8, 16 and 32 s later (a slow run is not cut short
// at once), and then the note says so.
const ASK_WAIT = 2000;
const ASKS = 6;

function ask(S, names) {
  const fresh = names.some((n) => !S.want.has(n));
  for (const n of names) S.want.add(n);
  if (fresh || !S.askTimer) {
    S.asks = 0;
    askAgain(S);
  }
}

function askAgain(S) {
  clearTimeout(S.askTimer);
  S.askTimer = null;
  if (!arrived(S)) return;
  if (S.asks >= ASKS) {
    S.note.className = "race-note race-error";
    S.note.textContent = "The view's data did not arrive from the server: reload the page.";
    return;
  }
  S.setTrigger("missing", [...S.want]);
  S.askTimer = setTimeout(() => askAgain(S), ASK_WAIT * 2 ** S.asks);
  S.asks += 1;
}

function arrived(S) {
  // forget the asked chunks that came; true while some are still awaited
  S.want = new Set([...S.want].filter((n) => !CACHE.has(n)));
  if (!S.want.size) {
    clearTimeout(S.askTimer);
    S.askTimer = null;
  }
  return S.want.size > 0;
}

function applyPending(S, P) {
  // a scrubber moved before its bank arrived: draw that value now that it is here
  const p = S.pending;
  if (!p || !fetchBanks(S)) return;
  S.pending = null;
  S.sync.textContent = "";
  const a = (S.data.runs[p.r] || { axes: [] }).axes.find((b) => b.name === p.name);
  if (!a) return;
  setAxis(S, p.r, a, Math.min(p.j, a.values.length - 1), P);
  relabel(S, P, S.data.runs.map((_, q) => q));
}

function setAxis(S, r, a, j, P) {
  // one run's axis (and its group's) to index j; the run's other axes back to the page's values
  const touched = new Set();
  S.data.runs.forEach((run, q) => {
    for (const b of run.axes) {
      const same = q === r && b.name === a.name;
      const grouped = a.group && b.group === a.group;
      if (same || grouped) {
        let jj = j;  // a group's grids line up row for row (the same widget values)
        if (!same && b.values.length !== a.values.length) jj = Math.min(j, b.values.length - 1);
        S.sel[q][b.name] = jj;
        touched.add(q);
      }
    }
  });
  for (const q of touched) {
    for (const b of S.data.runs[q].axes) {
      if (!(b.name === a.name || (a.group && b.group === a.group))) S.sel[q][b.name] = b.index;
    }
  }
  redrawRuns(S, P, [...touched]);
}

// -- render -----------------------------------------------------------------------------------------

function frameOf(d) {
  // everything but the runs' own paths, labels and banks: if it is unchanged, only runs moved
  return JSON.stringify({
    ...d, chunks: null, need: null, alt: null,
    runs: d.runs.map((r) => [r.color, r.dash, r.symbol, !!r.trail, !!r.base, r.steps, r.axes.length]),
  });
}

function update(S, d, P, t0) {
  // a rerun that moved some runs (an η or β from the page's sliders): redraw those runs' traces
  // in place (~4× cheaper than Plotly.react of every plot); the rest of the figure stays
  const old = S.data;
  const moved = d.runs.map((r, i) => i).filter((i) => {
    const a = old.runs[i], b = d.runs[i];
    return a.xy.bdata !== b.xy.bdata || a.label !== b.label || a.diverged_at !== b.diverged_at
      || JSON.stringify(a.axes) !== JSON.stringify(b.axes) || (a.trail || {}).bdata !== (b.trail || {}).bdata
      || (a.base || {}).bdata !== (b.base || {}).bdata;
  });
  const wasScrubbed = d.runs.map((_, r) => source(S, r) !== S.cur[r]);
  S.data = d;
  S.base = d.map.lines && CACHE.has(d.map.lines) ? 1 : 0;  // the iso-lines come first
  S.sel = d.runs.map((run) => Object.fromEntries(run.axes.map((a) => [a.name, a.index])));
  for (const r of moved) delete S.cur[r];
  const redo = d.runs.map((_, r) => r).filter((r) => moved.includes(r) || wasScrubbed[r]);
  const opts = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };
  const k = stepOf(S);
  const jobs = [];
  if (redo.length) {
    const data = [], idx = [];
    for (const r of redo) { data.push(...mapFrame(S, r, k)); idx.push(tr(S, r), tr(S, r) + 1); }
    jobs.push(P.animate(S.map, { data, traces: idx }, opts));
    jobs.push(P.restyle(S.map, { name: redo.map((r) => label(S, r)) }, redo.map((r) => tr(S, r))));
    for (const kind of KINDS) {
      const gd = S.panels[kind];
      if (!d.curves || !d.curves[kind] || !gd._fullLayout) continue;
      const series_ = redo.map((q) => { const s = series(S, q, kind); return { x: s.x, y: s.y }; });
      jobs.push(P.animate(gd, { data: series_, traces: redo }, opts));
    }
  }
  showStep(S);
  buildScrub(S, P);
  return Promise.all(jobs).catch(() => {}).then(() => done(S, t0));
}

function done(S, t0) {
  S.root.dataset.ready = String(Date.now());
  S.root.dataset.renderMs = String(Math.round(performance.now() - t0));  // bench.interaction
}

function render(S, d, P) {
  const t0 = performance.now();
  const trails = (x) => x.runs.filter((r) => r.trail)
    .map((r) => r.trail.bdata + (r.base ? r.base.bdata : "")).join();
  if (S.data && S.map._fullLayout && !d.surface3d && frameOf(S.data) === frameOf(d)
      && trails(S.data) === trails(d)) {
    return update(S, d, P, t0);
  }
  const fresh = !S.data || S.data.frames.steps.length !== d.frames.steps.length;
  const atEnd = S.fi === null || (S.data && S.fi >= S.data.frames.steps.length - 1);
  S.data = d;
  S.base = d.map.lines && CACHE.has(d.map.lines) ? 1 : 0;  // the iso-lines come first
  S.cur = {};
  S.sel = d.runs.map((run) => Object.fromEntries(run.axes.map((a) => [a.name, a.index])));
  if (fresh || atEnd) S.fi = d.frames.steps.length - 1;
  S.fi = Math.min(S.fi, d.frames.steps.length - 1);
  S.root.style.setProperty("--race-font", `${Math.max(13, d.font)}px`);
  S.root.setAttribute("aria-label", d.alt || "race view");
  S.note.className = "race-note";
  S.note.textContent = d.note || "";
  S.root.classList.toggle("race-side", !!d.side);
  const k = stepOf(S);
  const config = { displaylogo: false, responsive: true, displayModeBar: d.map.clicks ? "hover" : false,
    modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  const layout = JSON.parse(JSON.stringify(d.map.layout));
  if (d.map.image) {  // the field's shading (or this frame's picture) under everything
    const shown = d.frame_images ? d.frame_images[S.fi] : d.map.image.chunk;
    layout.images = [{ ...d.map.image, source: CACHE.get(shown).png }];
    delete layout.images[0].chunk;
  }
  const traces = mapTraces(S, k);
  S.staticBase = traces.length - d.map.static.length - (d.map.extra || []).length;
  const lines = d.frame_lines && CACHE.get(d.frame_lines[S.fi]);
  if (lines) lines.idx.forEach((i, j) => {  // the static traces as they are at this frame
    traces[S.staticBase + i] = { ...traces[S.staticBase + i], x: lines.x[j], y: lines.y[j] };
  });
  const jobs = [P.react(S.map, traces, layout, config)];
  if (d.curves) {
    S.curves.style.display = "";
    const small = { displaylogo: false, responsive: true, displayModeBar: d.map.clicks ? "hover" : false };
    for (const kind of KINDS) {
      const gd = S.panels[kind];
      if (d.curves[kind]) {
        gd.style.display = "";
        jobs.push(P.react(gd, curveTraces(S, kind, k), d.curves[kind], small));
      } else { gd.style.display = "none"; if (gd._fullLayout) P.purge(gd); }
    }
  } else S.curves.style.display = "none";
  if (d.surface3d) {
    S.three.style.display = "";
    jobs.push(S.P3.react(S.three, threeTraces(S, k), d.surface3d.layout, { displaylogo: false, responsive: true }));
  } else { S.three.style.display = "none"; if (S.three._fullLayout && S.P3) S.P3.purge(S.three); }
  showStep(S);
  buildScrub(S, P);
  if (d.autoplay && d.autoplay !== S.autoplayed) {  // a question's reveal: play it from step 0
    S.autoplayed = d.autoplay;
    return Promise.all(jobs).then(() => { done(S, t0); moveTo(S, 0, P); play(S, P); });
  }
  return Promise.all(jobs).then(() => done(S, t0));
}

function wire(S, P) {
  if (S.wired) return;
  S.wired = true;
  S.play.onclick = () => play(S, P);
  S.reset.onclick = () => { pause(S); moveTo(S, 0, P); };
  S.end.onclick = () => { pause(S); moveTo(S, steps(S).length - 1, P); };
  S.back.onclick = () => { pause(S); moveTo(S, S.fi - 1, P); };
  S.fwd.onclick = () => { pause(S); moveTo(S, S.fi + 1, P); };
  S.slider.oninput = () => { pause(S); moveTo(S, +S.slider.value, P); };
  S.root.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    const keys = { " ": () => play(S, P), ArrowLeft: () => S.back.onclick(), ArrowRight: () => S.fwd.onclick(),
      Home: () => S.reset.onclick(), End: () => S.end.onclick() };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  const toData = (e) => {
    const fl = S.map._fullLayout;
    if (!fl) return null;
    const xa = fl.xaxis, ya = fl.yaxis;
    const box = S.map.getBoundingClientRect();
    const px = e.clientX - box.left - xa._offset, py = e.clientY - box.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
    return [xa.p2c(px), ya.p2c(py)];
  };
  S.map.addEventListener("click", (e) => {
    if (!S.data.map.clicks) return;
    const p = toData(e);
    if (!p) return;
    const what = (S.data.map.click_label || "").includes("prediction") ? "your prediction" : "start";
    S.where.textContent = `${what}: (${fmt(p[0])}, ${fmt(p[1])})…`;
    S.setTrigger("start", [p[0], p[1]]);
  });
  S.map.addEventListener("mousemove", (e) => {
    const p = toData(e);
    S.where.textContent = p ? `(${fmt(p[0])}, ${fmt(p[1])})` + (S.data.map.clicks ? ` · ${S.data.map.click_label || "click: start here"}` : "") : "";
  });
  S.map.addEventListener("mouseleave", () => { S.where.textContent = ""; });
}

export default function (component) {
  const { data: [data], parentElement, setTriggerValue } = component;  // ui.race.wire
  if (data && data.preload) {  // mounted at the top of a page: fetch plotly.js while it runs
    loadPlotly().catch(() => {});
    return;
  }
  let S = parentElement.__race;
  if (!S) S = parentElement.__race = build(parentElement);
  S.setTrigger = setTriggerValue;
  for (const [name, raw] of Object.entries(data.chunks || {})) keep(name, raw);
  arrived(S);
  const missing = (data.need || []).filter((n) => !CACHE.has(n));
  if (missing.length) {
    S.note.textContent = "Loading…";
    S.view = null;  // the view that comes complete is drawn, even one drawn before this
    stopAsking(S);  // new data still without them: ask at once
    ask(S, missing);
    return () => stopAsking(S);
  }
  // the same view again, with only chunks added (the banks a scrubber asked for): nothing to
  // redraw, and the scrubbers stay under the hand that holds them
  const view = JSON.stringify({ ...data, chunks: null });
  const same = view === S.view && S.data;
  S.view = view;
  Promise.all([loadPlotly(false), data.surface3d ? loadPlotly(true) : null])
    .then(([P, P3]) => {
      S.P3 = P3 || S.P3;
      wire(S, P);
      return Promise.resolve(same ? null : render(S, data, P)).then(() => {
        // a hand still on the scrubbers (it just let one go, and the page followed): the new
        // view's banks come at once
        const near = S.scrub.matches(":hover, :focus-within");
        if ((S.asked || near) && fetchBanks(S)) {
          S.asked = null;
          if (!S.pending && S.sync) S.sync.textContent = "";
        }
        applyPending(S, P);
      });
    })
    .catch((err) => {
      console.error(err);
      S.note.className = "race-note race-error";
      S.note.textContent = `The animated view could not be drawn: ${err.message || err}`;
    });
  return () => {
    pause(S);
    stopAsking(S);
  };
}

function stopAsking(S) {
  // new data came, or the view is gone (Streamlit calls the function the last call returned
  // when it unmounts the element): no timer outlives it
  clearTimeout(S.askTimer);
  S.askTimer = null;
}

const QUIET = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };
const TYPED = { f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
  u2: Uint16Array, i1: Int8Array, u1: Uint8Array };

function decoded(v) {
  // plotly's typed-array spec ({dtype, bdata}) as an array: Plotly.animate takes arrays only
  if (!v || Array.isArray(v) || !v.bdata || !TYPED[v.dtype]) return v;
  const bin = atob(v.bdata);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return Array.from(new TYPED[v.dtype](bytes.buffer));
}

function pointsOnly(before, after) {
  // the scatter traces of `after` whose x or y differ from `before`, if nothing else differs
  if (!before || JSON.stringify(before.layout) !== JSON.stringify(after.layout)) return null;
  // points moved on an axis that ranges itself would need it rescaled: only fixed axes qualify
  const axes = Object.entries(after.layout || {}).filter(([k]) => /^[xy]axis\d*$/.test(k));
  if (axes.length < 2 || axes.some(([, ax]) => !ax || !Array.isArray(ax.range) || ax.autorange)) return null;
  const a = before.data || [], b = after.data || [];
  if (a.length !== b.length) return null;
  const data = [], idx = [];
  for (let i = 0; i < b.length; i++) {
    const rest = (t) => JSON.stringify({ ...t, x: null, y: null });
    if (rest(a[i]) !== rest(b[i])) return null;
    const same = JSON.stringify([a[i].x, a[i].y]) === JSON.stringify([b[i].x, b[i].y]);
    if (same) continue;
    if ((b[i].type || "scatter") !== "scatter") return null;
    data.push({ x: decoded(b[i].x), y: decoded(b[i].y) });
    idx.push(i);
  }
  return { data, idx };
}

// A figure drawn in place (ui/figure.py): st.plotly_chart remounts a chart whose spec changed
// (a full redraw on every slider step, streamlit #8882); this element keeps its plot and hands
// the new spec to Plotly.react. A click on a point is sent back once, with a serial number.
export function figure(component) {
  const { data: [data], parentElement, setTriggerValue } = component;  // ui.race.wire
  let F = parentElement.__figure;
  if (!F) {
    const gd = el("div", "figure");
    gd.setAttribute("role", "img");
    parentElement.appendChild(gd);
    F = parentElement.__figure = { gd, view: null, serial: 0 };
  }
  F.setTrigger = setTriggerValue;
  F.clicks = !!data.clicks;
  F.gd.setAttribute("aria-label", data.alt || "chart");
  const layout = data.spec.layout || {};
  F.gd.style.height = `${layout.height || 450}px`;
  const view = JSON.stringify(data.spec);
  if (view === F.view) return;  // the same figure again: nothing to redraw
  F.view = view;
  loadPlotly(false)
    .then((P) => {
      const config = { displaylogo: false, responsive: true, displayModeBar: false,
        doubleClick: "reset", ...(data.config || {}) };
      // a zoom or a hidden legend entry the reader chose survives a new spec (Plotly's uirevision)
      const next = { uirevision: "kept", ...JSON.parse(JSON.stringify(layout)) };
      // only some scatter traces' points moved (the rate map's "your (α, β)", a run's curve) and
      // nothing else: move those points in place; anything else is a Plotly.react
      const moves = F.gd._fullLayout && pointsOnly(F.spec, data.spec);
      F.spec = JSON.parse(view);  // a copy: Plotly keeps and changes the objects it is given
      F.gd.dataset.drawn = moves ? "points" : "react";  // how the last spec was drawn (tests)
      if (moves) return moves.idx.length ? P.animate(F.gd, { data: moves.data, traces: moves.idx }, QUIET) : null;
      return P.react(F.gd, data.spec.data || [], next, config);
    })
    .then(() => {
      if (F.wired) return;
      F.wired = true;
      F.gd.on("plotly_click", (ev) => {
        const pt = ev && ev.points && ev.points[0];
        if (!F.clicks || !pt) return;
        F.serial = Date.now() + (F.serial % 1000) + 1;
        F.setTrigger("click", { x: pt.x, y: pt.y, curve: pt.curveNumber, n: F.serial });
      });
    })
    .catch((err) => {
      console.error(err);
      F.view = F.spec = null;  // the next update tries again
      F.gd.textContent = `The chart could not be drawn: ${err.message || err}`;
    });
}
