// Lightroom's keys where Lightroom has them (README lists them all):
//   \  before / after       Y  split before / after     Z  loupe (100 %)
//   J  clipping on the histogram's triangles and the photo
//   O  the selected correction's mask overlay     Shift+O  its colour
//   Ctrl/Cmd+Z  undo     Shift+Ctrl/Cmd+Z  redo     Ctrl/Cmd+Left/Right  photos
import { isTyping } from "./view.js";
import { COLOURS as NAMED } from "./panels/masking.js";

const COLOURS = Object.values(NAMED);

export function shortcuts(ed) {
  addEventListener("keydown", (ev) => {
    if (isTyping(ev)) return;
    const mod = ev.ctrlKey || ev.metaKey;
    const k = ev.key;
    if (mod && (k === "z" || k === "Z")) {
      ev.preventDefault();
      ed.edit(ev.shiftKey ? { redo: 1 } : { undo: 1 });
    } else if (mod && (k === "ArrowLeft" || k === "ArrowRight")) {
      ev.preventDefault();
      ed.step?.(k === "ArrowLeft" ? -1 : 1);
    } else if (mod || ev.altKey) {
      return;
    } else if (k === "\\") {
      setCompare(ed, ed.preview.mode === "before" ? "after" : "before");
    } else if (k === "y" || k === "Y") {
      setCompare(ed, ed.preview.mode === "split" ? "after" : "split");
    } else if (k === "z" || k === "Z") {
      ed.view.toggleLoupe();
    } else if (k === "j" || k === "J") {
      ed.preview.clipping = !ed.preview.clipping;
      ed.preview.paint();
    } else if (k === "O" && ev.shiftKey) {
      const o = ed.preview.overlay;
      const i = COLOURS.findIndex((c) => c.join() === o.color.join());
      o.color = COLOURS[(i + 1) % COLOURS.length];
      if (ed.preview.layer?.kind === "mask") ed.preview.setLayer(ed.preview.layer);
      ed.render();
    } else if (k === "o") {
      const on = ed.preview.layer?.kind === "mask";
      ed.preview.setLayer(on ? null : { kind: "mask", correction: ed.sel.correction });
      ed.render();
    } else {
      return;
    }
    ev.preventDefault();
  });
}

function setCompare(ed, mode) {
  ed.preview.setMode(mode);
  document.getElementById("compare").value = mode;
}
