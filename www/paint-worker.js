// The timeline's painting worker. It keeps a copy of the page's timeline index (the page sends the records
// as they come, and where a seek cut them back), renders the timeline's SVG from it for each frame the page
// asks for, and draws that on the OffscreenCanvas it was given, with the styles the page has resolved: so
// that building the SVG, reading it and rasterising it (the costly parts without a GPU) run beside the
// page's thread. Each frame is answered with the class chains whose style it still lacks; the page sends no
// new frame before that answer, so frames never queue up.
import { OpsPainter } from './paint-ops.js';
import { TimelineIndex, renderTimeline } from './timeline.js';

const painter = new OpsPainter();
let canvas = null;
let index = new TimelineIndex();
let checks = null;
let last = ''; // the SVG of the last frame, for the page to check against its own (`lastPainted`)

self.onmessage = (e) => {
  const m = e.data;
  if (m.canvas) canvas = m.canvas;
  if (m.sync) {
    try {
      const s = m.sync;
      if (s.reset) index = new TimelineIndex();
      if (s.cut != null) index.truncate(s.cut);
      if (s.records) index.add(s.records);
      if (s.text) index.add(JSON.parse(s.text));
      if ('checks' in s) checks = s.checks;
    } catch (err) {
      // Not an answer to a frame: the page must not take it for one.
      self.postMessage({ error: String(err && err.message ? err.message : err), sync: true });
    }
  }
  if (m.probe) self.postMessage({ probe: { svg: last, counts: index.counts(), stats: painter.stats } });
  if (!m.frame || !canvas) return;
  try {
    const f = m.frame;
    if (f.svg == null) f.svg = renderTimeline(index, f.lanes, { ...f.view, checks });
    last = f.svg;
    self.postMessage({ missing: painter.draw(canvas, f) });
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
