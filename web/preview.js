// The photo: previews of the current recipe painted into <canvas id="photo">.
// While a control moves, drafts are asked for (the server answers a 1000-px
// draft in ~50 ms); once it rests, the full proxy. One preview request is in
// flight at a time and the newest wins. Each painted preview bumps
// document.body.dataset.previews (the browser tests wait on it) and leaves
// performance marks "dm-input" -> "dm-paint" for the latency benchmark;
// document.body.dataset.revision is the recipe revision the photo shows.
import { api, latest } from "./api.js";

export class Preview extends EventTarget {
  constructor(canvas, store, view) {
    super();
    this.canvas = canvas;
    this.store = store;
    this.view = view; // zoom and pan (view.js)
    this.mode = "after"; // "after", "before" or "split" (before on the left)
    this.layer = null; // null, {kind: "mask", correction: N} or {kind: "depth"}
    this.overlay = { color: [255, 0, 0], opacity: 0.5 }; // Lightroom's red at 50 %
    this.images = { after: null, before: null, layer: null };
    this.scenePending = false;
    this.painted = Number(document.body.dataset.previews || 0); // counts on across photos
    this.fetchOne = latest((what, draft) => this.#fetch(what, draft));
    this.fetchLayer = latest((draft) => this.#fetch("layer", draft));
    document.body.dataset.previews = String(this.painted);
  }

  // The recipe changed (draft: a control is still moving).
  async refresh({ draft = false } = {}) {
    const jobs = [this.fetchOne("after", draft)];
    if (this.mode !== "after" && !this.images.before) jobs.push(this.#fetch("before", false));
    if (this.layer) jobs.push(this.fetchLayer(draft));
    await Promise.all(jobs);
  }

  #size() {
    const r = this.canvas.getBoundingClientRect();
    return [Math.max(16, Math.round(r.width * devicePixelRatio)), Math.max(16, Math.round(r.height * devicePixelRatio))];
  }

  #url(what, draft) {
    const [w, h] = this.#size();
    if (what === "layer" && this.layer.kind === "depth") return this.store.path("depth?viz=heat");
    if (what === "layer") return this.store.path(`mask?correction=${this.layer.correction}`);
    const q = new URLSearchParams({ w, h });
    if (draft) q.set("draft", "1");
    if (what === "before") q.set("before", "1");
    return this.store.path(`preview?${q}`);
  }

  async #fetch(what, draft) {
    const layer = this.layer; // the overlay this answer is for
    if (what === "layer" && !layer) return;
    let r;
    try {
      r = await api(this.#url(what, draft));
    } catch (e) {
      this.dispatchEvent(new CustomEvent("problem", { detail: `preview: ${e.message}` }));
      return;
    }
    if (r.status === 409) return; // superseded by a newer preview: that one paints
    if (r.status === 503 && what === "layer") {
      this.dispatchEvent(new CustomEvent("problem", { detail: "the depth is not ready yet" }));
      return;
    }
    if (!r.ok) {
      let msg = r.statusText;
      try {
        msg = (await r.json()).error;
      } catch {}
      this.dispatchEvent(new CustomEvent("problem", { detail: `preview: ${msg}` }));
      return;
    }
    if (what === "after") {
      const scene = r.headers.get("X-Depthmask-Scene");
      this.scenePending = scene === "pending";
      this.dispatchEvent(new CustomEvent("scene", { detail: { scene, skipped: r.headers.get("X-Depthmask-Skipped") } }));
    }
    const bitmap = await createImageBitmap(await r.blob());
    if (what === "layer" && this.layer !== layer) { // turned off or changed meanwhile
      bitmap.close();
      return;
    }
    this.images[what]?.close?.();
    this.images[what] = what === "layer" && layer.kind === "mask" ? tint(bitmap, this.overlay) : bitmap;
    // The recipe revision on screen (tests wait for the one they made).
    if (what === "after") document.body.dataset.revision = r.headers.get("X-Depthmask-Revision") ?? "";
    this.paint();
  }

  // Draw what is there: the preview (or before, or both split), the layer
  // over it, through the view's zoom and pan.
  paint() {
    const [w, h] = this.#size();
    const c = this.canvas;
    if (c.width !== w || c.height !== h) (c.width = w), (c.height = h);
    const g = c.getContext("2d");
    g.fillStyle = "#1b1b1b";
    g.fillRect(0, 0, w, h);
    const after = this.images.after;
    if (!after) return;
    const t = this.view.transform(after.width, after.height, w, h);
    const draw = (img, clip) => {
      g.save();
      if (clip) {
        g.beginPath();
        g.rect(clip[0], 0, clip[1] - clip[0], h);
        g.clip();
      }
      g.imageSmoothingQuality = "high";
      g.drawImage(img, t.x, t.y, t.w, t.h);
      g.restore();
    };
    const before = this.images.before;
    if (this.mode === "before" && before) draw(before);
    else if (this.mode === "split" && before) {
      const mid = Math.round(w / 2);
      draw(before, [0, mid]);
      draw(after, [mid, w]);
      g.fillStyle = "#fff";
      g.fillRect(mid, 0, 1, h);
    } else draw(after);
    if (this.layer && this.images.layer) draw(this.images.layer);
    if (this.clipping) draw(clipped(after, this));
    this.view.tool?.draw?.(g, t);
    this.view.drawLoupe?.(g, t);
    this.painted++;
    document.body.dataset.previews = String(this.painted);
    performance.mark("dm-paint");
    this.dispatchEvent(new Event("paint"));
  }

  setMode(mode) {
    this.mode = mode;
    if (mode !== "after" && !this.images.before) this.#fetch("before", false);
    else this.paint();
  }

  setLayer(layer) {
    this.layer = layer;
    this.images.layer?.close?.();
    this.images.layer = null;
    if (layer) this.fetchLayer(false);
    else this.paint();
  }
}

// `bitmap` drawn on a canvas whose pixels `each(p, i)` then rewrites
// (RGBA bytes at p[i..i+3]).
function recoloured(bitmap, each) {
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = c.getContext("2d");
  g.drawImage(bitmap, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < d.data.length; i += 4) each(d.data, i);
  g.putImageData(d, 0, 0);
  return c;
}

// A grey mask as the overlay colour with the mask as its alpha.
function tint(bitmap, { color, opacity }) {
  const c = recoloured(bitmap, (p, i) => {
    const a = p[i] * opacity;
    p[i] = color[0], p[i + 1] = color[1], p[i + 2] = color[2], p[i + 3] = a;
  });
  bitmap.close();
  return c;
}

// J: clipped highlights red, clipped shadows blue (any channel at the end
// of the 8-bit range), as Lightroom shows them; made once per preview.
function clipped(bitmap, owner) {
  if (owner.clipFor === bitmap) return owner.clipLayer;
  owner.clipLayer = recoloured(bitmap, (p, i) => {
    const hi = p[i] === 255 || p[i + 1] === 255 || p[i + 2] === 255;
    const lo = p[i] === 0 || p[i + 1] === 0 || p[i + 2] === 0;
    p[i] = hi ? 255 : 0, p[i + 1] = 0, p[i + 2] = lo && !hi ? 255 : 0, p[i + 3] = hi || lo ? 255 : 0;
  });
  owner.clipFor = bitmap;
  return owner.clipLayer;
}
