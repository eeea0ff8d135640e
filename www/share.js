// Share and embed. A share link's fragment carries everything that makes the run: the scenario (a built-in's
// id, or the scenario file itself, compressed), the seed, the session's action log (compressed) and the
// virtual time. Opening it rebuilds the session with `Simulation.fromSession`, which replays the same
// events and the same actions at the same points: the same trace, byte for byte.
//
//   #v=1&s=sentinel&seed=7&t=12000&a=z…       a built-in scenario, with actions
//   #v=1&j=z…&n=my-scenario.json&seed=7&t=0   a scenario loaded from a file
//
// Packed values start with a letter saying how: `z` raw DEFLATE then base64url, `p` base64url only (for a
// browser without CompressionStream).
//
// Embed mode (`?embed=1&views=topology,timeline&autoplay=1&scenario=…&seed=…`, a fragment works too) shows
// only the chosen views with minimal chrome, for iframes in documentation.

export const FRAGMENT_VERSION = '1';
export const VIEWS = ['topology', 'timeline', 'inspector', 'checks', 'console', 'lesson', 'slots'];
export const DEFAULT_VIEWS = ['topology', 'timeline'];
const MAX_FRAGMENT_CHARS = 2_000_000; // far beyond any real session; a bound against pasted garbage

function toBase64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('it is not base64url text');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

async function through(stream, bytes) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** Pack text for a URL: compressed when the browser can. */
export async function pack(text) {
  const bytes = new TextEncoder().encode(text);
  if (typeof CompressionStream === 'undefined') return `p${toBase64url(bytes)}`;
  return `z${toBase64url(await through(new CompressionStream('deflate-raw'), bytes))}`;
}

/** The text packed by `pack`; throws an Error saying what is wrong. */
export async function unpack(packed) {
  const how = packed.slice(0, 1);
  const bytes = fromBase64url(packed.slice(1));
  if (how === 'p') return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (how !== 'z') throw new Error(`it starts with "${how}", not z or p`);
  if (typeof DecompressionStream === 'undefined') throw new Error('this browser cannot decompress it (no DecompressionStream)');
  let out;
  try {
    out = await through(new DecompressionStream('deflate-raw'), bytes);
  } catch {
    throw new Error('its compressed data is damaged');
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(out);
}

/**
 * The fragment (without '#') for a session. `source` is {kind:'builtin', id} or {kind:'file', name};
 * `json` the scenario text; `actions` the log from `Simulation.actions()`.
 */
export async function encodeFragment({ source, json, seed, actions, now }) {
  const p = new URLSearchParams();
  p.set('v', FRAGMENT_VERSION);
  if (source.kind === 'builtin') p.set('s', source.id);
  else {
    p.set('j', await pack(json));
    if (source.name) p.set('n', source.name);
  }
  p.set('seed', String(seed));
  p.set('t', String(Math.floor(now)));
  if (actions.length) p.set('a', await pack(JSON.stringify(actions)));
  return p.toString();
}

class FragmentError extends Error {}

function wholeNumber(p, key, what) {
  const raw = p.get(key);
  if (raw == null || raw === '') throw new FragmentError(`It has no ${what} ("${key}=").`);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new FragmentError(`Its ${what} "${raw}" is not a whole number.`);
  return n;
}

/**
 * Read a share fragment. `builtins` is the built-in scenarios (the page's `pkg/scenarios.json`). Returns
 * {source, json, seed, session} where `session` is the JSON `Simulation.fromSession` takes; throws an Error
 * whose message a learner can read.
 */
export async function decodeFragment(hash, builtins) {
  const text = hash.replace(/^#/, '');
  try {
    if (text.length > MAX_FRAGMENT_CHARS) throw new FragmentError(`It is ${text.length} characters long, more than a session can be.`);
    const p = new URLSearchParams(text);
    const v = p.get('v');
    if (v !== FRAGMENT_VERSION) {
      throw new FragmentError(v == null ? 'It does not say which link format it uses ("v=1" is missing).' : `It uses link format "${v}"; this page reads format ${FRAGMENT_VERSION}.`);
    }
    let source;
    let json;
    if (p.has('s')) {
      const id = p.get('s');
      const sc = builtins.find((b) => b.id === id);
      if (!sc) throw new FragmentError(`It names the scenario "${id}", which is not built in. Built-in scenarios: ${builtins.map((b) => b.id).join(', ')}.`);
      source = { kind: 'builtin', id };
      json = sc.json;
    } else if (p.has('j')) {
      try {
        json = await unpack(p.get('j'));
      } catch (e) {
        throw new FragmentError(`Its scenario could not be read: ${e.message}.`);
      }
      source = { kind: 'file', name: p.get('n') || 'shared scenario' };
    } else {
      throw new FragmentError('It names no scenario ("s=" for a built-in one, "j=" for a scenario file).');
    }
    let scenario;
    try {
      scenario = JSON.parse(json);
    } catch (e) {
      throw new FragmentError(`Its scenario is not valid JSON: ${e.message}.`);
    }
    const seed = wholeNumber(p, 'seed', 'seed');
    const now = wholeNumber(p, 't', 'time');
    let actions = [];
    if (p.has('a')) {
      let raw;
      try {
        raw = await unpack(p.get('a'));
      } catch (e) {
        throw new FragmentError(`Its action log could not be read: ${e.message}.`);
      }
      try {
        actions = JSON.parse(raw);
      } catch (e) {
        throw new FragmentError(`Its action log is not valid JSON: ${e.message}.`);
      }
      if (!Array.isArray(actions)) throw new FragmentError('Its action log is not a list.');
    }
    const session = JSON.stringify({ version: 1, scenario, seed, actions, now });
    return { source, json, seed, session };
  } catch (e) {
    if (e instanceof FragmentError) throw new Error(`This link's fragment could not be read. ${e.message}`);
    throw new Error(`This link's fragment could not be read: ${e && e.message ? e.message : e}`);
  }
}

/** The share link for a fragment: this page, without its query (the fragment says everything). */
export function shareLink(fragment, loc = location) {
  return `${loc.origin}${loc.pathname}#${fragment}`;
}

/**
 * The embed URL and iframe snippet. A built-in scenario without actions at time 0 goes in the query
 * (readable); anything else in a fragment.
 */
export function embedCode({ views, autoplay, source, seed, fragment, plain, title, loc = location }) {
  const q = new URLSearchParams();
  q.set('embed', '1');
  q.set('views', views.join(','));
  if (autoplay) q.set('autoplay', '1');
  if (plain && source.kind === 'builtin') {
    q.set('scenario', source.id);
    q.set('seed', String(seed));
  }
  const src = `${loc.origin}${loc.pathname}?${q.toString().replace(/%2C/g, ',')}${plain && source.kind === 'builtin' ? '' : `#${fragment}`}`;
  const height = views.length > 1 ? 620 : 360;
  const attr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return {
    src,
    html: `<iframe src="${attr(src)}" width="600" height="${height}" style="border:1px solid #d8dee7;border-radius:8px;max-width:100%" ` +
      `title="${attr(title)}" loading="lazy"></iframe>`,
  };
}

/**
 * Embed mode from the query: `{views, error}` where `error` names views this page does not have (the
 * others are still shown), or null when the page is not embedded.
 */
export function embedOptions(params) {
  if (params.get('embed') !== '1') return null;
  const asked = (params.get('views') || DEFAULT_VIEWS.join(',')).split(',').map((v) => v.trim()).filter(Boolean);
  const unknown = asked.filter((v) => !VIEWS.includes(v));
  let views = asked.filter((v) => VIEWS.includes(v));
  if (!views.length) views = DEFAULT_VIEWS;
  const error = unknown.length
    ? `Unknown view${unknown.length > 1 ? 's' : ''} ${unknown.map((v) => `"${v}"`).join(', ')} in "views=". Views: ${VIEWS.join(', ')}.`
    : null;
  return { views: [...new Set(views)], error };
}

/** Show only `views`: the other panels get `embed-off`; the body gets `embed` and a class per view count. */
export function applyEmbed(views, panels) {
  document.body.classList.add('embed');
  document.body.dataset.views = views.join(' ');
  for (const [name, el] of Object.entries(panels)) if (el) el.classList.toggle('embed-off', !views.includes(name));
  const grid = views.filter((v) => v !== 'lesson');
  document.body.style.setProperty('--embed-rows', String(Math.max(1, grid.length)));
}

/** Copy `text`; resolves true when the clipboard took it (the field with the text stays for copying by hand). */
export async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (field) {
      field.focus();
      field.select();
      try {
        return document.execCommand('copy');
      } catch {
        return false;
      }
    }
    return false;
  }
}
