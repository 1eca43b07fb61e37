// Tools that draw on the photo: a radial gradient (drag from the centre
// out; drag the centre to move it, the rim to resize it), a linear one
// (drag from where it has no effect to where it is full) and the brush
// (dabs drawn at once on the canvas, sent as one stroke when the button is
// released). Positions are fractions of the photo, as the recipe keeps them.

const f = (x) => Math.round(x * 1e4) / 1e4;

function photoFrac(ed, [x, y]) {
  const [pw, ph] = ed.view.photoSize();
  return [x / pw, y / ph];
}

export function radialTool(ed, c, m, fresh = false) {
  const k = `correction[${c}].mask[${m}]`;
  let drag = null; // a fresh gradient's first drag draws it wherever it starts
  const box = () => ["left", "top", "right", "bottom"].map((s) => ed.store.value(`${k}.${s}`));
  return {
    name: "radial",
    down(ev, p) {
      const [x, y] = photoFrac(ed, p);
      const [l, t, r, b] = box();
      const cx = (l + r) / 2, cy = (t + b) / 2, rx = (r - l) / 2, ry = (b - t) / 2;
      const d = Math.hypot((x - cx) / (rx || 1e-6), (y - cy) / (ry || 1e-6));
      const mode = fresh ? "new" : Math.hypot(x - cx, y - cy) < 0.02 ? "move" : Math.abs(d - 1) < 0.15 ? "size" : "new";
      fresh = false;
      drag = { mode, x, y, cx: mode === "new" ? x : cx, cy: mode === "new" ? y : cy, rx, ry };
      ev.target.setPointerCapture(ev.pointerId);
    },
    move(_ev, p) {
      if (!drag) return;
      const [x, y] = photoFrac(ed, p);
      if (drag.mode === "move") (drag.ncx = drag.cx + x - drag.x), (drag.ncy = drag.cy + y - drag.y);
      else (drag.nrx = Math.max(0.005, Math.abs(x - drag.cx))), (drag.nry = Math.max(0.005, Math.abs(y - drag.cy)));
      ed.preview.paint();
    },
    up() {
      if (!drag) return;
      const d = drag;
      drag = null;
      const cx = d.ncx ?? d.cx, cy = d.ncy ?? d.cy, rx = d.nrx ?? d.rx, ry = d.nry ?? d.ry;
      if (d.mode === "new" && d.nrx === undefined) return; // a click, not a drag
      ed.change({ [`${k}.left`]: f(cx - rx), [`${k}.top`]: f(cy - ry), [`${k}.right`]: f(cx + rx), [`${k}.bottom`]: f(cy + ry) })
        .then(() => ed.render());
    },
    draw(g, t) {
      const [pw, ph] = ed.view.photoSize();
      let [l, tp, r, b] = box();
      if (drag) {
        const cx = drag.ncx ?? drag.cx, cy = drag.ncy ?? drag.cy, rx = drag.nrx ?? drag.rx, ry = drag.nry ?? drag.ry;
        [l, tp, r, b] = [cx - rx, cy - ry, cx + rx, cy + ry];
      }
      if (![l, tp, r, b].every(Number.isFinite)) return;
      const X = (u) => t.x + u * pw * t.s, Y = (v) => t.y + v * ph * t.s;
      g.save();
      g.strokeStyle = "#fff";
      g.lineWidth = 1.5 * devicePixelRatio;
      g.beginPath();
      g.ellipse(X((l + r) / 2), Y((tp + b) / 2), Math.abs(X(r) - X(l)) / 2, Math.abs(Y(b) - Y(tp)) / 2,
        ((ed.store.value(`${k}.angle`) ?? 0) * Math.PI) / 180, 0, 2 * Math.PI);
      g.stroke();
      g.fillStyle = "#fff";
      g.fillRect(X((l + r) / 2) - 3, Y((tp + b) / 2) - 3, 6, 6);
      g.restore();
    },
  };
}

export function linearTool(ed, c, m) {
  const k = `correction[${c}].mask[${m}]`;
  let drag = null;
  return {
    name: "linear",
    down(ev, p) {
      drag = { a: photoFrac(ed, p), b: null };
      ev.target.setPointerCapture(ev.pointerId);
    },
    move(_ev, p) {
      if (!drag) return;
      drag.b = photoFrac(ed, p);
      ed.preview.paint();
    },
    up() {
      const d = drag;
      drag = null;
      if (!d?.b) return;
      ed.change({ [`${k}.zero`]: d.a.map(f), [`${k}.full`]: d.b.map(f) }).then(() => ed.render());
    },
    draw(g, t) {
      const [pw, ph] = ed.view.photoSize();
      const a = drag?.a ?? ed.store.value(`${k}.zero`), b = drag?.b ?? ed.store.value(`${k}.full`);
      if (!a || !b) return;
      const P = ([u, v]) => [t.x + u * pw * t.s, t.y + v * ph * t.s];
      const [ax, ay] = P(a), [bx, by] = P(b);
      g.save();
      g.strokeStyle = "#fff";
      g.lineWidth = 1.5 * devicePixelRatio;
      g.setLineDash([6, 4]);
      g.beginPath();
      g.moveTo(ax, ay);
      g.lineTo(bx, by);
      g.stroke();
      g.restore();
    },
  };
}

// The brush: its settings for the next stroke live in ed.brush (Size,
// Feather, Flow, Density, Erase; the table's defaults).
export function brushTool(ed, c, m) {
  const k = `correction[${c}].mask[${m}]`;
  ed.brush ??= {};
  for (const f of ["radius", "feather", "flow", "density"])
    ed.brush[f] ??= ed.store.param(`correction[0].mask[0].stroke[0].${f}`)?.default;
  ed.brush.erase ??= false;
  let dabs = null;
  return {
    name: "brush",
    down(ev, p) {
      dabs = [];
      ev.target.setPointerCapture(ev.pointerId);
      this.move(ev, p);
    },
    move(ev, p) {
      if (!dabs) return;
      const [x, y] = photoFrac(ed, p);
      const last = dabs.at(-1);
      // a dab every quarter radius along the path, as Lightroom spaces them
      const [pw, ph] = ed.view.photoSize(), long = Math.max(pw, ph), r = ed.brush.radius;
      if (last && Math.hypot((x - last[0]) * pw, (y - last[1]) * ph) < 0.25 * r * long) return;
      dabs.push([x, y]);
      this.dab(x, y);
    },
    dab(x, y) { // straight onto the canvas: no round trip before it shows
      const c2 = ed.view.canvas, g = c2.getContext("2d");
      const t = ed.view.transform(0, 0, c2.width, c2.height);
      const [pw, ph] = ed.view.photoSize();
      const rad = ed.brush.radius * Math.max(pw, ph) * t.s;
      g.save();
      g.fillStyle = ed.brush.erase ? "rgba(80,160,255,0.35)" : "rgba(255,60,60,0.35)";
      g.beginPath();
      g.arc(t.x + x * pw * t.s, t.y + y * ph * t.s, Math.max(1, rad), 0, 2 * Math.PI);
      g.fill();
      g.restore();
      performance.mark("dm-dab");
    },
    up() {
      const d = dabs;
      dabs = null;
      if (!d?.length) return;
      const s = ed.store.strokes(c, m);
      const b = ed.brush, sk = `${k}.stroke[${s}]`;
      performance.mark("dm-stroke-end");
      // a draft first (the stroke shows within ~50 ms), then the full proxy
      ed.change({
        [`${sk}.dabs`]: d.flat().map(f).join(","), [`${sk}.radius`]: b.radius, [`${sk}.flow`]: b.flow,
        [`${sk}.feather`]: b.feather, [`${sk}.density`]: b.density, [`${sk}.erase`]: b.erase,
      }, true).then(() => ed.store.load()).then(() => ed.refresh());
    },
  };
}
