/** The agent's status bar: state chip (work or presence, time in state or left), presence control, sound, connection. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { clock, spokenDuration } from "../format.js";
import { t } from "../i18n.js";
import { BUSY, STATE_ICONS, shownState, wrapUpLeft } from "../agentstate.js";
import { REASONS, presenceLabel, reasonLabel } from "../presence.js";
import { connectionIndicator } from "./connection.js";

const ENDING_MS = 10_000;

function timer(ms, text) {
  return html`<span class="chip__timer" role="timer" aria-live="off" aria-label=${spokenDuration(ms)}>${text}</span>`;
}

/** What the chip says after the word: the time in state, or for wrap-up the time left. */
function chipTime(agent, shown, now) {
  if (shown.kind === "offline") return nothing;
  if (shown.kind === "wrap_up") {
    const left = wrapUpLeft(agent, now);
    if (left === null) return html`<span class="chip__timer">${t("work.no_limit")}</span>`;
    return html`<span class="chip__timer" role="timer" aria-live="off"
        aria-label=${t("work.left", { time: spokenDuration(left) })}>${t("work.left", { time: clock(left) })}</span>`;
  }
  const spent = now - shown.since;
  return timer(spent, clock(spent));
}

/** Away while a call is being worked: where the agent goes once it is done. */
function nextState(agent) {
  if (!BUSY.has(agent.work) || agent.presence === "available") return nothing;
  const then = agent.presence === "away" && agent.reason ? reasonLabel(agent.reason) : presenceLabel(agent.presence);
  return html`<span class="chip__next">${t("work.next", { state: then })}</span>`;
}

function chip(agent, stale, now) {
  if (!agent) {
    return html`<span class="chip chip--unknown">${t("presence.unknown")}</span>`;
  }
  const shown = shownState(agent);
  const left = shown.kind === "wrap_up" ? wrapUpLeft(agent, now) : null;
  const ending = left !== null && left <= ENDING_MS;
  return html`<span class="chip chip--${shown.kind} ${ending ? "is-ending" : ""} ${stale ? "is-stale" : ""}"
      id="state-chip" data-presence=${agent.presence} data-work=${agent.work}>
    <span class="chip__icon" aria-hidden="true">${STATE_ICONS[shown.kind] ?? STATE_ICONS.offline}</span>
    <span class="chip__word">${shown.word}</span>
    ${shown.kind === "away" && agent.reason ? html`<span class="chip__reason">${reasonLabel(agent.reason)}</span>` : nothing}
    ${chipTime(agent, shown, now)}
    ${nextState(agent)}
  </span>`;
}

function reasons(state, actions) {
  return html`<ul class="reasons" id="away-reasons" ?hidden=${!state.reasonsOpen}>
    ${REASONS.map(
      (code, index) => html`<li>
        <button type="button" class="reasons__item" data-reason=${code} @click=${() => actions.away(code)}>
          <kbd>${index + 1}</kbd> ${reasonLabel(code)}
        </button>
      </li>`,
    )}
  </ul>`;
}

function presenceControl(state, live, actions) {
  const current = state.agent?.presence;
  const busy = !live || state.pending;
  return html`<div class="presence" role="group" aria-label=${t("presence.control")}>
    <button type="button" id="go-available" class="btn btn--available ${current === "available" ? "is-current" : ""}"
        aria-disabled=${String(busy)} aria-keyshortcuts="A" @click=${actions.available}>
      <span aria-hidden="true">${STATE_ICONS.available}</span> ${t("presence.available")}
    </button>
    <div class="away-menu">
      <button type="button" id="away-toggle" class="btn ${current === "away" ? "is-current" : ""}"
          aria-disabled=${String(busy)} aria-expanded=${String(state.reasonsOpen)} aria-controls="away-reasons"
          aria-keyshortcuts="P" @click=${actions.toggleReasons}>
        <span aria-hidden="true">${STATE_ICONS.away}</span> ${t("presence.away")}
        <span class="caret" aria-hidden="true">▾</span>
      </button>
      ${reasons(state, actions)}
    </div>
  </div>`;
}

function soundToggle(sound, actions) {
  const on = sound.enabled && !sound.blocked;
  return html`<button type="button" class="btn btn--quiet" id="sound-toggle" aria-pressed=${String(on)}
      @click=${actions.toggleSound}>
    <span aria-hidden="true">${on ? "♪" : "✕"}</span> ${t("sound.label")}
  </button>
  ${sound.enabled && sound.blocked ? html`<span class="hint">${t("sound.blocked")}</span>` : nothing}`;
}

/** The whole bar; the wallboard leaves out presence, sound and shortcuts. */
export function statusBar(state, { live, now, sound, actions, presence = true, shortcuts = true }) {
  const stale = state.connection !== "connected";
  return html`
    ${presence ? chip(state.agent, stale, now) : nothing}
    ${presence ? presenceControl(state, live, actions) : nothing}
    ${sound ? soundToggle(sound, actions) : nothing}
    ${connectionIndicator(state.connection)}
    ${shortcuts
      ? html`<button type="button" class="btn btn--quiet btn--icon" id="shortcuts-open" aria-haspopup="dialog"
          aria-label=${t("keys.title")} aria-keyshortcuts="?" @click=${actions.openShortcuts}>?</button>`
      : nothing}
  `;
}
