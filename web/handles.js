// Handles over the depth distribution: the Depth Range mask's two (near,
// far) and Lens Blur's Focal Range's four. The bars are the depth
// histogram (/api/histogram?of=depth), each in its colour in the heat map
// (the server sends them), near on the left. Drag a handle on the canvas;
// or, from the keyboard, the number fields below (arrows step 1, Shift 10).
// Handles keep their order: one dragged past its neighbour pushes it.

// The handles of recipe key `key` into `box`, over the photo's depth
// distribution: once the scene is built (the editor renders the panel
// again then), a line saying why until then.
export function depthControl(ed, box, key, { values, labels, onInput }) {
  const line = (cls, text) => box.append(Object.assign(document.createElement("div"), { className: cls, textContent: text }));
  if (!ed.store.state?.scene?.ready) return line("dim", "the depth is being built…");
  ed.store.depthHistogram().then((hist) => {
    const h = depthHandles({ hist, values, labels, onInput });
    h.dataset.key = key;
    box.append(h);
  }, (e) => line("problem", e.message));
}

export function depthHandles({ hist, values, labels, onInput }) {
  const root = document.createElement("div");
  const canvas = document.createElement("canvas");
  canvas.className = "handles";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `depth distribution with the ${labels.join(", ")} handles`);
  const fields = document.createElement("div");
  fields.className = "row";
  root.append(canvas, fields);
  let v = [...values];
  const inputs = labels.map((label, i) => {
    const l = document.createElement("label");
    l.textContent = `${label} `;
    const inp = document.createElement("input");
    Object.assign(inp, { type: "number", min: 0, max: 100, step: 1, value: v[i] });
    inp.style.width = "52px";
    inp.dataset.handle = String(i);
    inp.addEventListener("change", () => set(i, Number(inp.value), false));
    inp.addEventListener("keydown", (ev) => {
      const d = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1 }[ev.key];
      if (!d) return;
      ev.preventDefault();
      set(i, v[i] + d * (ev.shiftKey ? 10 : 1), false);
    });
    l.append(inp);
    fields.append(l);
    return inp;
  });

  function set(i, x, moving) {
    x = Math.round(Math.min(100, Math.max(0, x)) * 10) / 10;
    v[i] = x;
    for (let j = i + 1; j < v.length; j++) v[j] = Math.max(v[j], x); // keep the order
    for (let j = i - 1; j >= 0; j--) v[j] = Math.min(v[j], x);
    draw();
    performance.mark("dm-input");
    onInput([...v], moving);
  }

  function draw() {
    const r = canvas.getBoundingClientRect();
    const W = (canvas.width = Math.max(100, Math.round(r.width * devicePixelRatio)));
    const H = (canvas.height = Math.round(64 * devicePixelRatio));
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, W, H);
    const counts = hist?.counts ?? [];
    const colors = hist?.colors ?? [];
    const top = Math.max(1, ...counts);
    const bw = W / Math.max(1, counts.length);
    counts.forEach((n, i) => {
      const c = colors[i] ?? [128, 128, 128];
      g.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
      const h = n ? Math.max(2, Math.sqrt(n / top) * (H - 14)) : 0; // sqrt: small planes stay visible
      g.fillRect(i * bw, H - 12 - h, Math.ceil(bw), h);
    });
    // the selected span, and the handles
    const X = (x) => (x / 100) * W;
    g.fillStyle = "rgba(255,255,255,0.12)";
    g.fillRect(X(v[0]), 0, X(v[v.length - 1]) - X(v[0]), H - 12);
    v.forEach((x, i) => {
      g.fillStyle = "#fff";
      g.fillRect(X(x) - 1, 0, 2, H - 12);
      g.beginPath();
      g.moveTo(X(x), H - 12);
      g.lineTo(X(x) - 6, H);
      g.lineTo(X(x) + 6, H);
      g.fill();
      inputs[i].value = String(x);
    });
  }

  let drag = -1;
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return ((ev.clientX - r.left) / r.width) * 100;
  };
  canvas.addEventListener("pointerdown", (ev) => {
    const x = at(ev);
    // the nearest handle; between two that coincide, the one the drag goes towards
    let best = 0;
    v.forEach((h, i) => Math.abs(h - x) < Math.abs(v[best] - x) - 1e-9 && (best = i));
    drag = best;
    canvas.setPointerCapture(ev.pointerId);
    set(drag, x, true);
  });
  canvas.addEventListener("pointermove", (ev) => drag >= 0 && set(drag, at(ev), true));
  const end = (ev) => {
    if (drag < 0) return;
    set(drag, at(ev), false);
    drag = -1;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  root.update = (values2) => {
    if (drag < 0) (v = [...values2]), draw();
  };
  requestAnimationFrame(draw);
  return root;
}
