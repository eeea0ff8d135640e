// The timeline's painting worker: draws the frames the page sends (an SVG string and the styles it has
// resolved) on the OffscreenCanvas it was given, so that reading the SVG and rasterising it (the costly
// part without a GPU) run beside the page's thread. Each frame is answered with the class chains whose
// style it still lacks; the page sends no new frame before that answer, so frames never queue up.
import { OpsPainter } from './paint-ops.js';

const painter = new OpsPainter();
let canvas = null;

self.onmessage = (e) => {
  const m = e.data;
  if (m.canvas) canvas = m.canvas;
  if (!m.frame || !canvas) return;
  try {
    self.postMessage({ missing: painter.draw(canvas, m.frame) });
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
