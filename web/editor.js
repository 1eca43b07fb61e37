// The editor page (issue 15): the photo, the Masking / Adjust / Lens Blur /
// Export panel, the filmstrip of a folder. Every control edits the recipe
// through PATCH /api/recipe with the --set keys the parameter tables name;
// the picture is the server's preview of the recipe.
import { api, getJSON } from "./api.js";
import { Store } from "./store.js";
import { View } from "./view.js";
import { Preview } from "./preview.js";
import { Histogram } from "./histogram.js";
import { adjustPanel } from "./panels/adjust.js";
import { maskingPanel } from "./panels/masking.js";
import { lensBlurPanel } from "./panels/lensblur.js";
import { exportPanel } from "./panels/export.js";
import { filmstrip } from "./filmstrip.js";
import { shortcuts } from "./shortcuts.js";

const $ = (id) => document.getElementById(id);

class Editor {
  constructor() {
    this.sel = { correction: 0, mask: 0 }; // what the Masking and Adjust panels show
    this.photos = [];
    this.store = null;
  }

  status(text, problem = false) {
    $("status").textContent = text;
    $("status").className = problem ? "problem" : "";
  }

  async open(id) {
    this.store = new Store(id);
    this.view = new View($("photo"), this.store);
    this.preview = new Preview($("photo"), this.store, this.view);
    this.view.onchange = () => this.preview.paint();
    this.preview.addEventListener("problem", (e) => this.status(e.detail, true));
    this.preview.addEventListener("scene", (e) => this.#scene(e.detail));
    this.store.addEventListener("problem", (e) => this.status(e.detail, true));
    this.store.addEventListener("change", () => this.render());
    this.histogram = new Histogram($("histogram"), this.store);
    await this.store.load();
    $("name").textContent = this.store.state.photo?.name ?? "";
    this.#progress();
    await this.refresh();
  }

  // Every control calls this: values set now, the picture follows (a draft
  // while `moving`, the proxy when the value rests).
  change(values, moving = false) {
    this.status("");
    return this.store.set(values).then((r) => {
      if (r === undefined) return; // a newer change went instead: it refreshes
      this.#saved("unsaved");
      return this.refresh({ draft: moving });
    }, () => {});
  }

  async edit(body) {
    try {
      await this.store.edit(body);
      this.#saved("unsaved");
      await this.refresh();
    } catch {
      /* the store said why */
    }
  }

  // The picture of the recipe as it is now; the hook the browser tests call
  // after changing the recipe through the API.
  async refresh({ draft = false } = {}) {
    await this.preview.refresh({ draft });
    if (!draft) {
      this.view.refresh();
      this.histogram.refresh();
    }
  }

  render() {
    const n = this.store.corrections();
    if (!n.includes(this.sel.correction)) this.sel.correction = n[0] ?? 0;
    maskingPanel($("masking").querySelector(".body"), this);
    adjustPanel($("adjust").querySelector(".body"), this);
    lensBlurPanel($("lensblur").querySelector(".body"), this);
    exportPanel($("export").querySelector(".body"), this);
    const outside = this.store.state.outside_fields ?? [];
    if (outside.length) this.status(`changed by another program and taken in: ${outside.join(", ")}`);
    $("undo").disabled = !this.store.state.can_undo;
    $("redo").disabled = !this.store.state.can_redo;
    this.#saved(this.store.state.sidecar);
  }

  #saved(state) {
    const text = { none: "no sidecar yet", saved: "saved", unsaved: "saving…", changed_on_disk: "sidecar changed on disk" }[state] ?? state;
    $("saved").textContent = text ?? "";
    $("saved").className = state === "changed_on_disk" ? "problem" : "dim";
  }

  #scene({ scene, skipped }) {
    if (scene === "pending") this.status(`depth and matte are being built; not shown yet: ${skipped ?? ""}`);
    else if (scene === "failed") this.status("no depth: depth masks, Subject and the lens blur are not shown", true);
  }

  // The networks' progress on first open, then the full picture once.
  async #progress() {
    for (;;) {
      let p;
      try {
        p = await getJSON(this.store.path("progress")); // one photo's: a folder has several
      } catch {
        return;
      }
      const s = p.scene ?? {};
      if (s.ready || s.failed) {
        $("progress").textContent = s.failed ? `depth failed: ${s.error ?? ""}` : "";
        if (this.preview.scenePending || !this.store.state?.scene?.ready) {
          await this.store.load();
          await this.refresh();
        }
        return;
      }
      $("progress").textContent = `${s.stage ?? "scene"} ${Math.round(100 * (s.fraction ?? 0))} %`;
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  // The sidecar's state (saved, or changed on disk by another program).
  async watchSidecar() {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1500));
      try {
        const { photos } = await getJSON("/api/photos");
        const me = photos.find((p) => p.id === this.store.photo);
        if (me?.sidecar === "changed_on_disk" && this.lastSidecar !== "changed_on_disk")
          this.status("the sidecar was changed by another program: the editor merges it at its next save", true);
        if (this.lastSidecar === "changed_on_disk" && me?.sidecar !== "changed_on_disk") {
          await this.store.load(); // merged: the fields from outside show, and say which
          await this.refresh();
        }
        this.lastSidecar = me?.sidecar;
        this.#saved(me?.sidecar);
      } catch {
        /* the server is gone: the next request says so */
      }
    }
  }
}

async function start() {
  const ed = new Editor();
  window.dmEditor = ed; // the browser tests' handle: refresh(), store, sel
  const r = await api("/api/photos");
  if (!r.ok) {
    ed.status(r.status === 403 ? "open the address `depthmask edit` printed (with its token)" : "no photos", true);
    return;
  }
  ed.photos = (await r.json()).photos;
  const first = ed.photos.find((p) => !p.problem) ?? ed.photos[0];
  if (!first) return ed.status("no photos", true);
  shortcuts(ed);
  $("undo").addEventListener("click", () => ed.edit({ undo: 1 }));
  $("redo").addEventListener("click", () => ed.edit({ redo: 1 }));
  $("compare").addEventListener("change", (e) => ed.preview.setMode(e.target.value));
  await ed.open(first.id);
  filmstrip($("filmstrip"), ed); // marks the photo open
  ed.watchSidecar();
  let resize = 0;
  addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => ed.refresh(), 200);
  });
}


start();
