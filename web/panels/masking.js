// Masking: the corrections, each with its mask components (kind, Add /
// Subtract / Intersect, Invert, Opacity), the buttons that create them
// (as ACR's Create New Mask), and the selected component's own controls
// (masks/*.js). Everything it changes is a --set key or an add/remove edit.
import { componentControls, useTool } from "./components.js";
import { withIcon } from "../icons.js";

// ACR's names for the kinds the parameter table lists
export const KIND_NAMES = {
  subject: "Subject", background: "Background", depth_range: "Depth Range",
  luminance_range: "Luminance Range", linear_gradient: "Linear Gradient",
  radial_gradient: "Radial Gradient", brush: "Brush", whole_image: "Whole Image", file: "Mask File",
};
const CREATE = ["subject", "background", "depth_range", "luminance_range", "linear_gradient", "radial_gradient", "brush"];

function button(text, title, onclick) {
  const b = document.createElement("button");
  b.textContent = text;
  if (title) b.title = title;
  b.addEventListener("click", onclick);
  return b;
}

export function maskingPanel(root, ed) {
  const st = ed.store;
  root.replaceChildren();
  const kinds = st.param("correction[0].mask[0].kind")?.choices ?? CREATE;
  const modes = st.param("correction[0].mask[0].mode")?.choices ?? ["add", "subtract", "intersect"];

  const create = document.createElement("div");
  create.className = "row";
  create.setAttribute("aria-label", "Create new mask");
  for (const k of CREATE.filter((k) => kinds.includes(k)))
    create.append(withIcon(button(KIND_NAMES[k], `A new correction with a ${KIND_NAMES[k]} mask`, async () => {
      const n = st.corrections().length;
      await ed.edit({ add_correction: { mask: [{ kind: k }] } });
      ed.sel = { correction: n, mask: 0 };
      useTool(ed, n, 0, true, true); // gradients and the brush are drawn straight away
      ed.render();
    }), k));
  root.append(create);

  root.append(overlayControls(ed));
  const list = document.createElement("ul");
  list.className = "corrections";
  for (const c of st.corrections()) list.append(correctionItem(ed, c, modes));
  root.append(list);

  const c = ed.sel.correction;
  if (!st.corrections().includes(c)) return;
  // add a component to the selected correction
  const add = document.createElement("div");
  add.className = "row";
  const kindSel = document.createElement("select");
  kindSel.setAttribute("aria-label", "Kind of the component to add");
  for (const k of CREATE.filter((k) => kinds.includes(k))) kindSel.add(new Option(KIND_NAMES[k], k));
  add.append(kindSel);
  for (const m of modes)
    add.append(button(m[0].toUpperCase() + m.slice(1), `${m} a component to correction ${c + 1}`, async () => {
      const masks = st.masks(c);
      await ed.edit({ add_mask: { correction: c, kind: kindSel.value, mode: m } });
      ed.sel = { correction: c, mask: masks.length };
      useTool(ed, c, masks.length, true, true);
      ed.render();
    }));
  root.append(add);
  root.append(componentControls(ed, c, ed.sel.mask));
}

function correctionItem(ed, c, modes) {
  const st = ed.store;
  const li = document.createElement("li");
  li.classList.toggle("selected", c === ed.sel.correction);
  li.dataset.correction = String(c);
  const head = document.createElement("div");
  head.className = "row";
  const name = document.createElement("input");
  name.type = "text";
  name.value = st.value(`correction[${c}].name`) || "";
  name.placeholder = `Mask ${c + 1}`;
  name.setAttribute("aria-label", `Name of correction ${c + 1}`);
  name.style.flex = "1";
  name.addEventListener("focus", () => select(ed, c, ed.sel.correction === c ? ed.sel.mask : 0));
  name.addEventListener("change", () => ed.change({ [`correction[${c}].name`]: name.value }));
  const on = document.createElement("input");
  on.type = "checkbox";
  on.checked = st.value(`correction[${c}].active`) !== false;
  on.title = "Show this correction's effect";
  on.setAttribute("aria-label", `Correction ${c + 1} active`);
  on.addEventListener("change", () => ed.change({ [`correction[${c}].active`]: on.checked }));
  const eye = button("◐", "Show the mask overlay (O)", () => {
    const showing = ed.preview.layer?.kind === "mask" && ed.preview.layer.correction === c;
    ed.preview.setLayer(showing ? null : { kind: "mask", correction: c });
    select(ed, c, ed.sel.mask);
  });
  eye.setAttribute("aria-pressed", String(ed.preview.layer?.kind === "mask" && ed.preview.layer.correction === c));
  const del = button("✕", `Delete correction ${c + 1}`, () => ed.edit({ remove_correction: c }));
  head.append(on, name, eye, del);
  li.append(head);
  const masks = document.createElement("ul");
  masks.className = "masks";
  for (const m of st.masks(c)) {
    const k = `correction[${c}].mask[${m}]`;
    const item = document.createElement("li");
    item.classList.toggle("selected", c === ed.sel.correction && m === ed.sel.mask);
    const label = document.createElement("span");
    label.className = "mname";
    label.tabIndex = 0;
    label.textContent = KIND_NAMES[st.value(`${k}.kind`)] ?? st.value(`${k}.kind`);
    withIcon(label, st.value(`${k}.kind`));
    label.addEventListener("click", () => select(ed, c, m));
    label.addEventListener("keydown", (ev) => ev.key === "Enter" && select(ed, c, m));
    const mode = document.createElement("select");
    mode.setAttribute("aria-label", `${label.textContent}: add, subtract or intersect`);
    for (const x of modes) mode.add(new Option(x, x));
    mode.value = st.value(`${k}.mode`) ?? "add";
    mode.disabled = m === 0; // the first component is the start
    mode.addEventListener("change", () => ed.change({ [`${k}.mode`]: mode.value }));
    const inv = document.createElement("input");
    inv.type = "checkbox";
    inv.checked = Boolean(st.value(`${k}.invert`));
    inv.title = "Invert";
    inv.setAttribute("aria-label", `Invert ${label.textContent}`);
    inv.addEventListener("change", () => ed.change({ [`${k}.invert`]: inv.checked }));
    const rm = button("✕", `Remove ${label.textContent}`, () =>
      ed.edit({ remove_mask: { correction: c, mask: m } }));
    item.append(label, mode, inv, rm);
    masks.append(item);
  }
  li.append(masks);
  return li;
}

function select(ed, c, m) {
  if (ed.sel.correction === c && ed.sel.mask === m) return;
  ed.sel = { correction: c, mask: m };
  useTool(ed, c, m, false);
  if (ed.preview.layer?.kind === "mask") ed.preview.setLayer({ kind: "mask", correction: c });
  ed.render();
}

// The mask overlay's colour and opacity (Lightroom's red at 50 % first;
// Shift+O steps the colour). A page setting, not part of the recipe.
export const COLOURS = { Red: [255, 0, 0], Green: [0, 200, 0], Blue: [40, 90, 255], White: [255, 255, 255], Black: [0, 0, 0] };

function overlayControls(ed) {
  const o = ed.preview.overlay;
  const row = document.createElement("div");
  row.className = "row";
  row.innerHTML = `<span class="dim">Overlay</span>`;
  const colour = document.createElement("select");
  colour.setAttribute("aria-label", "Overlay colour (Shift+O)");
  for (const name of Object.keys(COLOURS)) colour.add(new Option(name, name));
  colour.value = Object.keys(COLOURS).find((k) => COLOURS[k].join() === o.color.join()) ?? "Red";
  const opacity = document.createElement("input");
  Object.assign(opacity, { type: "range", min: 0, max: 100, step: 1, value: Math.round(o.opacity * 100) });
  opacity.setAttribute("aria-label", "Overlay opacity");
  opacity.style.flex = "1";
  const apply = () => {
    o.color = COLOURS[colour.value];
    o.opacity = Number(opacity.value) / 100;
    if (ed.preview.layer?.kind === "mask") ed.preview.setLayer(ed.preview.layer);
  };
  colour.addEventListener("change", apply);
  opacity.addEventListener("change", apply);
  row.append(colour, opacity);
  return row;
}
