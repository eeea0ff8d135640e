// The lesson panel: a scenario's narration shown as virtual time passes, its questions ("predict, then
// reveal") and, once the run reaches the scenario's end, the verdicts on its expectations. The narration and
// the verdicts are the core's (`Simulation.narration()`, `Simulation.judge()`); this file only shows them.
//
// `renderLesson` is a pure function from them to HTML; `LessonPanel` keeps what the learner did (answers
// revealed, predictions typed) and redraws only when something visible changed, so that a prediction being
// typed is not wiped by the next animation frame.

import { esc } from './topology.js';
import { formatSeconds } from './timeline.js';

/** Scroll `scroller` (if any) the least that shows `el` whole, or its top if it is taller. */
function revealIn(scroller, el) {
  if (!scroller) return;
  const s = scroller.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.top < s.top || r.height > s.height) scroller.scrollTop += r.top - s.top;
  else if (r.bottom > s.bottom) scroller.scrollTop += r.bottom - s.bottom;
}

/** Index of the step shown as current at virtual time `now`: the last one whose `at_ms` has come, or -1. */
export function currentStep(narration, now) {
  let cur = -1;
  for (let i = 0; i < narration.length; i++) if (narration[i].at_ms <= now) cur = i;
  return cur;
}

/**
 * @param {Array<{at_ms:number,text:string,ask?:string,answer?:string}>} narration  sorted by `at_ms`
 * @param {{now:number, durationMs:number, revealed:Set<number>, guesses:Map<number,string>,
 *          verdicts:Array<{expectation:string,passed:boolean,detail:string}>|null, expectations:number}} s
 * @returns {string} HTML
 */
export function renderLesson(narration, s) {
  const cur = currentStep(narration, s.now);
  const ended = s.durationMs > 0 && s.now >= s.durationMs;
  const items = [];
  for (let i = 0; i <= cur; i++) {
    const n = narration[i];
    const cls = i === cur ? 'current' : 'past';
    let ask = '';
    if (n.ask) {
      // The answer shows once asked for, or once the story has moved past the question.
      const shown = s.revealed.has(i) || i < cur || ended;
      const guess = s.guesses.get(i) || '';
      ask = `<div class="lesson-ask"><p class="lesson-q"><span class="lesson-q-mark" aria-hidden="true">?</span>${esc(n.ask)}</p>`;
      if (shown) {
        if (guess) ask += `<p class="lesson-guessed">You predicted: <q>${esc(guess)}</q></p>`;
        // tabindex -1: the focus moves here from the Reveal button it replaces (see `LessonPanel.update`).
        ask += `<p class="lesson-answer" data-step="${i}" tabindex="-1"><b>Answer</b> ${esc(n.answer || '(this step gives no answer: watch what happens)')}</p>`;
      } else {
        ask += '<div class="lesson-predict">' +
          `<input type="text" class="lesson-guess" data-step="${i}" value="${esc(guess)}" placeholder="Your prediction…" aria-label="Your prediction: ${esc(n.ask)}">` +
          `<button type="button" class="lesson-reveal" data-step="${i}" aria-label="Reveal the answer to: ${esc(n.ask)}">Reveal</button></div>`;
      }
      ask += '</div>';
    }
    items.push(`<li class="lesson-step ${cls}" data-step="${i}"${i === cur ? ' aria-current="step"' : ''}>` +
      `<button type="button" class="lesson-at" data-at="${n.at_ms}" title="Go back to this moment" aria-label="Go to ${formatSeconds(n.at_ms, 100)}">${formatSeconds(n.at_ms, 100)}</button>` +
      `<div class="lesson-body"><p class="lesson-text">${esc(n.text)}</p>${ask}</div></li>`);
  }
  const ahead = narration.length - cur - 1;
  let next = '';
  if (ahead > 0) {
    const at = narration[cur + 1].at_ms;
    next = `<p class="lesson-next muted">${ahead} more step${ahead > 1 ? 's' : ''} ahead · next at ` +
      `<button type="button" class="lesson-at link" data-at="${at}" aria-label="Go to the next step, at ${formatSeconds(at, 100)}">${formatSeconds(at, 100)}</button></p>`;
  }
  const head = cur < 0 && narration.length
    ? `<p class="lesson-next muted">The story starts at ${formatSeconds(narration[0]?.at_ms ?? 0, 100)}: press Play.</p>` : '';
  return `${head}<ol class="lesson-steps">${items.join('')}</ol>${next}${renderVerdicts(s, ended)}`;
}

/**
 * The core's verdict texts are shared with the CLI and the tests, which print them as they are: "seen at
 * [9015, 9017, …]" (every time, in ms) and "(any ms)". For people, the page says how often and when in
 * seconds, and "at any time".
 */
export function humanDetail(detail) {
  const m = /^seen at \[([\d, ]*)\]$/.exec(detail);
  if (!m) return detail;
  const times = m[1].split(',').map((t) => t.trim()).filter(Boolean).map(Number);
  const at = (t) => formatSeconds(t);
  if (!times.length) return 'never seen';
  if (times.length === 1) return `seen once, at ${at(times[0])}`;
  if (times.length === 2) return `seen twice, at ${at(times[0])} and ${at(times[1])}`;
  return `seen ${times.length} times, first at ${at(times[0])}, last at ${at(times.at(-1))}`;
}

export function humanExpectation(text) {
  return text.replace(/ \(any ms\)$/, ' (at any time)');
}

function renderVerdicts(s, ended) {
  if (!s.expectations) return '';
  if (!ended || !s.verdicts) {
    const when = s.durationMs > 0 ? ` at the end of the run (${formatSeconds(s.durationMs, 1000)})` : '';
    return `<div class="lesson-verdicts pending"><h3>What must happen</h3><p class="muted small">${s.expectations} ` +
      `expectation${s.expectations > 1 ? 's' : ''}, judged${when}.</p></div>`;
  }
  const passed = s.verdicts.filter((v) => v.passed).length;
  const rows = s.verdicts.map((v) => `<li class="verdict ${v.passed ? 'pass' : 'fail'}">` +
    `<span class="verdict-mark" aria-label="${v.passed ? 'passed' : 'failed'}">${v.passed ? '✓' : '✗'}</span>` +
    `<span class="verdict-text">${esc(humanExpectation(v.expectation))}<span class="verdict-detail">${esc(humanDetail(v.detail))}</span></span></li>`).join('');
  return `<div class="lesson-verdicts"><h3>What must happen <span class="muted small">${passed} of ${s.verdicts.length} held in this run</span></h3>` +
    `<ul class="verdicts">${rows}</ul></div>`;
}

/**
 * The panel's behaviour around `renderLesson`. `el` is the panel's body; `opts.seek(ms)` moves the page to a
 * moment (a step's time clicked).
 */
export class LessonPanel {
  constructor(el, { seek }) {
    this.el = el;
    this.seek = seek;
    this.narration = [];
    this.expectations = 0;
    this.revealed = new Set();
    this.guesses = new Map();
    this.verdicts = null;
    this.verdictsKey = '';
    this.drawn = '';
    this.pausedAt = new Set(); // questions playback already stopped at
    el.addEventListener('click', (e) => {
      const at = e.target.closest && e.target.closest('.lesson-at');
      if (at) {
        this.seek(Number(at.dataset.at));
        return;
      }
      const reveal = e.target.closest && e.target.closest('.lesson-reveal');
      if (reveal) {
        this.revealed.add(Number(reveal.dataset.step));
        this.drawn = '';
        this.onChange?.();
      }
    });
    el.addEventListener('input', (e) => {
      if (e.target.classList.contains('lesson-guess')) this.guesses.set(Number(e.target.dataset.step), e.target.value);
    });
    el.addEventListener('keydown', (e) => {
      // Enter in a prediction reveals the answer.
      if (e.key === 'Enter' && e.target.classList.contains('lesson-guess')) {
        this.revealed.add(Number(e.target.dataset.step));
        this.drawn = '';
        this.onChange?.();
      }
    });
  }

  /** A new simulation: its narration (sorted by time) and how many expectations it has. */
  load(narration, expectations) {
    this.narration = [...narration].sort((a, b) => a.at_ms - b.at_ms);
    this.expectations = expectations;
    this.revealed = new Set();
    this.guesses = new Map();
    this.verdicts = null;
    this.verdictsKey = '';
    this.drawn = '';
    this.pausedAt = new Set();
  }

  /** A scenario is shown as a lesson when it has narration (expectations alone are for the tests). */
  get active() {
    return this.narration.length > 0;
  }

  get asks() {
    return this.narration.some((n) => n.ask);
  }

  /**
   * The first question between `from` (exclusive) and `to` (inclusive) that playback has not stopped at yet
   * and whose answer is still hidden: playing stops there so the learner can predict. Returns its time or null.
   */
  questionBetween(from, to) {
    for (let i = 0; i < this.narration.length; i++) {
      const n = this.narration[i];
      if (n.ask && n.at_ms > from && n.at_ms <= to && !this.pausedAt.has(i) && !this.revealed.has(i)) return n.at_ms;
    }
    return null;
  }

  /**
   * Playback stopped at the question of time `t`: it will not stop there again. Only once it has: a frame
   * whose simulation falls short of the question (playing fast) must still stop at it in a later frame.
   */
  stoppedAt(t) {
    for (let i = 0; i < this.narration.length; i++) if (this.narration[i].ask && this.narration[i].at_ms === t) this.pausedAt.add(i);
  }

  /** Redraw for time `now`; `judge()` is called (once per distinct end state) when the run has ended. */
  update(now, durationMs, judge, actions) {
    if (!this.active) return;
    const ended = durationMs > 0 && now >= durationMs;
    if (ended && this.expectations) {
      const key = `${now}|${actions}`;
      if (key !== this.verdictsKey) {
        this.verdictsKey = key;
        try {
          this.verdicts = judge();
        } catch (e) {
          this.verdicts = [{ expectation: 'the expectations could not be judged', passed: false, detail: e && e.message ? e.message : String(e) }];
        }
      }
    }
    const cur = currentStep(this.narration, now);
    const key = `${cur}|${ended}|${[...this.revealed].join(',')}|${ended ? this.verdictsKey : ''}`;
    if (key === this.drawn) return;
    const focused = this.el.contains(document.activeElement) ? document.activeElement : null;
    this.el.innerHTML = renderLesson(this.narration, {
      now, durationMs, revealed: this.revealed, guesses: this.guesses, verdicts: this.verdicts, expectations: this.expectations,
    });
    this.drawn = key;
    const last = ended && this.verdicts ? this.el.querySelector('.lesson-verdicts') : this.el.querySelector('.lesson-step.current');
    // At the next frame, when the layout is fresh anyway: here it would force one in the middle of a redraw.
    // Only the lesson's own scroller moves: scrollIntoView would scroll every ancestor too (an embed's page).
    if (last) requestAnimationFrame(() => last.isConnected && revealIn(last.closest('.lesson-body-wrap'), last));
    if (focused) this.refocus(focused);
  }

  /**
   * The panel's HTML was replaced: put the focus back on what stands for the element that had it, or a
   * keyboard user is thrown back to the top of the page. A Reveal button (or the prediction it answers)
   * gives way to its answer; a time button to the same time's button, else the current step's.
   */
  refocus(old) {
    const { step, at } = old.dataset;
    const cls = ['lesson-guess', 'lesson-reveal', 'lesson-at'].find((c) => old.classList.contains(c));
    const q = (sel) => this.el.querySelector(sel);
    let el = null;
    if (cls === 'lesson-guess' || cls === 'lesson-reveal') {
      el = q(`.${cls}[data-step="${step}"]`) || q(`.lesson-answer[data-step="${step}"]`);
    } else if (cls === 'lesson-at') {
      el = q(`.lesson-at[data-at="${at}"]`) || q('.lesson-step.current .lesson-at');
    }
    el?.focus({ preventScroll: true });
  }
}
