// The current photo's recipe and the parameter tables, as GET /api/state
// gives them. Parameters are described once, in the C tables; the page
// reads names, ranges and labels from here and never keeps a copy.
import { getJSON, latest, sendJSON } from "./api.js";

// "correction[2].mask[0].smoothness" -> "correction[N].mask[M].smoothness";
// a refine stroke set's components take the correction's component keys.
export function generic(key) {
  return key
    .replace(/^refine\[\d+\]\.mask/, "correction[N].mask")
    .replace(/^refine\[\d+\]/, "refine[N]")
    .replace(/^correction\[\d+\]/, "correction[N]")
    .replace(/\.mask\[\d+\]/, ".mask[M]")
    .replace(/\.stroke\[\d+\]/, ".stroke[S]");
}

export class Store extends EventTarget {
  constructor(photo) {
    super();
    this.photo = photo;
    this.params = new Map(); // generic key -> table row
    this.recipe = {};
    this.state = null;
    this.pending = {}; // values set here, not yet answered by the server
    this.send = latest((set) => this.#patch({ set }));
  }

  path(what) {
    return `/api/photos/${this.photo}/${what}`;
  }

  async load() {
    const st = await getJSON(this.path("state"));
    this.state = st;
    this.recipe = st.recipe ?? {};
    this.params = new Map((st.params ?? []).map((p) => [p.key, p]));
    this.dispatchEvent(new Event("change"));
    return st;
  }

  param(key) {
    return this.params.get(generic(key));
  }

  value(key) {
    if (key in this.pending) return this.pending[key];
    if (key in this.recipe) return this.recipe[key];
    return this.param(key)?.default;
  }

  // The indices of the corrections (list "correction") or of Lens Blur's
  // refine stroke sets (list "refine") the recipe holds.
  corrections(list = "correction") {
    const n = new Set();
    const re = new RegExp(`^${list}\\[(\\d+)\\]`);
    for (const k of Object.keys(this.recipe)) {
      const m = re.exec(k);
      if (m) n.add(Number(m[1]));
    }
    return [...n].sort((a, b) => a - b);
  }

  masks(c) {
    const n = new Set();
    for (const k of Object.keys(this.recipe)) {
      const m = new RegExp(`^correction\\[${c}\\]\\.mask\\[(\\d+)\\]`).exec(k);
      if (m) n.add(Number(m[1]));
    }
    return [...n].sort((a, b) => a - b);
  }

  // The depth distribution (GET /api/histogram?of=depth), asked for once:
  // a photo's depth does not change while it is open.
  depthHistogram() {
    this.depthHist ??= getJSON(this.path("histogram?of=depth")).catch((e) => {
      this.depthHist = null; // asked for again next time
      throw e;
    });
    return this.depthHist;
  }

  // The depth at photo pixel (x, y) over radius r, and the range the
  // server suggests around it (GET /api/sample).
  sample(x, y, r) {
    return getJSON(this.path(`sample?x=${Math.round(x)}&y=${Math.round(y)}&r=${Math.round(r)}`));
  }

  // How many brush strokes component m of correction (or refine set) c has.
  strokes(c, m, list = "correction") {
    let n = 0;
    const re = new RegExp(`^${list}\\[${c}\\]\\.mask\\[${m}\\]\\.stroke\\[(\\d+)\\]`);
    // the strokes still on their way count: a second stroke painted before
    // the first is answered is the next one, not the first again
    for (const k of [...Object.keys(this.recipe), ...Object.keys(this.pending)]) {
      const x = re.exec(k);
      if (x) n = Math.max(n, Number(x[1]) + 1);
    }
    return n;
  }

  // Set values now (the page shows them at once) and send them, coalesced:
  // one PATCH in flight, the newest values after it.
  set(values) {
    Object.assign(this.pending, values);
    this.dispatchEvent(new CustomEvent("values", { detail: values }));
    return this.send({ ...this.pending });
  }

  async #patch(body) {
    const sent = { ...body.set };
    try {
      const r = await sendJSON("PATCH", this.path("recipe"), body);
      Object.assign(this.recipe, sent);
      for (const [k, v] of Object.entries(sent)) if (this.pending[k] === v) delete this.pending[k];
      this.dispatchEvent(new CustomEvent("saved", { detail: r }));
      return r;
    } catch (e) {
      for (const k of Object.keys(sent)) delete this.pending[k];
      this.dispatchEvent(new CustomEvent("problem", { detail: e.message }));
      await this.load(); // the server's recipe is the truth
      throw e;
    }
  }

  // Structural edits (add/remove a correction or mask, undo, redo): the
  // recipe is read again after them.
  async edit(body) {
    await this.send.idle();
    try {
      const r = await sendJSON("PATCH", this.path("recipe"), body);
      await this.load();
      return r;
    } catch (e) {
      this.dispatchEvent(new CustomEvent("problem", { detail: e.message }));
      throw e;
    }
  }
}
