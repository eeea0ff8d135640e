// Updates a container's DOM to match an HTML/SVG string by changing only what differs, instead of replacing
// it all (`innerHTML`): the topology is redrawn several times a second while playing, and a replaced card
// loses its keyboard focus (a screen reader announces it again) and costs a full style and layout pass.
// Elements are matched by position, and by their `data-proc-id` / `data-host` / `id` where they have one, so
// a process's card is only ever updated into that same process's card.

const identity = (el) => el.getAttribute('data-proc-id') ?? el.getAttribute('data-host') ?? el.id ?? '';

/** Make `container`'s children those `html` describes. */
export function morph(container, html) {
  lastParts.delete(container);
  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  patchChildren(container, tpl.content);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
// The parts each container was last morphed to by `morphParts`, when its DOM is known to match them.
const lastParts = new WeakMap();

/**
 * `morph` for an `<svg>` given in parts: the opening tag, then one part per top-level element, then `</svg>`.
 * A part equal to the one drawn last time is neither parsed nor walked: while playing, most of the topology
 * (host boxes, cards whose figures did not move) is unchanged from one redraw to the next, and parsing and
 * walking all of it cost a frame of its own. Anything else (a new opening tag, another number of parts, a
 * part that is not exactly one element) morphs the whole.
 *
 * At most `limit` changed parts are patched (the first ones): the DOM then matches the parts only in part, and
 * the call returns false; calling again (with these parts or newer ones) patches the next. While playing, a
 * redraw that changes every card's figures is so spread over a few frames instead of overrunning one.
 */
export function morphParts(container, parts, limit = Infinity) {
  parts = parts.filter((p) => p !== '');
  const prev = lastParts.get(container);
  const svg = container.firstElementChild;
  const n = parts.length - 2;
  const fast = prev && svg && svg.namespaceURI === SVG_NS && container.childNodes.length === 1 && prev.length === parts.length &&
    prev[0] === parts[0] && svg.childNodes.length === n;
  if (!fast) {
    whole(container, parts);
    return true;
  }
  const changed = [];
  for (let i = 1; i <= n; i++) if (parts[i] !== prev[i]) changed.push(i);
  const now = changed.slice(0, limit);
  if (now.length) {
    // The changed parts parsed together (one parse), inside their <svg> so that their elements are SVG ones.
    const tpl = document.createElement('template');
    tpl.innerHTML = `${parts[0]}${now.map((i) => parts[i]).join('')}</svg>`;
    const fresh = tpl.content.firstChild;
    if (!fresh || fresh.childNodes.length !== now.length) {
      whole(container, parts);
      return true;
    }
    const kids = svg.childNodes;
    const next = [...fresh.childNodes];
    // Old nodes first: a replaced node must not shift the indices of those still to patch.
    const olds = now.map((i) => kids[i - 1]);
    now.forEach((_, k) => patchNode(svg, olds[k], next[k]));
  }
  // What the DOM now shows: the new parts where patched, the previous ones where not yet.
  const shown = now.length === changed.length ? parts : prev.slice();
  if (shown !== parts) for (const i of now) shown[i] = parts[i];
  lastParts.set(container, shown);
  return now.length === changed.length;
}

function whole(container, parts) {
  morph(container, parts.join(''));
  const svg = container.firstElementChild;
  const matches = svg && container.childNodes.length === 1 && svg.childNodes.length === parts.length - 2;
  if (matches) lastParts.set(container, parts);
  else lastParts.delete(container);
}

function patchChildren(parent, next) {
  const before = [...parent.childNodes];
  const after = [...next.childNodes];
  for (let i = 0; i < after.length; i++) {
    if (before[i]) patchNode(parent, before[i], after[i]);
    else parent.appendChild(after[i]);
  }
  for (let i = before.length - 1; i >= after.length; i--) before[i].remove();
}

/** Make node `a` (a child of `parent`) what `b` is: changed in place when it is the same element, else replaced. */
function patchNode(parent, a, b) {
  if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName || (a.nodeType === 1 && identity(a) !== identity(b))) {
    parent.replaceChild(b, a);
  } else if (a.nodeType !== 1) {
    if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue;
  } else {
    patchAttributes(a, b);
    patchChildren(a, b);
  }
}

function patchAttributes(a, b) {
  for (const { name, value } of b.attributes) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
  for (const { name } of [...a.attributes]) if (!b.hasAttribute(name)) a.removeAttribute(name);
}
