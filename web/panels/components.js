// The selected mask component's own controls: Depth Range's handles over
// the depth distribution, Smoothness and eyedropper; a luminance range;
// the numbers of gradients and brushes; every component's Opacity. Sliders
// and their ranges come from the parameter table (the kinds it lists for
// each field say which component shows it).
import { slider } from "../slider.js";
import { depthControl, depthHandles } from "../handles.js";
import { brushTool, linearTool, radialTool, setTool, toolButton } from "../tools.js";

const TOOLS = { radial_gradient: radialTool, linear_gradient: linearTool, brush: (ed, c, m) => brushTool(ed, c, m) };

// The tool of component m of correction c on the photo, or none.
export function useTool(ed, c, m, on, fresh = false) {
  const kind = ed.store.value(`correction[${c}].mask[${m}].kind`);
  setTool(ed, on && TOOLS[kind] ? TOOLS[kind](ed, c, m, fresh) : null);
  ed.preview.paint();
}

export function componentControls(ed, c, m) {
  const st = ed.store;
  const root = document.createElement("div");
  root.className = "component";
  const k = `correction[${c}].mask[${m}]`;
  const kind = st.value(`${k}.kind`);
  if (!kind) return root;
  if (kind === "depth_range") depthRange(ed, root, k);
  if (kind === "luminance_range") range2(ed, root, `${k}.luminance_range`, ["Dark", "Light"]);
  if (TOOLS[kind]) drawToggle(ed, root, c, m, kind);
  if (kind === "brush") brushSettings(ed, root);
  // the rest of the table's fields for this kind, and Opacity
  for (const p of st.params.values()) {
    if (!p.key.startsWith("correction[N].mask[M].") || p.key.includes(".stroke[")) continue;
    if (p.type !== "number") continue;
    if (p.kinds && !p.kinds.includes(kind)) continue;
    if (p.field === "smoothness" && kind === "depth_range") continue; // placed with its handles
    const key = p.key.replace("[N]", `[${c}]`).replace("[M]", `[${m}]`);
    root.append(slider(p, key, st.value(key), (v, moving) => ed.change({ [key]: v }, moving)));
  }
  return root;
}

function depthRange(ed, root, k) {
  const st = ed.store;
  const key = `${k}.depth_range`;
  const conf = st.state?.scene?.confidence;
  if (conf?.warn) { // the server's advice, word for word as `depthmask depth` prints it
    const note = document.createElement("div");
    note.className = "note";
    note.setAttribute("role", "note");
    note.textContent = `${conf.advice}. `;
    const c = ed.sel.correction;
    const b = document.createElement("button");
    b.textContent = "Intersect with Subject";
    b.addEventListener("click", () => ed.edit({ add_mask: { correction: c, kind: "subject", mode: "intersect" } }));
    note.append(b);
    root.append(note);
  }
  const box = document.createElement("div");
  box.innerHTML = `<div class="dim">Depth Range (near … far)</div>`;
  root.append(box);
  depthControl(ed, box, key, {
    values: st.value(key) ?? [0, 100], labels: ["Near", "Far"],
    onInput: (v, moving) => {
      // while a handle moves, the mask itself is what the user watches
      if (moving && ed.preview.layer?.kind !== "mask") ed.preview.setLayer({ kind: "mask", correction: ed.sel.correction, live: true });
      if (!moving && ed.preview.layer?.live) ed.preview.setLayer(null);
      ed.change({ [key]: v }, moving);
    },
  });
  const sm = st.param(`${k}.smoothness`);
  if (sm) root.append(slider(sm, `${k}.smoothness`, st.value(`${k}.smoothness`), (v, moving) => ed.change({ [`${k}.smoothness`]: v }, moving)));
  const row = document.createElement("div");
  row.className = "row";
  const drop = toolButton(ed, {
    text: "Eyedropper", title: "Click the photo for the depth there, or drag over an area for its range",
    name: "eyedropper", make: () => eyedropper(ed, key),
  });
  row.append(drop, depthMapButton(ed, "Show depth map"));
  root.append(row);
}

// The depth heat map over the photo, on and off (Masking's Show depth map,
// Lens Blur's Visualize Depth).
export function depthMapButton(ed, text) {
  const b = document.createElement("button");
  b.textContent = text;
  b.setAttribute("aria-pressed", String(ed.preview.layer?.kind === "depth"));
  b.addEventListener("click", () => {
    const on = ed.preview.layer?.kind === "depth";
    ed.preview.setLayer(on ? null : { kind: "depth" });
    b.setAttribute("aria-pressed", String(!on));
  });
  return b;
}

// Click: the depth at a point; drag: over an area. The server suggests the
// range (GET /api/sample).
function eyedropper(ed, key) {
  let start = null;
  return {
    name: "eyedropper",
    down(ev, p) {
      start = p;
      ev.target.setPointerCapture(ev.pointerId);
    },
    async up(ev, p) {
      if (!start) return;
      const [x0, y0] = start;
      start = null;
      const cx = (x0 + p[0]) / 2, cy = (y0 + p[1]) / 2;
      const r = Math.round(Math.hypot(p[0] - x0, p[1] - y0) / 2);
      try {
        const s = await ed.store.sample(cx, cy, r);
        await ed.change({ [key]: s.range });
        ed.render();
      } catch (e) {
        ed.status(e.message, true);
      }
    },
  };
}

function range2(ed, root, key, labels) {
  const h = depthHandles({
    hist: null, values: ed.store.value(key) ?? [0, 100], labels,
    onInput: (v, moving) => ed.change({ [key]: v }, moving),
  });
  h.dataset.key = key;
  root.append(h);
}

function drawToggle(ed, root, c, m, kind) {
  const b = document.createElement("button");
  const mine = () => ed.view.tool && ed.view.tool.name === { radial_gradient: "radial", linear_gradient: "linear", brush: "brush" }[kind];
  b.textContent = kind === "brush" ? "Paint" : "Draw on the photo";
  b.title = kind === "brush" ? "Paint on the photo (hold Space to pan)" : "Drag on the photo to place it";
  b.setAttribute("aria-pressed", String(mine()));
  b.addEventListener("click", () => {
    useTool(ed, c, m, !mine());
    b.setAttribute("aria-pressed", String(mine()));
  });
  root.append(b);
}

// The brush's settings for the next stroke (Lightroom keeps them with the
// brush, not the mask): Size, Feather, Flow, Density from the stroke's
// table, and Erase. Auto Mask is not offered. The Refine brush shares them.
export function brushSettings(ed, root) {
  const st = ed.store;
  ed.brush ??= {};
  for (const f of ["radius", "feather", "flow", "density"]) {
    const p = st.param(`correction[0].mask[0].stroke[0].${f}`);
    if (!p) continue;
    ed.brush[f] ??= p.default;
    root.append(slider(p, `brush.${f}`, ed.brush[f], (v) => (ed.brush[f] = v)));
  }
  ed.brush.erase ??= false;
  const row = document.createElement("label");
  row.className = "row";
  row.innerHTML = `<input type="checkbox"> Erase`;
  row.firstChild.checked = ed.brush.erase;
  row.firstChild.addEventListener("change", (e) => (ed.brush.erase = e.target.checked));
  root.append(row);
}
