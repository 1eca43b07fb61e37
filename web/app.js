// The editor's first page (issue 14): the preview of the current recipe and
// the parameter list from /api/state. The full editor is issue 15's; this
// one only shows what the server gives. Every request carries the session's
// token, read from the page's own address.
const token = new URLSearchParams(location.search).get("token") ?? "";

function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}), "X-Depthmask-Token": token };
  return fetch(path, { ...init, headers });
}

const $ = (id) => document.getElementById(id);
let photo = null;        // the id shown
let previewAbort = null; // at most one preview in flight, the newest wins

function status(text, problem = false) {
  $("status").textContent = text;
  $("status").className = problem ? "problem" : "";
}

async function showPreview() {
  previewAbort?.abort();
  previewAbort = new AbortController();
  const view = $("view").getBoundingClientRect();
  const w = Math.max(16, Math.round(view.width * devicePixelRatio));
  const h = Math.max(16, Math.round(view.height * devicePixelRatio));
  let r;
  try {
    r = await api(`/api/photos/${photo}/preview?w=${w}&h=${h}`, { signal: previewAbort.signal });
  } catch (e) {
    if (e.name !== "AbortError") status(`preview: ${e.message}`, true);
    return;
  }
  if (!r.ok) {
    if (r.status !== 409) status(`preview: ${(await r.json()).error}`, true);
    return;
  }
  const img = $("preview");
  const old = img.src;
  img.src = URL.createObjectURL(await r.blob());
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  const scene = r.headers.get("X-Depthmask-Scene");
  if (scene === "pending") {
    status(`depth and matte are being built; not shown yet: ${r.headers.get("X-Depthmask-Skipped") ?? ""}`);
    setTimeout(showPreview, 1000);
  } else if (scene === "failed") {
    status("no depth (see the state); depth and Subject masks are not shown", true);
  } else {
    status("");
  }
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function range(p) {
  if (p.choices) return Array.isArray(p.choices) ? p.choices.join(" | ") : String(p.choices);
  if (p.min === undefined || p.min === null) return "";
  return `${p.min} … ${p.max}`;
}

async function showState() {
  const r = await api(`/api/photos/${photo}/state`);
  const st = await r.json();
  const table = $("params");
  table.replaceChildren();
  if (!r.ok) {
    cell(table.insertRow(), st.error, "problem");
    return;
  }
  const head = table.createTHead().insertRow();
  for (const t of ["parameter", "value", "default", "range"]) {
    const th = document.createElement("th");
    th.textContent = t;
    head.appendChild(th);
  }
  const recipe = st.recipe ?? {};
  const shown = new Set();
  for (const [key, value] of Object.entries(recipe)) {
    const row = table.insertRow();
    cell(row, key);
    cell(row, JSON.stringify(value));
    shown.add(key);
  }
  for (const p of st.params ?? []) {
    if (shown.has(p.key)) continue;
    const row = table.insertRow();
    cell(row, p.label ? `${p.key} (${p.label})` : p.key, "off");
    cell(row, "");
    cell(row, p.default === undefined ? "" : JSON.stringify(p.default));
    cell(row, range(p));
    if (p.doc) row.title = p.doc;
  }
}

async function open(id) {
  photo = id;
  await Promise.all([showPreview(), showState()]);
}

async function start() {
  const r = await api("/api/photos");
  if (!r.ok) {
    status(r.status === 403 ? "open the address depthmask edit printed (with its token)" : "no photos", true);
    return;
  }
  const { photos } = await r.json();
  const select = $("photo");
  for (const p of photos) {
    const o = new Option(p.problem ? `${p.name} (${p.problem})` : p.name, p.id);
    o.disabled = Boolean(p.problem);
    select.add(o);
  }
  select.addEventListener("change", () => open(select.value));
  const first = photos.find((p) => !p.problem) ?? photos[0];
  if (first) {
    select.value = first.id;
    await open(first.id);
  }
  let resize = 0;
  addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(showPreview, 200);
  });
}

start();
