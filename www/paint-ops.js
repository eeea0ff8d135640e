// Paints an SVG string made by the page's own renderers (the timeline) on a 2D canvas, without a DOM: this
// runs in the painting worker (on an OffscreenCanvas), or on the page's thread where there is none.
//
// It knows the subset the renderers write: g (with clip-path, or moved by a translate transform), rect, line
// (with an arrowhead marker), path, circle and text; titles and defs are skipped. Colours, strokes and fonts
// come from the page's stylesheet, which only the page can read: each element's style is looked up by its
// class chain (its ancestors' and its own tag and classes, as in `>g.msgs>path.msg-agg ok`), and the chains
// not yet known are reported back for the page to resolve (paint.js); such an element is left out of that
// one frame.

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
  constructor() {
    this.styles = new Map(); // class chain -> resolved style (see paint.js)
    this.paths = new Map(); // path data -> Path2D, kept for the next frame (most arrows stay)
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
    ctx.setTransform(frame.dpr, 0, 0, frame.dpr, 0, 0);
    ctx.clearRect(0, 0, frame.width, frame.height);
    const missing = new Set();
    if (frame.clipY) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, frame.clipY[0], frame.width, frame.clipY[1] - frame.clipY[0]);
      ctx.clip();
    }
    this.svg(ctx, frame.svg, missing);
    if (frame.clipY) ctx.restore();
    for (const [d, p] of this.paths) {
      if (p.used) p.used = false;
      else this.paths.delete(d);
    }
    return [...missing];
  }

  svg(ctx, svg, missing) {
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
        const clip = a['clip-path'] && /url\(#([^)]+)\)/.exec(a['clip-path']);
        if (clip && clips.has(clip[1]) && !skip) {
          const r = clips.get(clip[1]);
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
        if (!selfClosing) stack.push({ key, skip: skip || hidden, clipped, moved });
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
        const d = a.d || '';
        let p = this.paths.get(d);
        if (!p) {
          p = new Path2D(d);
          this.paths.set(d, p);
        }
        p.used = true;
        fillStroke(ctx, p, s);
      }
    }
  }
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
