// The filmstrip when a folder was opened: a thumbnail a photo, the current
// one marked; a click (or Ctrl+Left/Right) opens another. Sync copies the
// chosen sections of this photo's settings to the selected ones through
// /api/sync, as Lightroom's Sync does.
import { sendJSON } from "./api.js";

const token = new URLSearchParams(location.search).get("token") ?? "";

export function filmstrip(root, ed) {
  if (ed.photos.length < 2) return;
  root.hidden = false;
  root.replaceChildren();
  const picked = new Set();
  for (const p of ed.photos) {
    const img = document.createElement("img");
    img.alt = p.problem ? `${p.name}: ${p.problem}` : p.name;
    img.title = img.alt;
    img.tabIndex = 0;
    img.dataset.photo = p.id;
    if (!p.problem) img.src = `/api/photos/${p.id}/thumb?token=${token}`;
    img.addEventListener("click", (ev) => {
      if (ev.ctrlKey || ev.metaKey) { // Lightroom: Ctrl-click adds to the selection
        picked.has(p.id) ? picked.delete(p.id) : picked.add(p.id);
        img.style.outline = picked.has(p.id) ? "2px solid #fc6" : "";
        return;
      }
      if (!p.problem) ed.open(p.id).then(mark);
    });
    root.append(img);
  }
  const box = document.createElement("span");
  box.className = "row";
  const names = { masks: "Masks", adjust: "Adjust", lens_blur: "Lens Blur" };
  for (const [k, label] of Object.entries(names))
    box.insertAdjacentHTML("beforeend", `<label><input type="checkbox" data-section="${k}" checked> ${label}</label>`);
  const sync = document.createElement("button");
  sync.textContent = "Sync";
  sync.title = "Copy the checked sections of this photo's settings to the Ctrl-clicked photos";
  box.append(sync);
  sync.addEventListener("click", async () => {
    const to = [...picked].filter((id) => id !== ed.store.photo);
    if (!to.length) return ed.status("Ctrl-click the photos to sync to first", true);
    const sections = [...box.querySelectorAll("input:checked")].map((i) => i.dataset.section);
    if (!sections.length) return ed.status("check the sections to sync", true);
    try {
      await sendJSON("POST", "/api/sync", { from: ed.store.photo, to, sections });
      ed.status(`synced ${sections.join(", ")} to ${to.length} photo${to.length > 1 ? "s" : ""}`);
    } catch (e) {
      ed.status(e.message, true);
    }
  });
  root.append(box);
  const mark = () => {
    for (const img of root.querySelectorAll("img")) img.classList.toggle("current", img.dataset.photo === ed.store.photo);
  };
  mark();
  ed.step = (d) => {
    const ok = ed.photos.filter((p) => !p.problem);
    const i = ok.findIndex((p) => p.id === ed.store.photo);
    const next = ok[(i + d + ok.length) % ok.length];
    if (next) ed.open(next.id).then(mark);
  };
}
