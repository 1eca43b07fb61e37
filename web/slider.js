// A slider as Lightroom's: drag it, click the number to type one, arrow
// keys step (Shift: 10 steps), double-click the label or the track to
// reset to the default; the range, label and default come from the
// parameter table. onInput(value, moving) is called while dragging (moving
// true: a draft may answer) and once more when the value rests.
const STEPS = 200; // a step is 1/200 of the UI range, rounded to a neat number

function neatStep(span) {
  const raw = span / STEPS;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

function decimals(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

export function slider(param, key, value, onInput) {
  const lo = param.ui_min ?? param.min, hi = param.ui_max ?? param.max;
  const step = neatStep(hi - lo), dec = decimals(step);
  const row = document.createElement("div");
  row.className = "slider";
  const id = `s-${key.replace(/[^a-z0-9]+/gi, "-")}`;
  row.innerHTML = `<label for="${id}"></label><input type="range" id="${id}"><input type="text" class="num" inputmode="decimal">`;
  const [label, range, num] = row.children;
  label.textContent = param.label ?? param.field;
  if (param.doc) row.title = param.doc;
  Object.assign(range, { min: lo, max: hi, step, value });
  range.dataset.key = key;
  num.setAttribute("aria-label", `${label.textContent} value`);
  const show = (v) => {
    range.value = v;
    num.value = Number(v).toFixed(dec);
    row.classList.toggle("changed", Math.abs(v - param.default) > step / 2);
  };
  show(value);
  let moving = false;
  const clamp = (v) => Math.min(param.max ?? hi, Math.max(param.min ?? lo, v));
  const send = (v, still) => {
    performance.mark("dm-input");
    show(v);
    onInput(Number(Number(v).toFixed(dec + 2)), still);
  };
  range.addEventListener("pointerdown", () => (moving = true));
  range.addEventListener("input", () => send(Number(range.value), moving));
  range.addEventListener("change", () => {
    moving = false;
    send(Number(range.value), false);
  });
  range.addEventListener("keydown", (ev) => {
    const d = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[ev.key];
    if (!d) return;
    ev.preventDefault();
    send(clamp(Number(range.value) + d * step * (ev.shiftKey ? 10 : 1)), false);
  });
  const reset = () => send(param.default, false);
  label.addEventListener("dblclick", reset);
  range.addEventListener("dblclick", reset);
  num.addEventListener("focus", () => num.select());
  num.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") num.blur();
    if (ev.key === "Escape") (num.value = Number(range.value).toFixed(dec)), num.blur();
  });
  num.addEventListener("change", () => {
    const v = Number(num.value.replace(",", "."));
    if (Number.isFinite(v)) send(clamp(v), false);
    else show(range.value);
  });
  row.update = (v) => {
    if (document.activeElement !== num && !moving) show(v);
  };
  return row;
}
