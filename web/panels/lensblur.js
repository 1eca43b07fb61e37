// Lens Blur: Apply, Amount, Focal Range (four handles over the depth
// distribution; "Subject" = 0,0,100,100, the table's focus on the
// subject; a click on the photo focuses there), bokeh shape, Boost, Cat
// Eye, and the physical mode's lens and distances. Visualize Depth shows
// the heat map over the photo (refine strokes painted in); Refine's Focus
// and Blur brushes (refine.js). Fields, ranges and labels: the table.
import { slider } from "../slider.js";
import { depthControl } from "../handles.js";
import { focusDepths, refineSection } from "./refine.js";
import { depthMapButton } from "./components.js";
import { toolButton } from "../tools.js";
import { withIcon } from "../icons.js";

const SUBJECT = [0, 0, 100, 100];
const ARTISTIC = ["amount"];
const SHAPE = ["blades", "blade_rotation", "blade_curvature"]; // bokeh = blades only
const LOOK = ["boost", "boost_threshold", "cat_eye"];
const PHYSICAL = ["f_mm", "f_number", "focus_m", "sensor_width_mm", "subject_distance_m", "background_distance_m"];

export function lensBlurPanel(root, ed) {
  const st = ed.store;
  root.replaceChildren();
  const key = (f) => `lens_blur.${f}`;
  const num = (f) => {
    const p = st.param(key(f));
    if (p) root.append(slider(p, key(f), st.value(key(f)), (v, moving) => ed.change({ [key(f)]: v }, moving)));
  };
  const choice = (f) => {
    const p = st.param(key(f));
    if (!p) return;
    const row = document.createElement("div");
    row.className = "row";
    row.setAttribute("role", "radiogroup");
    row.setAttribute("aria-label", p.label);
    row.insertAdjacentHTML("beforeend", `<span class="dim">${p.label}</span>`);
    for (const c of p.choices) {
      const b = document.createElement("button");
      b.textContent = c[0].toUpperCase() + c.slice(1);
      if (f === "bokeh") withIcon(b, c);
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", String(st.value(key(f)) === c));
      b.setAttribute("aria-pressed", String(st.value(key(f)) === c));
      b.addEventListener("click", () => ed.change({ [key(f)]: c }).then(() => ed.render()));
      row.append(b);
    }
    root.append(row);
  };

  const top = document.createElement("div");
  top.className = "row";
  const apply = document.createElement("input");
  apply.type = "checkbox";
  apply.id = "lb-apply";
  apply.checked = Boolean(st.value(key("active")));
  apply.addEventListener("change", () => ed.change({ [key("active")]: apply.checked }));
  const lab = document.createElement("label");
  lab.htmlFor = "lb-apply";
  lab.textContent = st.param(key("active"))?.label ?? "Apply";
  top.append(apply, lab, depthMapButton(ed, "Visualize Depth"));
  root.append(top);

  choice("mode");
  const physical = st.value(key("mode")) === "physical";
  if (!physical) {
    ARTISTIC.forEach(num);
    focalRange(ed, root);
  } else PHYSICAL.forEach(num);
  choice("bokeh");
  if (st.value(key("bokeh")) === "blades") SHAPE.forEach(num);
  LOOK.forEach(num);
  refineSection(ed, root);
}

// A new focal range, with the Focus sets' depths that follow it.
const focal = async (ed, key, v) => ({ [key]: v, ...(await focusDepths(ed.store, v)) });

function focalRange(ed, root) {
  const st = ed.store;
  const key = "lens_blur.focal_range";
  const box = document.createElement("div");
  const head = document.createElement("div");
  head.className = "row";
  head.innerHTML = `<span class="dim">${st.param(key)?.label ?? "Focal Range"}</span>`;
  const subject = document.createElement("button");
  subject.textContent = "Subject";
  subject.title = "Focus on the subject (automatic)";
  const auto = JSON.stringify(st.value(key)) === JSON.stringify(SUBJECT);
  subject.setAttribute("aria-pressed", String(auto));
  subject.addEventListener("click", async () => ed.change(await focal(ed, key, SUBJECT)).then(() => ed.render()));
  const pick = toolButton(ed, {
    text: "Focus on click", title: "Click the photo: the focal range centres on the depth there",
    name: "focus", make: () => focusTool(ed, key),
  });
  head.append(subject, pick);
  box.append(head);
  root.append(box);
  depthControl(ed, box, key, {
    values: st.value(key) ?? SUBJECT, labels: ["Near ramp", "Near", "Far", "Far ramp"],
    onInput: async (v, moving) => ed.change(await focal(ed, key, v), moving),
  });
}

// A click on the photo: the sharp plateau around the depth there, ramps of
// 10 on either side (ACR's focus on a point).
function focusTool(ed, key) {
  return {
    name: "focus",
    async up(_ev, [x, y]) {
      try {
        const s = await ed.store.sample(x, y, 4);
        const [lo, hi] = s.range;
        await ed.change(await focal(ed, key, [Math.max(0, lo - 10), lo, hi, Math.min(100, hi + 10)]));
        ed.render();
      } catch (e) {
        ed.status(e.message, true);
      }
    },
  };
}
