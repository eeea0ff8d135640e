// Paints an SVG string made by the page's own renderers (the timeline) on a 2D canvas, without a DOM: this
// runs in the painting worker (on an OffscreenCanvas), or on the page's thread where there is none.
//
// It knows the subset the renderers write: g (with clip-path, or moved by a translate transform), rect, line
// (with an arrowhead marker), path, circle and text; titles and defs are skipped. Colours, strokes and fonts
// come from the page's stylesheet, which only the page can read: each element's style is looked up by its
// class chain (its ancestors' and its own tag and classes, as in `>g.msgs>path.msg-agg ok`), and the chains
// not yet known are reported back for the page to resolve (paint.js); such an element is left out of that
// one frame.
//
// Rasterising is most of a frame's cost without a GPU, and most of that is the dense timeline's thousands of
// arrows, which the renderer writes in groups moved by a translate (see timeline.js's denseArrows): while
// playing, the same paths come back every frame, only moved. So the paths of such a group that the renderer
// marked as kept (in a `g.kept`: settled runs, the same text in the next frames) are rasterised once into a
// layer (a bitmap in the group's own coordinates, twice the canvas wide), which each frame then copies into
// place; the group's other paths are drawn directly, over it. The layer is redrawn when the window leaves it,
// or when a path it holds is gone while its place is in view (a seek, a zoom, a restyle); a layer that lasts
// only a few frames (a window sliding too fast) is given up for direct drawing for a while.

const TAG = /<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
const ATTR = /([\w:-]+)="([^"]*)"/g;
const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const ALIGN = { start: 'left', middle: 'center', end: 'right' };

function attrs(s) {
  const a = {};
  for (const m of s.matchAll(ATTR)) a[m[1]] = m[2];
  return a;
}

export class OpsPainter {
  /** `layers: false` draws every path directly (the reference the layers are tested against). */
  constructor({ layers = true } = {}) {
    this.styles = new Map(); // class chain -> resolved style (see paint.js)
    this.paths = new Map(); // path data -> Path2D, kept for the next frame (most arrows stay)
    this.frameNo = 0;
    this.useLayers = layers && typeof OffscreenCanvas === 'function';
    this.layers = new Map(); // translated group's class chain -> {layer (see `Layer`), skipUntil}
    // The text inside a kept group -> {at: its class chain, paths: [{key, p}], used}: a kept run's text comes
    // back every frame, and is read once.
    this.keptTexts = new Map();
    // Layers made, copies of a layer, kept paths drawn directly (for the tests and the benchmark).
    this.stats = { layers: 0, copies: 0, direct: 0 };
  }

  /**
   * Draw `frame` = {svg, width, height, dpr, clipY?: [y0, y1], styles?: {chain: style}} on `canvas`.
   * Returns the class chains whose style is not known yet.
   */
  draw(canvas, frame) {
    if (frame.styles) for (const [k, v] of Object.entries(frame.styles)) this.styles.set(k, v);
    const W = Math.round(frame.width * frame.dpr);
    const H = Math.round(frame.height * frame.dpr);
    if (canvas.width !== W || canvas.height !== H) {
      canvas.width = W;
      canvas.height = H;
    }
    const ctx = canvas.getContext('2d');
    this.frameNo++;
    ctx.setTransform(frame.dpr, 0, 0, frame.dpr, 0, 0);
    ctx.clearRect(0, 0, frame.width, frame.height);
    const missing = new Set();
    if (frame.clipY) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, frame.clipY[0], frame.width, frame.clipY[1] - frame.clipY[0]);
      ctx.clip();
    }
    this.svg(ctx, frame, missing);
    if (frame.clipY) ctx.restore();
    for (const [d, p] of this.paths) {
      if (p.used) p.used = false;
      else this.paths.delete(d);
    }
    for (const [t, k] of this.keptTexts) {
      if (k.used) k.used = false;
      else this.keptTexts.delete(t);
    }
    return [...missing];
  }

  svg(ctx, frame, missing) {
    const svg = frame.svg;
    const style = (key) => {
      const s = this.styles.get(key);
      if (!s) missing.add(key);
      return s;
    };
    const markers = new Map(); // marker id -> class of its head path
    const clips = new Map(); // clipPath id -> rect
    const stack = []; // open elements: {key, skip, clipped}
    let text = null; // the <text> being read: {a, key, content}
    let defs = null; // inside <defs>: {marker, clip}
    TAG.lastIndex = 0;
    for (let m; (m = TAG.exec(svg));) {
      if (m[5] !== undefined) {
        if (text) text.content += m[5];
        continue;
      }
      const closing = m[1] === '/';
      const tag = m[2];
      const selfClosing = m[4] === '/';
      if (closing) {
        if (tag === 'text' && text) {
          const s = style(text.key);
          if (s && !s.hidden) {
            const str = text.content.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);
            drawText(ctx, s, +text.a.x || 0, +text.a.y || 0, ALIGN[text.a['text-anchor'] || s.anchor] || 'left', str);
          }
          text = null;
        }
        const top = stack.pop();
        if (top && top.layered && top.owner) this.finishLayered(ctx, top.layered, frame);
        if (top && top.moved) ctx.restore();
        if (top && top.clipped) ctx.restore();
        if (tag === 'defs') defs = null;
        continue;
      }
      const a = attrs(m[3]);
      const parent = stack[stack.length - 1];
      if (defs) {
        if (tag === 'marker') defs.marker = a.id;
        if (tag === 'clipPath') defs.clip = a.id;
        if (tag === 'path' && defs.marker) markers.set(defs.marker, a.class ?? '');
        if (tag === 'rect' && defs.clip) clips.set(defs.clip, a);
        if (!selfClosing) stack.push({ skip: true });
        continue;
      }
      if (tag === 'defs') {
        defs = {};
        stack.push({ skip: true });
        continue;
      }
      const skip = (parent && parent.skip) || tag === 'title';
      const key = tag === 'svg' ? '' : `${parent ? parent.key : ''}>${tag}.${a.class ?? ''}`;
      if (tag === 'svg' || tag === 'g') {
        let clipped = false;
        // The x range that shows (the renderers clip outside any translate): where a layer's pixels count.
        let clipX = parent?.clipX ?? [0, frame.width];
        const clip = a['clip-path'] && /url\(#([^)]+)\)/.exec(a['clip-path']);
        if (clip && clips.has(clip[1]) && !skip) {
          const r = clips.get(clip[1]);
          clipX = [Math.max(clipX[0], +r.x), Math.min(clipX[1], +r.x + +r.width)];
          ctx.save();
          ctx.beginPath();
          ctx.rect(+r.x, +r.y, +r.width, +r.height);
          ctx.clip();
          clipped = true;
        }
        const hidden = !skip && tag === 'g' && style(key)?.hidden;
        // A group moved by `translate(x,y)` (the timeline's dense arrows): its children drawn moved.
        const move = a.transform && /^translate\(([-\d.e]+)[\s,]+([-\d.e]+)\)$/.exec(a.transform);
        if (move && !skip && !selfClosing) {
          ctx.save();
          ctx.translate(+move[1], +move[2]);
        }
        const moved = !!move && !skip;
        // Its kept paths go to its layer, copied at its end, and the others are drawn then, over it.
        let layered = moved && !selfClosing && !hidden && this.useLayers
          ? { key, tx: +move[1], ty: +move[2], view: [clipX[0] - move[1], clipX[1] - move[1]], settled: [], fresh: [] }
          : null;
        if (!layered && parent && parent.layered && !moved) layered = parent.layered;
        const kept = !!layered && layered === parent?.layered && /(^|\s)kept(\s|$)/.test(a.class ?? '');
        let record = null; // a kept group read for the first time: its paths, as read
        if (kept && !selfClosing && !skip && !hidden) {
          // (A kept group holds only paths: its end is the next `</g>`.)
          const end = svg.indexOf('</g>', TAG.lastIndex);
          const inner = svg.slice(TAG.lastIndex, end);
          const known = this.keptTexts.get(inner);
          if (end >= 0 && known && known.at === key) {
            known.used = true;
            for (const { key: k, p } of known.paths) {
              p.used = true;
              const st = style(k);
              if (st && !st.hidden) layered.settled.push({ p, s: st });
            }
            TAG.lastIndex = end; // on at its `</g>`
          } else if (end >= 0) {
            record = [];
            this.keptTexts.set(inner, { at: key, paths: record, used: true });
          }
        }
        if (!selfClosing) stack.push({ key, skip: skip || hidden, clipped, clipX, moved, layered, kept, record, owner: !!move });
        else if (clipped) ctx.restore();
        continue;
      }
      if (tag === 'text') {
        if (!skip) text = { a, key, content: '' };
        if (!selfClosing) stack.push({ key, skip });
        continue;
      }
      if (!selfClosing) stack.push({ key, skip: true });
      if (skip) continue;
      if (tag === 'path' && parent.record) parent.record.push({ key, p: this.pathOf(a.d || '') });
      const s = tag === 'rect' || tag === 'line' || tag === 'path' || tag === 'circle' ? style(key) : null;
      if (!s || s.hidden) continue;
      if (tag === 'rect') {
        const x = +a.x || 0;
        const y = +a.y || 0;
        const w = +a.width || 0;
        const h = +a.height || 0;
        const rx = +a.rx || 0;
        const p = new Path2D();
        if (rx > 0 && p.roundRect) p.roundRect(x, y, w, h, Math.min(rx, w / 2, h / 2));
        else p.rect(x, y, w, h);
        const rot = a.transform && /rotate\(([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\)/.exec(a.transform);
        if (rot) {
          ctx.save();
          ctx.translate(+rot[2], +rot[3]);
          ctx.rotate((+rot[1] * Math.PI) / 180);
          ctx.translate(-rot[2], -rot[3]);
          fillStroke(ctx, p, s);
          ctx.restore();
        } else fillStroke(ctx, p, s);
      } else if (tag === 'line') {
        const p = new Path2D();
        p.moveTo(+a.x1, +a.y1);
        p.lineTo(+a.x2, +a.y2);
        fillStroke(ctx, p, s);
        const marker = a['marker-end'] && /url\(#([^)]+)\)/.exec(a['marker-end']);
        const head = marker && markers.has(marker[1]) ? style(`>path.${markers.get(marker[1])}`) : null;
        if (head) arrowhead(ctx, +a.x1, +a.y1, +a.x2, +a.y2, s, head);
      } else if (tag === 'circle') {
        const p = new Path2D();
        p.arc(+a.cx, +a.cy, +a.r, 0, Math.PI * 2);
        fillStroke(ctx, p, s);
      } else {
        const p = this.pathOf(a.d || '');
        const layered = parent && parent.layered;
        if (layered) (parent.kept ? layered.settled : layered.fresh).push({ p, s });
        else fillStroke(ctx, p, s);
      }
    }
  }

  /** The Path2D of path data `d`, kept while each frame uses it. */
  pathOf(d) {
    let p = this.paths.get(d);
    if (!p) {
      p = new Path2D(d);
      p.d = d;
      this.paths.set(d, p);
    }
    p.used = true;
    return p;
  }

  /**
   * The end of a translated group (`g` = {key, tx, ty, view, settled, fresh}, ctx still moved by it): its kept
   * paths (`settled`) copied from its layer, brought up to date, then the others (`fresh`) drawn over them.
   */
  finishLayered(ctx, g, frame) {
    let slot = this.layers.get(g.key);
    if (!slot) this.layers.set(g.key, (slot = { layer: null, skipUntil: 0 }));
    const { view } = g; // the group's x that shows
    if (g.settled.length && !(slot.layer && slot.layer.serves(g, frame, view))) {
      // A layer that lasted only a few frames (the window slides too fast) cost more than it saved: draw
      // directly for a while, then try again.
      if (slot.layer && this.frameNo - slot.layer.made < 6) slot.skipUntil = this.frameNo + 30;
      slot.layer = this.frameNo < slot.skipUntil ? null : new Layer(g, frame, view, this.frameNo, slot.layer);
      if (slot.layer) this.stats.layers++;
    }
    const layer = slot.layer;
    if (layer && g.settled.length) {
      for (const { p, s } of g.settled) layer.add(p, s);
      // Copied at whole device pixels: a copy between pixels would blur it.
      const m = ctx.getTransform();
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, Math.round(m.e + m.a * layer.x0), Math.round(m.f));
      ctx.drawImage(layer.canvas, 0, 0);
      ctx.restore();
      this.stats.copies++;
    } else {
      for (const { p, s } of g.settled) fillStroke(ctx, p, s);
      this.stats.direct += g.settled.length;
    }
    for (const { p, s } of g.fresh) fillStroke(ctx, p, s);
  }
}

/**
 * The settled paths of one translated group rasterised in the group's coordinates, over x in [x0, x0 + width]
 * (from the window's left edge, twice its width: the window slides right while playing), the full height.
 */
class Layer {
  constructor(g, frame, view, frameNo, old) {
    this.made = frameNo;
    this.dpr = frame.dpr;
    this.height = frame.height;
    this.ty = g.ty;
    this.x0 = Math.floor(view[0]);
    this.width = Math.ceil(2 * frame.width);
    const W = Math.ceil(this.width * this.dpr);
    const H = Math.ceil(this.height * this.dpr);
    // The old layer's bitmap, cleared, when it has the size: not a new one of megabytes at every redraw.
    this.canvas = old && old.canvas.width === W && old.canvas.height === H ? old.canvas : new OffscreenCanvas(W, H);
    this.ctx = this.canvas.getContext('2d');
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, W, H);
    this.ctx.setTransform(this.dpr, 0, 0, this.dpr, -this.x0 * this.dpr, 0);
    this.held = new Map(); // Path2D -> its style when drawn: what the layer's pixels are made of
  }

  /** Whether the layer, with the paths it lacks added, can show the group's settled paths in `view`. */
  serves(g, frame, view) {
    if (frame.dpr !== this.dpr || frame.height !== this.height || g.ty !== this.ty) return false;
    if (view[0] < this.x0 || view[1] > this.x0 + this.width) return false;
    const now = new Map(g.settled.map(({ p, s }) => [p, s]));
    for (const [p, s] of this.held) {
      const kept = now.get(p);
      if (kept === s) continue;
      // Gone (or restyled) yet drawn in the layer: a problem only where it would show.
      const [a, b] = p.xRange || (p.xRange = xRange(p.d));
      if (kept !== undefined || (b >= view[0] && a <= view[1])) return false;
    }
    return true;
  }

  add(p, s) {
    if (this.held.has(p)) return;
    this.held.set(p, s);
    fillStroke(this.ctx, p, s);
  }
}

const PATH_TOKEN = /([MmLlHhVvAaZz])|(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)/g;
const ARITY = { M: 2, L: 2, H: 1, V: 1, A: 7, Z: 0 };

/** The x range a path's data covers, give or take a stroke: [-Infinity, Infinity] when it cannot tell. */
function xRange(d) {
  let lo = Infinity;
  let hi = -Infinity;
  let x = 0;
  let cmd = null;
  let args = [];
  const take = (v) => {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  };
  for (const m of d.matchAll(PATH_TOKEN)) {
    if (m[1]) {
      cmd = m[1];
      args = [];
      continue;
    }
    if (!cmd) return [-Infinity, Infinity];
    args.push(+m[2]);
    const upper = cmd.toUpperCase();
    if (args.length < ARITY[upper]) continue;
    const rel = cmd !== upper;
    if (upper === 'M' || upper === 'L') x = rel ? x + args[0] : args[0];
    else if (upper === 'H') x = rel ? x + args[0] : args[0];
    else if (upper === 'A') {
      take(x - args[0]);
      take(x + args[0]);
      x = rel ? x + args[5] : args[5];
    }
    if (upper !== 'V') take(x);
    args = [];
  }
  const pad = 3; // a stroke's reach past its points
  return lo <= hi ? [lo - pad, hi + pad] : [0, 0];
}

function fillStroke(ctx, p, s) {
  if (s.fill) {
    ctx.globalAlpha = s.opacity * s.fillOpacity;
    ctx.fillStyle = s.fill;
    ctx.fill(p);
  }
  if (s.stroke && s.strokeWidth > 0) {
    ctx.globalAlpha = s.opacity * s.strokeOpacity;
    ctx.strokeStyle = s.stroke;
    ctx.lineWidth = s.strokeWidth;
    ctx.lineJoin = s.lineJoin;
    ctx.lineCap = s.lineCap;
    ctx.setLineDash(s.dash || []);
    ctx.stroke(p);
    if (s.dash) ctx.setLineDash([]);
  }
  ctx.globalAlpha = 1;
}

/** An SVG arrowhead marker: a 10-unit triangle at 6/10 of the stroke width per unit, tip past the end. */
function arrowhead(ctx, x1, y1, x2, y2, s, head) {
  const len = Math.hypot(x2 - x1, y2 - y1) || 1;
  const ux = (x2 - x1) / len;
  const uy = (y2 - y1) / len;
  const unit = 0.6 * s.strokeWidth;
  const tx = x2 + ux * unit;
  const ty = y2 + uy * unit;
  const bx = tx - ux * 10 * unit;
  const by = ty - uy * 10 * unit;
  const w = 5 * unit;
  ctx.beginPath();
  ctx.moveTo(tx, ty);
  ctx.lineTo(bx - uy * w, by + ux * w);
  ctx.lineTo(bx + uy * w, by - ux * w);
  ctx.closePath();
  ctx.globalAlpha = head.opacity * head.fillOpacity;
  ctx.fillStyle = head.fill || s.stroke || '#000';
  ctx.fill();
  ctx.globalAlpha = 1;
}

function drawText(ctx, s, x, y, align, str) {
  ctx.font = s.font;
  ctx.textAlign = align;
  ctx.textBaseline = 'alphabetic';
  const fill = () => {
    if (!s.fill) return;
    ctx.globalAlpha = s.opacity * s.fillOpacity;
    ctx.fillStyle = s.fill;
    ctx.fillText(str, x, y);
  };
  const stroke = () => {
    if (!s.stroke || s.strokeWidth <= 0) return;
    ctx.globalAlpha = s.opacity * s.strokeOpacity;
    ctx.strokeStyle = s.stroke;
    ctx.lineWidth = s.strokeWidth;
    ctx.lineJoin = s.lineJoin;
    ctx.strokeText(str, x, y);
  };
  if (s.strokeFirst) {
    stroke();
    fill();
  } else {
    fill();
    stroke();
  }
  if (s.strike && s.fill) {
    const w = ctx.measureText(str).width;
    const x0 = align === 'center' ? x - w / 2 : align === 'right' ? x - w : x;
    ctx.fillRect(x0, y - 4, w, 1);
  }
  ctx.globalAlpha = 1;
}
