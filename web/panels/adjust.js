// Adjust: the selected correction's Amount and its 12 local sliders, in
// the parameter table's order, with its labels and UI ranges.
import { slider } from "../slider.js";

const SKIP = new Set(["name", "active"]); // shown in the Masking list

export function adjustPanel(root, ed) {
  const st = ed.store;
  root.replaceChildren();
  const c = ed.sel.correction;
  if (!st.corrections().includes(c)) {
    root.innerHTML = `<p class="dim">Add a mask in Masking to adjust part of the photo.</p>`;
    return;
  }
  const title = document.createElement("div");
  title.className = "row dim";
  title.textContent = `Correction ${c + 1}${st.value(`correction[${c}].name`) ? `: ${st.value(`correction[${c}].name`)}` : ""}`;
  root.append(title);
  for (const p of st.params.values()) {
    if (!p.key.startsWith("correction[N].") || p.key.includes(".mask[") || p.type !== "number" || SKIP.has(p.field)) continue;
    const key = p.key.replace("[N]", `[${c}]`);
    const s = slider(p, key, st.value(key), (v, moving) => ed.change({ [key]: v }, moving));
    s.dataset.key = key;
    root.append(s);
  }
  const reset = document.createElement("button");
  reset.textContent = "Reset sliders";
  reset.addEventListener("click", () => {
    const values = {};
    for (const p of st.params.values())
      if (p.key.startsWith("correction[N].") && !p.key.includes(".mask[") && p.type === "number" && !SKIP.has(p.field))
        values[p.key.replace("[N]", `[${c}]`)] = p.default;
    ed.change(values).then(() => st.load());
  });
  root.append(reset);
}
