// The timeline while the simulation plays: its SVG painted on a canvas. The timeline changes every frame,
// and handing the browser a fresh SVG document 60 times a second costs far more (parsing, style, layout and
// paint of thousands of elements) than drawing the same shapes on a canvas. The SVG stays the one
// description of the drawing: paint-ops.js reads and draws it. Where the browser has an OffscreenCanvas, a
// worker does all of it beside the page's thread: it keeps its own copy of the timeline index (sent the
// records as they come, and where a seek cut them back), renders the SVG from it and paints it; else this
// side renders and paints. This side owns the canvas and answers the one question only the page can: the
// computed style of a class chain, read from probe elements under the same container as the SVG would be.

import { OpsPainter } from './paint-ops.js';
import { renderTimeline, laneGeometry } from './timeline.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A painter for one container: `paintTimeline(...)` shows the timeline, painted, in the container. */
export class CanvasPainter {
  constructor(container) {
    this.container = container;
    this.canvas = null;
    this.probe = null; // a hidden <svg> whose elements tell the stylesheet's computed styles
    this.theme = '';
    this.known = new Set(); // class chains whose style the drawing side has
    this.fresh = {}; // styles resolved since the last frame sent
    this.worker = null; // the painting worker, or null to draw here
    this.local = null; // the drawing side when there is no worker
    this.busy = false; // a frame is with the worker: frames never queue up
    this.pending = null; // the newest frame made while it was
    this.mirrorOf = null; // the index the worker has a copy of (see `sync`)
    this.mirrorLen = 0; // how many of its records the copy has
    this.mirrorChecks = null;
    this.probes = []; // callers of `lastPainted` waiting for the worker's answer
    this.last = null; // the last frame's lanes and view
    this.painted = 0; // frames drawn so far (the page's benchmark counts the timeline's frame rate with it)
    // Followed with a listener: reading scrollTop while painting could force a layout mid-frame.
    this.scrollTop = container.scrollTop;
    container.addEventListener('scroll', () => {
      this.scrollTop = container.scrollTop;
    }, { passive: true });
  }

  /** Whether the container currently shows this painter's canvas (else something replaced it). */
  get showing() {
    return this.canvas != null && this.canvas.parentNode === this.container;
  }

  /**
   * Show `renderTimeline(index, lanes, view)`, painted, in the container (of `width` × `height` px): the
   * worker renders it from its copy of the index, or this side does when there is no worker. `batch`, if
   * given, is the JSON text of the index's records `from` … `to` (see `sync`).
   */
  paintTimeline(index, lanes, view, width, height, batch = null) {
    this.ensureCanvas();
    // The styles hold while the classes that scope them and the colour scheme do.
    const dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
    const theme = `${dark}|${document.documentElement.className}|${document.body.className}`;
    if (theme !== this.theme) {
      this.theme = theme;
      this.known.clear();
      this.fresh = {};
      if (this.local) this.local.styles.clear();
      else this.startWorker(); // a fresh worker knows no styles
    }
    const h = laneGeometry(lanes.length, height).height; // the SVG's own height (a tall timeline scrolls)
    if (this.canvas.style.width !== `${width}px` || this.canvas.style.height !== `${h}px`) {
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${h}px`;
    }
    // Only the rows scrolled into view are painted (a tall timeline scrolls): rasterising the rest would be
    // most of the work, for nothing. A scroll while playing repaints at the next frame.
    const clipY = h > height + 1 ? [this.scrollTop - 20, this.scrollTop + height + 20] : null;
    const frame = { width, height: h, dpr: window.devicePixelRatio || 1, clipY };
    this.last = { lanes, view };
    if (this.worker) {
      this.sync(index, view.checks, batch);
      const { checks, ...rest } = view;
      this.send({ ...frame, lanes, view: rest });
    } else {
      this.send({ ...frame, svg: renderTimeline(index, lanes, view) });
    }
  }

  /**
   * The SVG the worker built for the last frame with its copy of the index, that copy's `counts()`, and the
   * frame's lanes and view (null without a worker): for checking that the copy is the page's index.
   */
  async lastPainted() {
    if (!this.worker || !this.last) return null;
    while (this.busy || this.pending) await new Promise((r) => setTimeout(r, 10));
    const probe = await new Promise((resolve) => {
      this.probes.push(resolve);
      this.worker.postMessage({ probe: true });
    });
    return { ...probe, ...this.last };
  }

  // Bring the worker's copy of the index up to `index`: what a seek cut back is cut there too, the records
  // since are sent (as the JSON text they came in when `batch` is exactly them: copying a string to the
  // worker is far cheaper than copying objects). Sent at once, frames or not: the worker takes messages in
  // order, so the frame it draws next sees them all. The checks (lost writes, windows without a master) go
  // only when they change.
  sync(index, checks, batch) {
    const m = {};
    if (index !== this.mirrorOf) {
      index.takeCut();
      m.reset = true;
      this.mirrorOf = index;
      this.mirrorLen = 0;
    }
    const cut = index.takeCut();
    if (cut != null && cut < this.mirrorLen) {
      m.cut = cut;
      this.mirrorLen = cut;
    }
    if (index.length > this.mirrorLen) {
      if (batch && batch.from === this.mirrorLen && batch.to === index.length) m.text = batch.text;
      else m.records = index.recordsFrom(this.mirrorLen);
    }
    this.mirrorLen = index.length;
    if (checks !== this.mirrorChecks) {
      m.checks = checks ?? null;
      this.mirrorChecks = checks;
    }
    if (Object.keys(m).length) this.worker.postMessage({ sync: m });
  }

  send(frame) {
    if (this.worker && this.busy) {
      this.pending = frame;
      return;
    }
    frame.styles = this.fresh;
    this.fresh = {};
    if (this.worker) {
      this.busy = true;
      this.worker.postMessage({ frame });
      return;
    }
    const missing = this.local.draw(this.canvas, frame);
    this.painted++;
    if (missing.length) {
      // Here, what was missing can be drawn at once.
      this.resolve(missing);
      frame.styles = this.fresh;
      this.fresh = {};
      this.local.draw(this.canvas, frame);
    }
  }

  resolve(chains) {
    for (const key of chains) {
      if (this.known.has(key)) continue;
      this.known.add(key);
      this.fresh[key] = this.styleOf(key);
    }
  }

  ensureCanvas() {
    if (this.showing && this.probe && this.probe.parentNode === this.container) return;
    this.container.innerHTML = '';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'timeline-canvas';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Timeline (playing; pause to inspect it)');
    this.probe = document.createElementNS(SVG_NS, 'svg');
    this.probe.setAttribute('class', 'timeline-svg paint-probe');
    this.probe.setAttribute('aria-hidden', 'true');
    // Not visibility:hidden: the probes would inherit it. A box of no size shows nothing.
    this.probe.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;overflow:hidden;pointer-events:none';
    this.container.append(this.canvas, this.probe);
    // A worker already running is handed the new canvas: it keeps its copy of the index (and the styles).
    if (this.worker) this.handCanvas();
    else if (!this.local) this.startWorker();
  }

  // Give the canvas's drawing to the worker (a canvas does that once: a new worker needs a new canvas).
  handCanvas() {
    this.untransferred();
    const offscreen = this.canvas.transferControlToOffscreen();
    this.canvas.dataset.transferred = '1';
    this.worker.postMessage({ canvas: offscreen }, [offscreen]);
  }

  startWorker() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.local = null;
    this.busy = false;
    this.pending = null;
    this.mirrorOf = null; // a fresh worker has no copy of the index, nor checks
    this.mirrorChecks = null;
    this.known.clear();
    this.fresh = {};
    if (typeof this.canvas.transferControlToOffscreen === 'function' && typeof Worker === 'function') {
      try {
        const worker = new Worker(new URL('./paint-worker.js', import.meta.url), { type: 'module' });
        worker.onmessage = (e) => {
          if (e.data.error) console.warn(`timeline painter: ${e.data.error}`);
          if (e.data.probe != null) {
            this.probes.shift()?.(e.data.probe);
            return;
          }
          if (e.data.sync) return;
          if (!e.data.error) this.painted++;
          if (e.data.missing) this.resolve(e.data.missing);
          this.busy = false;
          const next = this.pending;
          this.pending = null;
          if (next) this.send(next);
        };
        worker.onerror = (e) => {
          // A worker that cannot start (a page opened from file://, say): draw here from now on.
          console.warn(`timeline painter worker failed (${e.message || 'no details'}); painting on the page`);
          e.preventDefault();
          this.useLocal();
        };
        this.worker = worker;
        this.handCanvas();
        return;
      } catch (e) {
        console.warn(`timeline painter: no worker (${e.message}); painting on the page`);
      }
    }
    this.useLocal();
  }

  useLocal() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.busy = false;
    this.pending = null;
    this.known.clear();
    this.fresh = {};
    this.local = new OpsPainter();
    this.untransferred();
  }

  // A canvas whose drawing went to a worker cannot be drawn here nor handed over again: replace it.
  untransferred() {
    if (!this.canvas.dataset.transferred) return;
    const fresh = this.canvas.cloneNode(false);
    delete fresh.dataset.transferred;
    this.canvas.replaceWith(fresh);
    this.canvas = fresh;
  }

  /** The computed style of the element at class chain `key` (`>tag.classes>tag.classes…`), from probes. */
  styleOf(key) {
    let el = this.probe;
    for (const part of key.split('>').slice(1)) {
      const dot = part.indexOf('.');
      const child = document.createElementNS(SVG_NS, part.slice(0, dot));
      const cls = part.slice(dot + 1);
      if (cls) child.setAttribute('class', cls);
      if (child.tagName === 'text') child.textContent = 'x';
      el.appendChild(child);
      el = child;
    }
    const cs = getComputedStyle(el);
    const num = (v) => parseFloat(v) || 0;
    const paintOf = (v) => (!v || v === 'none' || v.startsWith('url(') ? null : v);
    let opacity = 1;
    let hidden = cs.visibility === 'hidden';
    for (let e = el; e && e !== this.probe; e = e.parentNode) {
      const c = getComputedStyle(e);
      opacity *= num(c.opacity || '1');
      if (c.display === 'none') hidden = true;
    }
    const dash = cs.strokeDasharray && cs.strokeDasharray !== 'none' ? cs.strokeDasharray.split(/[\s,]+/).map(num) : null;
    const style = {
      hidden,
      fill: paintOf(cs.fill),
      fillOpacity: num(cs.fillOpacity || '1'),
      stroke: paintOf(cs.stroke),
      strokeOpacity: num(cs.strokeOpacity || '1'),
      strokeWidth: num(cs.strokeWidth || '1'),
      dash,
      lineJoin: cs.strokeLinejoin || 'miter',
      lineCap: cs.strokeLinecap || 'butt',
      opacity,
      font: `${cs.fontStyle === 'italic' ? 'italic ' : ''}${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`,
      anchor: cs.textAnchor || 'start',
      strokeFirst: (cs.paintOrder || '').startsWith('stroke'),
      strike: (cs.textDecorationLine || cs.textDecoration || '').includes('line-through'),
    };
    this.probe.replaceChildren();
    return style;
  }
}
