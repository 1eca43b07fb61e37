// Tools that draw on the photo: a radial gradient (drag from the centre
// out; then its handles: the centre moves it, the rim's two resize it, the
// one above it rotates it, the inner dashed ellipse's sets the feather), a linear one
// (drag from where it has no effect to where it is full; then its ends'
// handles, or its middle's to move it) and the brush
// (dabs drawn at once on the canvas, sent as one stroke when the button is
// released). Positions are fractions of the photo, as the recipe keeps them.

const f = (x) => Math.round(x * 1e4) / 1e4;

// Put `tool` on the photo (null: none), with its cursor.
export function setTool(ed, tool) {
  ed.view.tool = tool;
  ed.view.canvas.style.cursor = tool ? "crosshair" : "";
}

// A button that puts on the photo the tool make() makes (make may be async)
// and takes it off again; pressed while a tool named `name` is on. A make()
// that fails says why on the status line and changes nothing; after() runs
// once the tool changed.
export function toolButton(ed, { text, title, name, make, after }) {
  const b = document.createElement("button");
  b.textContent = text;
  if (title) b.title = title;
  const mine = () => ed.view.tool?.name === name;
  b.setAttribute("aria-pressed", String(mine()));
  b.addEventListener("click", async () => {
    let tool = null;
    if (!mine()) {
      try {
        tool = await make();
      } catch (e) {
        ed.status(e.message, true);
        return;
      }
    }
    setTool(ed, tool);
    b.setAttribute("aria-pressed", String(mine()));
    after?.();
  });
  return b;
}

function photoFrac(ed, [x, y]) {
  const [pw, ph] = ed.view.photoSize();
  return [x / pw, y / ph];
}

export function radialTool(ed, c, m, fresh = false) {
  const k = `correction[${c}].mask[${m}]`;
  let drag = null; // a fresh gradient's first drag draws it wherever it starts
  // the ellipse in photo pixels: centre, radii, angle (degrees, clockwise on screen), feather
  const shape = () => {
    const [pw, ph] = ed.view.photoSize();
    const [l, t, r, b] = ["left", "top", "right", "bottom"].map((s) => ed.store.value(`${k}.${s}`));
    return { cx: ((l + r) / 2) * pw, cy: ((t + b) / 2) * ph, rx: (Math.abs(r - l) / 2) * pw, ry: (Math.abs(b - t) / 2) * ph,
      angle: ed.store.value(`${k}.angle`) ?? 0, feather: ed.store.value(`${k}.feather`) ?? 50 };
  };
  // a point of the ellipse's frame (u along its x axis, v along its y) in photo pixels
  const at = (e, u, v) => {
    const a = (e.angle * Math.PI) / 180;
    return [e.cx + u * Math.cos(a) - v * Math.sin(a), e.cy + u * Math.sin(a) + v * Math.cos(a)];
  };
  const handles = (e, s) => ({ // s: screen pixels per photo pixel, for the rotation arm
    move: [e.cx, e.cy], sizex: at(e, e.rx, 0), sizey: at(e, 0, e.ry),
    rotate: at(e, 0, -e.ry - 24 / s), feather: at(e, -e.rx * (1 - e.feather / 100), 0),
  });
  return {
    name: "radial",
    down(ev, p) {
      const e = shape(), t = ed.view.transform(0, 0, ed.view.canvas.width, ed.view.canvas.height);
      let mode = "new";
      if (!fresh && [e.cx, e.cy, e.rx, e.ry].every(Number.isFinite)) {
        let best = 10 / t.s; // within 10 screen pixels
        for (const [name, q] of Object.entries(handles(e, t.s))) {
          const d = Math.hypot(q[0] - p[0], q[1] - p[1]);
          if (d < best) (best = d), (mode = name);
        }
      }
      fresh = false;
      drag = { mode, p0: p, e, cur: { ...e, cx: mode === "new" ? p[0] : e.cx, cy: mode === "new" ? p[1] : e.cy } };
      ev.target.setPointerCapture(ev.pointerId);
    },
    move(_ev, p) {
      if (!drag) return;
      const { e, cur } = drag;
      const a = (e.angle * Math.PI) / 180;
      // the pointer in the ellipse's own frame
      const dx = p[0] - e.cx, dy = p[1] - e.cy;
      const u = dx * Math.cos(a) + dy * Math.sin(a), v = -dx * Math.sin(a) + dy * Math.cos(a);
      if (drag.mode === "move") (cur.cx = e.cx + p[0] - drag.p0[0]), (cur.cy = e.cy + p[1] - drag.p0[1]);
      else if (drag.mode === "sizex") cur.rx = Math.max(2, Math.abs(u));
      else if (drag.mode === "sizey") cur.ry = Math.max(2, Math.abs(v));
      else if (drag.mode === "rotate") cur.angle = Math.round(((Math.atan2(dy, dx) * 180) / Math.PI + 90 + 540) % 360 - 180);
      else if (drag.mode === "feather") cur.feather = Math.round(Math.min(100, Math.max(0, 100 * (1 - Math.abs(u) / e.rx))));
      else (cur.rx = Math.max(2, Math.abs(p[0] - cur.cx))), (cur.ry = Math.max(2, Math.abs(p[1] - cur.cy))), (cur.angle = 0), (drag.drawn = true);
      ed.preview.paint();
    },
    up() {
      if (!drag) return;
      const { mode, cur, drawn } = drag;
      drag = null;
      if (mode === "new" && !drawn) return; // a click, not a drag
      const [pw, ph] = ed.view.photoSize();
      ed.change({
        [`${k}.left`]: f((cur.cx - cur.rx) / pw), [`${k}.top`]: f((cur.cy - cur.ry) / ph),
        [`${k}.right`]: f((cur.cx + cur.rx) / pw), [`${k}.bottom`]: f((cur.cy + cur.ry) / ph),
        [`${k}.angle`]: cur.angle, [`${k}.feather`]: cur.feather,
      }).then(() => ed.render());
    },
    draw(g, t) {
      const e = drag ? drag.cur : shape();
      if (![e.cx, e.cy, e.rx, e.ry].every(Number.isFinite)) return;
      const S = ([x, y]) => [t.x + x * t.s, t.y + y * t.s];
      const a = (e.angle * Math.PI) / 180, [X, Y] = S([e.cx, e.cy]);
      g.save();
      g.strokeStyle = "#fff";
      g.lineWidth = 1.5 * devicePixelRatio;
      g.beginPath();
      g.ellipse(X, Y, e.rx * t.s, e.ry * t.s, a, 0, 2 * Math.PI);
      g.stroke();
      g.setLineDash([4, 4]); // where the fall-off starts
      const k2 = 1 - e.feather / 100;
      g.beginPath();
      g.ellipse(X, Y, Math.max(0.5, e.rx * k2 * t.s), Math.max(0.5, e.ry * k2 * t.s), a, 0, 2 * Math.PI);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = "#fff";
      for (const q of Object.values(handles(e, t.s))) {
        const [hx, hy] = S(q);
        g.beginPath();
        g.arc(hx, hy, 4 * devicePixelRatio, 0, 2 * Math.PI);
        g.fill();
      }
      g.restore();
    },
  };
}

export function linearTool(ed, c, m, fresh = false) {
  const k = `correction[${c}].mask[${m}]`;
  let drag = null;
  const ends = () => [ed.store.value(`${k}.zero`), ed.store.value(`${k}.full`)];
  return {
    name: "linear",
    // drag from where it has no effect to where it is full; then drag
    // either end's handle, or the line between them to move both
    down(ev, p) {
      const q = photoFrac(ed, p), [z, fl] = ends();
      const t = ed.view.transform(0, 0, ed.view.canvas.width, ed.view.canvas.height);
      const [pw, ph] = ed.view.photoSize();
      const px = (a) => Math.hypot((a[0] - q[0]) * pw, (a[1] - q[1]) * ph) * t.s; // screen pixels
      let mode = "new";
      if (!fresh && z && fl) {
        if (px(z) < 10) mode = "zero";
        else if (px(fl) < 10) mode = "full";
        else if (px([(z[0] + fl[0]) / 2, (z[1] + fl[1]) / 2]) < 10) mode = "both";
      }
      fresh = false;
      drag = { mode, q0: q, z, fl, a: mode === "new" ? q : z, b: mode === "new" ? null : fl };
      ev.target.setPointerCapture(ev.pointerId);
    },
    move(_ev, p) {
      if (!drag) return;
      const q = photoFrac(ed, p), d = [q[0] - drag.q0[0], q[1] - drag.q0[1]];
      if (drag.mode === "new") drag.b = q;
      else if (drag.mode === "zero") drag.a = q;
      else if (drag.mode === "full") drag.b = q;
      else (drag.a = [drag.z[0] + d[0], drag.z[1] + d[1]]), (drag.b = [drag.fl[0] + d[0], drag.fl[1] + d[1]]);
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
      const [z, fl] = ends();
      const a = drag?.a ?? z, b = drag?.b ?? fl;
      if (!a || !b) return;
      const P = ([u, v]) => [t.x + u * pw * t.s, t.y + v * ph * t.s];
      const [ax, ay] = P(a), [bx, by] = P(b);
      // the two lines across the photo where the effect starts and where it is full
      const nx = -(by - ay), ny = bx - ax, L = Math.hypot(nx, ny) || 1, far = 4000;
      g.save();
      g.beginPath();
      g.rect(t.x, t.y, t.w, t.h); // the lines stay on the photo
      g.clip();
      g.strokeStyle = "#fff";
      g.lineWidth = 1.5 * devicePixelRatio;
      for (const [x, y, dash] of [[ax, ay, [6, 4]], [bx, by, []]]) {
        g.setLineDash(dash);
        g.beginPath();
        g.moveTo(x - (nx / L) * far, y - (ny / L) * far);
        g.lineTo(x + (nx / L) * far, y + (ny / L) * far);
        g.stroke();
      }
      g.setLineDash([]);
      g.beginPath();
      g.moveTo(ax, ay);
      g.lineTo(bx, by);
      g.stroke();
      g.fillStyle = "#fff";
      for (const [x, y] of [[ax, ay], [bx, by], [(ax + bx) / 2, (ay + by) / 2]]) {
        g.beginPath();
        g.arc(x, y, 4 * devicePixelRatio, 0, 2 * Math.PI);
        g.fill();
      }
      g.restore();
    },
  };
}

// The brush: its settings for the next stroke live in ed.brush (Size,
// Feather, Flow, Density, Erase; the table's defaults). It paints component
// m of correction c, or with list "refine" of Lens Blur's refine set c;
// first() gives keys sent with the set's first stroke (the set itself).
export function brushTool(ed, c, m, { list = "correction", first = null, name = "brush" } = {}) {
  const k = `${list}[${c}].mask[${m}]`;
  ed.brush ??= {};
  for (const f of ["radius", "feather", "flow", "density"])
    ed.brush[f] ??= ed.store.param(`correction[0].mask[0].stroke[0].${f}`)?.default;
  ed.brush.erase ??= false;
  let dabs = null;
  return {
    name,
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
      const s = ed.store.strokes(c, m, list);
      const b = ed.brush, sk = `${k}.stroke[${s}]`;
      performance.mark("dm-stroke-end");
      // a draft first (the stroke shows within ~50 ms), then the full proxy
      ed.change({
        ...(s === 0 && first ? first() : {}),
        [`${sk}.dabs`]: d.flat().map(f).join(","), [`${sk}.radius`]: b.radius, [`${sk}.flow`]: b.flow,
        [`${sk}.feather`]: b.feather, [`${sk}.density`]: b.density, [`${sk}.erase`]: b.erase,
      }, true).then(() => ed.store.load()).then(() => ed.refresh());
    },
  };
}
