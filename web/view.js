// Zoom and pan of the photo view, and the 100 % loupe. At fit the proxy
// preview fills the view; zoomed in, it is scaled up as a placeholder and
// the visible rectangle is fetched at 100 % from /api/region (hair and
// shoulders are judged at full resolution, never on an upscaled proxy).
// Wheel zooms around the pointer, dragging pans, the space bar holds the
// hand tool while another tool is active, Z and a click at fit toggle the
// loupe (Lightroom's habits).
import { api, latest } from "./api.js";

export class View {
  constructor(canvas, store) {
    this.canvas = canvas;
    this.store = store;
    this.scale = 0; // canvas pixels per photo pixel; 0 = fit
    this.cx = 0.5; // the view's centre on the photo (0..1)
    this.cy = 0.5;
    this.region = null; // {x, y, w, h, bitmap} at 100 %
    this.fetchRegion = latest(() => this.#region());
    this.onchange = () => {};
    this.tool = null; // a tool that wants clicks on the photo (eyedropper...)
    this.#wire();
  }

  photoSize() {
    const p = this.store.state?.photo ?? {};
    return [p.width || 1, p.height || 1];
  }

  fitScale(W, H) {
    const [pw, ph] = this.photoSize();
    return Math.min(W / pw, H / ph);
  }

  // Where the photo lands on a W x H canvas: {x, y, w, h, s} (s: scale).
  transform(_iw, _ih, W, H) {
    const [pw, ph] = this.photoSize();
    const s = this.scale || this.fitScale(W, H);
    const w = pw * s, h = ph * s;
    if (!this.scale) return { x: (W - w) / 2, y: (H - h) / 2, w, h, s };
    return { x: W / 2 - this.cx * w, y: H / 2 - this.cy * h, w, h, s };
  }

  // Canvas pixel (from a pointer event) -> photo pixel.
  toPhoto(ev) {
    const r = this.canvas.getBoundingClientRect();
    const X = (ev.clientX - r.left) * devicePixelRatio, Y = (ev.clientY - r.top) * devicePixelRatio;
    const t = this.transform(0, 0, this.canvas.width, this.canvas.height);
    return [(X - t.x) / t.s, (Y - t.y) / t.s];
  }

  zoomTo(scale, px, py) {
    const [pw, ph] = this.photoSize();
    const W = this.canvas.width, H = this.canvas.height;
    const fit = this.fitScale(W, H);
    if (!scale || scale <= fit) {
      this.scale = 0;
      this.region = null;
    } else {
      // keep photo point (px, py) under the same canvas point
      const t = this.transform(0, 0, W, H);
      const X = t.x + px * t.s, Y = t.y + py * t.s;
      this.scale = Math.min(scale, 8 / devicePixelRatio);
      this.cx = (px - (X - W / 2) / this.scale) / pw;
      this.cy = (py - (Y - H / 2) / this.scale) / ph;
    }
    this.changed();
  }

  // Z: fit <-> 100 % around a photo point (the view's centre by default).
  toggleLoupe(px, py) {
    const [pw, ph] = this.photoSize();
    if (this.scale) this.zoomTo(0);
    else {
      this.scale = 1;
      this.cx = (px ?? pw / 2) / pw;
      this.cy = (py ?? ph / 2) / ph;
      this.changed();
    }
  }

  changed() {
    this.region = this.scale >= 0.999 ? this.region : null;
    this.onchange();
    if (this.scale >= 0.999) this.fetchRegion();
  }

  // The recipe changed: the loupe's rectangle is out of date.
  refresh() {
    if (this.scale >= 0.999) this.fetchRegion();
  }

  async #region() {
    const [pw, ph] = this.photoSize();
    const W = this.canvas.width, H = this.canvas.height;
    const t = this.transform(0, 0, W, H);
    const x = Math.max(0, Math.floor(-t.x / t.s)), y = Math.max(0, Math.floor(-t.y / t.s));
    const w = Math.min(pw - x, Math.ceil(W / t.s) + 1, 4096), h = Math.min(ph - y, Math.ceil(H / t.s) + 1, 4096);
    if (w < 1 || h < 1) return;
    const r = await api(this.store.path(`region?x=${x}&y=${y}&w=${w}&h=${h}`));
    if (!r.ok) return; // superseded, or the scene is pending: the proxy stays
    const bitmap = await createImageBitmap(await r.blob());
    this.region?.bitmap.close();
    this.region = { x, y, w, h, bitmap };
    this.onchange();
  }

  drawLoupe(g, t) {
    const R = this.region;
    if (!R || this.scale < 0.999) return;
    g.imageSmoothingEnabled = t.s < 1.5;
    g.drawImage(R.bitmap, t.x + R.x * t.s, t.y + R.y * t.s, R.w * t.s, R.h * t.s);
    g.imageSmoothingEnabled = true;
  }

  #wire() {
    const c = this.canvas;
    let drag = null, space = false;
    c.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const [px, py] = this.toPhoto(ev);
      const t = this.transform(0, 0, c.width, c.height);
      this.zoomTo(t.s * Math.exp(-ev.deltaY * 0.0015), px, py);
    }, { passive: false });
    addEventListener("keydown", (ev) => {
      if (ev.code === "Space" && !isTyping(ev)) {
        space = true;
        c.style.cursor = "grab";
        ev.preventDefault();
      }
    });
    addEventListener("keyup", (ev) => {
      if (ev.code === "Space") (space = false), (c.style.cursor = "");
    });
    c.addEventListener("pointerdown", (ev) => {
      const hand = space || !this.tool;
      if (!hand) return this.tool.down?.(ev, this.toPhoto(ev));
      drag = { x: ev.clientX, y: ev.clientY, cx: this.cx, cy: this.cy, moved: false };
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!drag) return this.tool?.move?.(ev, this.toPhoto(ev));
      const [pw, ph] = this.photoSize();
      const dx = (ev.clientX - drag.x) * devicePixelRatio, dy = (ev.clientY - drag.y) * devicePixelRatio;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (!this.scale || !drag.moved) return;
      this.cx = drag.cx - dx / (this.scale * pw);
      this.cy = drag.cy - dy / (this.scale * ph);
      this.onchange();
    });
    c.addEventListener("pointerup", (ev) => {
      if (!drag) return this.tool?.up?.(ev, this.toPhoto(ev));
      const d = drag;
      drag = null;
      if (d.moved && this.scale) this.fetchRegion();
      else if (!d.moved) { // a click: the loupe at fit, back to fit when zoomed
        const [px, py] = this.toPhoto(ev);
        this.toggleLoupe(px, py);
      }
    });
  }
}

// Is the key for a field that takes text (then it is not a shortcut)?
// Checkboxes, buttons and sliders take no letters.
const TEXT = new Set(["text", "number", "search", "email", "url", "password", "tel"]);
export function isTyping(ev) {
  const t = ev.target;
  return (t instanceof HTMLInputElement && TEXT.has(t.type)) || t instanceof HTMLTextAreaElement || t?.isContentEditable;
}
