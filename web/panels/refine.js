// Lens Blur's Refine: the Focus and Blur brushes (Lightroom's; each paints
// one refine stroke set, crs:DepthBasedCorrections, named after it) and
// each set's Depth, Amount, on/off and Delete. A stroke set moves the depth
// under its strokes to its own depth before the blur (src/recipe/xmp_refine.c):
// Focus paints the middle of the focal range's sharp band and follows the
// focal range when it moves (focusDepths); Blur paints the end of the depth
// scale farthest from it. Fields, ranges and labels: the table (refine[N].).
import { slider } from "../slider.js";
import { brushTool, toolButton } from "../tools.js";
import { brushSettings } from "./components.js";

const BRUSHES = [
  { name: "Focus", title: "Paint areas into focus (they stay in the focal range when it moves)" },
  { name: "Blur", title: "Paint areas out of focus (to the far side of the focal range)" },
];

const AUTO = "0,0,100,100"; // the focal range that focuses on the subject

// The middle of the sharp band of focal range fr: for "Subject" (and the
// physical mode), the subject's median depth, as the blur finds it (the
// depth histogram's "subject").
async function middle(st, fr) {
  if (String(fr) !== AUTO && st.value("lens_blur.mode") !== "physical") return (fr[1] + fr[2]) / 2;
  return (await st.depthHistogram()).subject[1];
}

// The depth a set named `name` paints now.
async function depthFor(st, name) {
  const m = await middle(st, st.value("lens_blur.focal_range") ?? [0, 0, 100, 100]);
  return name === "Focus" ? m : m < 50 ? 100 : 0;
}

// The keys that keep every Focus set in focal range fr: sent with each
// change of lens_blur.focal_range.
export async function focusDepths(st, fr) {
  const out = {};
  for (const i of st.corrections("refine"))
    if (st.value(`refine[${i}].name`) === "Focus") out[`refine[${i}].depth`] = await middle(st, fr);
  return out;
}

// The brush painting set `name`: the one of that name, else a new one.
async function refineBrush(ed, name) {
  const st = ed.store;
  const depth = await depthFor(st, name);
  const sets = st.corrections("refine");
  let i = sets.find((j) => st.value(`refine[${j}].name`) === name);
  const fresh = i === undefined;
  if (fresh) i = sets.length ? Math.max(...sets) + 1 : 0;
  const first = () => fresh ? {
    [`refine[${i}].name`]: name, [`refine[${i}].depth`]: depth,
    [`refine[${i}].mask[0].kind`]: "brush",
  } : {};
  return brushTool(ed, i, 0, { list: "refine", first, name: `refine-${name}` });
}

export function refineSection(ed, root) {
  const st = ed.store;
  const head = document.createElement("div");
  head.className = "row";
  head.innerHTML = `<span class="dim">Refine</span>`;
  for (const b of BRUSHES)
    head.append(toolButton(ed, {
      text: b.name, title: b.title, name: `refine-${b.name}`, after: () => ed.render(),
      make: () => refineBrush(ed, b.name).catch((e) => {
        throw new Error(`the depth is not ready yet: ${e.message}`);
      }),
    }));
  root.append(head);
  if (ed.view.tool?.name?.startsWith("refine-")) brushSettings(ed, root);
  for (const i of st.corrections("refine")) root.append(setRow(ed, i));
}

// One stroke set: its name, on/off, Delete; Depth and Amount.
function setRow(ed, i) {
  const st = ed.store;
  const box = document.createElement("div");
  box.className = "refine-set";
  box.dataset.refine = String(i);
  const row = document.createElement("div");
  row.className = "row";
  const on = document.createElement("input");
  on.type = "checkbox";
  on.checked = Boolean(st.value(`refine[${i}].active`));
  on.title = st.param(`refine[${i}].active`)?.doc ?? "";
  on.addEventListener("change", () => ed.change({ [`refine[${i}].active`]: on.checked }));
  const name = document.createElement("span");
  name.textContent = st.value(`refine[${i}].name`) || `Refine ${i + 1}`;
  const del = document.createElement("button");
  del.textContent = "Delete";
  del.title = "Delete these strokes";
  del.addEventListener("click", () => ed.edit({ remove_refine: i }));
  row.append(on, name, del);
  box.append(row);
  for (const f of ["depth", "amount"]) {
    const key = `refine[${i}].${f}`, p = st.param(key);
    if (p) box.append(slider(p, key, st.value(key), (v, moving) => ed.change({ [key]: v }, moving)));
  }
  return box;
}
