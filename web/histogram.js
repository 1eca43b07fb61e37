// The image histogram (GET /api/histogram?of=image: 256 bins a channel and
// the clipped counts), drawn as Lightroom draws it: the three channels
// overlaid, the clipping triangles lit when any pixel clips.
import { getJSON, latest } from "./api.js";

export class Histogram {
  constructor(canvas, store) {
    this.canvas = canvas;
    this.store = store;
    this.refresh = latest(() => this.#load());
  }

  async #load() {
    let h;
    try {
      h = await getJSON(this.store.path("histogram?of=image"));
    } catch {
      return; // the preview says what is wrong
    }
    this.draw(h);
  }

  draw(h) {
    const c = this.canvas, g = c.getContext("2d"), W = c.width, H = c.height;
    g.clearRect(0, 0, W, H);
    g.fillStyle = "#151515";
    g.fillRect(0, 0, W, H);
    const ch = h.counts ?? {};
    const n = (ch.r ?? []).length || 256;
    // the tallest bin that is not a clipped end sets the scale
    let top = 1;
    for (const k of ["r", "g", "b"])
      for (let i = 1; i < n - 1; i++) top = Math.max(top, ch[k]?.[i] ?? 0);
    g.globalCompositeOperation = "lighter";
    const colours = { r: "rgba(200,60,60,0.9)", g: "rgba(60,180,60,0.9)", b: "rgba(70,110,230,0.9)" };
    for (const k of ["r", "g", "b"]) {
      g.fillStyle = colours[k];
      g.beginPath();
      g.moveTo(0, H);
      for (let i = 0; i < n; i++) g.lineTo((i / (n - 1)) * W, H - Math.min(1, (ch[k]?.[i] ?? 0) / top) * (H - 4));
      g.lineTo(W, H);
      g.fill();
    }
    g.globalCompositeOperation = "source-over";
    const clip = h.clipped ?? {};
    const lo = (clip.shadows ?? []).some((v) => v > 0); // [r, g, b] pixels at 0
    const hi = (clip.highlights ?? []).some((v) => v > 0); // and at 255
    tri(g, 4, 4, lo ? "#6cf" : "#444", 1);
    tri(g, W - 4, 4, hi ? "#f66" : "#444", -1);
    this.canvas.dataset.clipShadows = lo ? "1" : "0";
    this.canvas.dataset.clipHighlights = hi ? "1" : "0";
  }
}

function tri(g, x, y, colour, dir) {
  g.fillStyle = colour;
  g.beginPath();
  g.moveTo(x, y);
  g.lineTo(x + dir * 10, y);
  g.lineTo(x, y + 8);
  g.fill();
}
