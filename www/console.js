// A redis-cli-like console: pick a server, type a command, read the reply exactly as redis-cli prints it.
// The console knows nothing about the simulation: `run(target, line)` returns the reply text and `prompt(target)`
// says what redis-cli would show before the cursor ("10.0.0.1:6379> " or "not connected> ").

const MAX_LINES = 500;   // older log lines are dropped so a long session stays light
const MAX_HISTORY = 200;

export function isErrorReply(text) {
  return /^\(error\)/.test(text) || /^(Could not connect to Redis|Invalid argument|Error: )/.test(text);
}

/** The simulator's own notes where redis-cli would wait (a blocked command, a paused server): not replies. */
export function isNote(text) {
  return /^\((blocked|paused): /.test(text);
}

/** Whether the core's console record `line` is the return of the blocked command `typed`: "(WAIT 2 returned)"
 * for "WAIT 2 1000" (its first words, as the server records them). */
function returnOf(line, typed) {
  const m = /^\((.+) returned\)$/.exec(line);
  if (!m) return false;
  const words = typed.trim().split(/\s+/);
  return m[1].split(' ').every((w, i) => words[i] !== undefined && w.toLowerCase() === words[i].toLowerCase());
}

export class Console {
  /**
   * @param {HTMLElement} root      where the log and the input line go
   * @param {HTMLSelectElement} select  the server picker
   * @param {{run:(target:string,line:string)=>string, prompt:(target:string)=>string, onSelect?:(target:string)=>void,
   *   blocked?:(target:string)=>({at:number,t:number,proc:number}|null)}} hooks  `blocked`: after a command blocked,
   *   where its console record is (see follow())
   */
  constructor(root, select, hooks) {
    this.root = root;
    this.select = select;
    this.hooks = hooks;
    this.history = [];
    this.blocked = [];     // commands waiting for their reply, as redis-cli would: see follow()
    this.historyPos = 0;   // == history.length when not browsing
    this.draft = '';

    root.innerHTML = '';
    this.log = document.createElement('div');
    this.log.className = 'console-log';
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-live', 'polite');
    this.log.setAttribute('aria-label', 'Console output');

    const line = document.createElement('form');
    line.className = 'console-line';
    line.setAttribute('autocomplete', 'off');
    this.promptEl = document.createElement('label');
    this.promptEl.className = 'console-prompt';
    this.promptEl.htmlFor = 'console-input';
    this.input = document.createElement('input');
    this.input.id = 'console-input';
    this.input.type = 'text';
    this.input.spellcheck = false;
    this.input.setAttribute('autocapitalize', 'off');
    this.input.setAttribute('aria-label', 'Redis command');
    this.input.placeholder = 'type a command, e.g. SET foo bar — Enter runs it, ↑/↓ recall history';
    line.append(this.promptEl, this.input);
    root.append(this.log, line);

    line.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => this.#onKey(e));
    select.addEventListener('change', () => {
      this.refreshPrompt();
      hooks.onSelect?.(this.target);
    });
    root.addEventListener('click', (e) => {
      if (e.target === root || e.target === this.log) this.input.focus();
    });
  }

  get target() {
    return this.select.value;
  }

  set target(name) {
    if ([...this.select.options].some((o) => o.value === name)) {
      this.select.value = name;
      this.refreshPrompt();
    }
  }

  /** The servers one can connect to: [{name, address}], in display order. Keeps the choice when it still exists. */
  setTargets(servers) {
    const keep = this.target;
    const key = servers.map((s) => `${s.name}@${s.address}`).join('|');
    if (key !== this.targetsKey) {
      this.targetsKey = key;
      this.select.innerHTML = '';
      for (const s of servers) {
        const o = document.createElement('option');
        o.value = s.name;
        o.textContent = s.address ? `${s.name} (${s.address})` : s.name;
        this.select.append(o);
      }
      if (servers.some((s) => s.name === keep)) this.select.value = keep;
    }
    this.select.disabled = servers.length === 0;
    this.input.disabled = servers.length === 0;
    this.refreshPrompt();
  }

  refreshPrompt() {
    const p = this.target ? this.hooks.prompt(this.target) : '(no server)> ';
    if (this.promptEl.textContent !== p) this.promptEl.textContent = p;
  }

  print(text, cls = '') {
    const div = document.createElement('div');
    div.className = `console-entry ${cls}`.trim();
    div.textContent = text;
    this.log.append(div);
    while (this.log.childElementCount > MAX_LINES) this.log.firstElementChild.remove();
    this.log.scrollTop = this.log.scrollHeight;
    return div;
  }

  clear() {
    this.log.innerHTML = '';
  }

  /** Run one line as if typed (also used by tests and by later features such as guided tours). */
  submit(line = this.input.value) {
    const target = this.target;
    this.input.value = '';
    this.draft = '';
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > MAX_HISTORY) this.history.shift();
    }
    this.historyPos = this.history.length;
    const prompt = this.promptEl.textContent;
    this.print(`${prompt}${line}`, 'echo');
    if (line.trim() === '') return null;
    if (/^\s*clear\s*$/i.test(line)) {
      // redis-cli's own `clear` empties the screen and never reaches the server.
      this.clear();
      return null;
    }
    let reply;
    try {
      reply = this.hooks.run(target, line);
    } catch (e) {
      reply = `(error) ${e && e.message ? e.message : e}`;
    }
    const entry = this.print(reply, isNote(reply) ? 'muted' : isErrorReply(reply) ? 'reply error' : 'reply');
    if (/^\(blocked: /.test(reply)) {
      const at = this.hooks.blocked?.(target);
      if (at) this.blocked.push({ ...at, target, line: line.trim(), prompt, note: entry, undone: false });
    }
    this.refreshPrompt();
    return reply;
  }

  /**
   * Print the replies of blocked commands that returned, as redis-cli prints a reply when it comes. Called
   * with the timeline's index (its `consoles` and `bands`) whenever the simulation moved, and the time now.
   * Each waiting command is its console record `{t, proc}` at position `at` of `index.consoles`:
   * - its return is a later console record of the same process, `(WAIT 2 returned)`, with the reply;
   * - if the process dies first, redis-cli prints "Error: Server closed the connection";
   * - a seek back before it was typed undoes it (until the run reaches it again: the recorded command is
   *   typed again then, unless a new action rewrote what follows, and then it is forgotten).
   */
  follow(index, now, time = (t) => `${t} ms`) {
    const consoles = index.consoles;
    this.blocked = this.blocked.filter((b) => {
      const c = consoles[b.at];
      if (!c || c.t !== b.t || c.proc !== b.proc || c.line.trim() !== b.line) {
        if (!b.undone) {
          this.print(`# A seek back to ${time(now)} undid ${b.line} (typed at ${time(b.t)}): it is typed again if the run reaches that time before anything else is done.`, 'muted');
          b.undone = true;
        }
        return now <= b.t; // past its time and not typed again: what follows was rewritten
      }
      b.undone = false;
      for (let i = b.at + 1; i < consoles.length; i++) {
        const r = consoles[i];
        if (r.proc !== b.proc || !returnOf(r.line, b.line) || this.blocked.some((o) => o.taken === i)) continue;
        b.taken = i;
        this.#answer(b, r.reply, r.t, time);
        return false;
      }
      const death = index.bands.find((d) => d.proc === b.proc && d.state === 'crashed' && d.t0 >= b.t);
      if (death) {
        this.#answer(b, 'Error: Server closed the connection', death.t0, time);
        this.print(`# ${b.prompt.replace(/> $/, '')} went away at ${time(death.t0)} before ${b.line} returned.`, 'muted');
        return false;
      }
      return true;
    });
  }

  #answer(b, reply, t, time) {
    // Right under its command, as in redis-cli; after other lines, say which command it answers.
    if (this.log.lastElementChild !== b.note) this.print(`# ${b.prompt}${b.line} returned at ${time(t)}:`, 'muted');
    this.print(reply, isErrorReply(reply) ? 'reply error' : 'reply');
  }

  #onKey(e) {
    if (e.key === 'ArrowUp') {
      if (this.historyPos === 0) return;
      if (this.historyPos === this.history.length) this.draft = this.input.value;
      this.historyPos -= 1;
      this.input.value = this.history[this.historyPos];
      e.preventDefault();
    } else if (e.key === 'ArrowDown') {
      if (this.historyPos >= this.history.length) return;
      this.historyPos += 1;
      this.input.value = this.historyPos === this.history.length ? this.draft : this.history[this.historyPos];
      e.preventDefault();
    } else if (e.key === 'l' && e.ctrlKey) {
      this.clear();
      e.preventDefault();
    }
  }
}
