// Export: format, bits, profile and name, rendered full size through the
// pipeline the CLI uses (POST /api/export), progress from /api/progress,
// and the path written.
import { getJSON, sendJSON } from "../api.js";

const FORMATS = { jpeg: [8], tiff: [8, 16, 32], png: [8, 16] };
const PROFILES = { srgb: "sRGB", adobergb: "Adobe RGB", p3: "Display P3", prophoto: "ProPhoto RGB" };

export function exportPanel(root, ed) {
  if (root.dataset.built === ed.store.photo) return; // keeps what the user typed
  root.dataset.built = ed.store.photo;
  root.innerHTML = `
    <div class="row"><label>Format <select id="ex-format"></select></label>
      <label>Bits <select id="ex-bits"></select></label></div>
    <div class="row"><label>Profile <select id="ex-profile"></select></label></div>
    <div class="row"><label>Name <input id="ex-name" type="text" placeholder="the photo's name"></label></div>
    <div class="row"><button id="ex-go">Export</button></div>
    <progress id="ex-progress" max="1" value="0" hidden></progress>
    <div id="ex-result" role="status" aria-live="polite"></div>`;
  const $ = (id) => root.querySelector(`#${id}`);
  for (const f of Object.keys(FORMATS)) $("ex-format").add(new Option(f.toUpperCase(), f));
  for (const [k, v] of Object.entries(PROFILES)) $("ex-profile").add(new Option(v, k));
  const bits = () => {
    const sel = $("ex-bits"), keep = sel.value;
    sel.replaceChildren(...FORMATS[$("ex-format").value].map((b) => new Option(String(b), String(b))));
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  };
  $("ex-format").value = "tiff";
  bits();
  $("ex-bits").value = "16";
  $("ex-format").addEventListener("change", bits);
  $("ex-go").addEventListener("click", async () => {
    const body = { format: $("ex-format").value, bits: Number($("ex-bits").value), profile: $("ex-profile").value };
    if ($("ex-name").value.trim()) body.name = $("ex-name").value.trim();
    $("ex-go").disabled = true;
    $("ex-result").textContent = "";
    $("ex-result").className = "";
    try {
      await sendJSON("POST", ed.store.path("export"), body);
      await follow($, ed);
    } catch (e) {
      $("ex-result").textContent = e.message;
      $("ex-result").className = "problem";
    } finally {
      $("ex-go").disabled = false;
      $("ex-progress").hidden = true;
    }
  });
}

async function follow($, ed) {
  const bar = $("ex-progress");
  bar.hidden = false;
  for (;;) {
    const p = (await getJSON(ed.store.path("progress"))).export ?? {};
    bar.value = p.fraction ?? 0;
    if (p.state === "done") {
      $("ex-result").textContent = `written: ${p.output}`;
      return;
    }
    if (p.state === "failed") throw new Error(p.error ?? "export failed");
    if (p.state === "idle") return;
    await new Promise((r) => setTimeout(r, 250));
  }
}
