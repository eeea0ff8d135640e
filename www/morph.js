// Updates a container's DOM to match an HTML/SVG string by changing only what differs, instead of replacing
// it all (`innerHTML`): the topology is redrawn several times a second while playing, and a replaced card
// loses its keyboard focus (a screen reader announces it again) and costs a full style and layout pass.
// Elements are matched by position, and by their `data-proc-id` / `data-host` / `id` where they have one, so
// a process's card is only ever updated into that same process's card.

const identity = (el) => el.getAttribute('data-proc-id') ?? el.getAttribute('data-host') ?? el.id ?? '';

/** Make `container`'s children those `html` describes. */
export function morph(container, html) {
  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  patchChildren(container, tpl.content);
}

function patchChildren(parent, next) {
  const before = [...parent.childNodes];
  const after = [...next.childNodes];
  for (let i = 0; i < after.length; i++) {
    const a = before[i];
    const b = after[i];
    if (!a) {
      parent.appendChild(b);
    } else if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName || (a.nodeType === 1 && identity(a) !== identity(b))) {
      parent.replaceChild(b, a);
    } else if (a.nodeType !== 1) {
      if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue;
    } else {
      patchAttributes(a, b);
      patchChildren(a, b);
    }
  }
  for (let i = before.length - 1; i >= after.length; i--) before[i].remove();
}

function patchAttributes(a, b) {
  for (const { name, value } of b.attributes) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
  for (const { name } of [...a.attributes]) if (!b.hasAttribute(name)) a.removeAttribute(name);
}
