/** The agent's status bar: state chip with time in state, presence control, sound, connection. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { clock, spokenDuration } from "../format.js";
import { t } from "../i18n.js";
import { REASONS, presenceLabel, reasonLabel } from "../presence.js";
import { connectionIndicator } from "./connection.js";

const ICONS = { available: "●", away: "❚❚", offline: "○" };

function chip(presence, stale, now) {
  if (!presence) {
    return html`<span class="chip chip--unknown">${t("presence.unknown")}</span>`;
  }
  const spent = now - presence.since;
  return html`<span class="chip chip--${presence.presence} ${stale ? "is-stale" : ""}" id="state-chip"
      data-presence=${presence.presence}>
    <span class="chip__icon" aria-hidden="true">${ICONS[presence.presence] ?? ICONS.offline}</span>
    <span class="chip__word">${presenceLabel(presence.presence)}</span>
    ${presence.presence === "away" && presence.reason
      ? html`<span class="chip__reason">${reasonLabel(presence.reason)}</span>`
      : nothing}
    ${presence.presence === "offline"
      ? nothing
      : html`<span class="chip__timer" role="timer" aria-label=${spokenDuration(spent)}>${clock(spent)}</span>`}
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
  const current = state.presence?.presence;
  const busy = !live || state.pending;
  return html`<div class="presence" role="group" aria-label=${t("presence.control")}>
    <button type="button" id="go-available" class="btn btn--available ${current === "available" ? "is-current" : ""}"
        aria-disabled=${String(busy)} aria-keyshortcuts="A" @click=${actions.available}>
      <span aria-hidden="true">${ICONS.available}</span> ${t("presence.available")}
    </button>
    <div class="away-menu">
      <button type="button" id="away-toggle" class="btn ${current === "away" ? "is-current" : ""}"
          aria-disabled=${String(busy)} aria-expanded=${String(state.reasonsOpen)} aria-controls="away-reasons"
          aria-keyshortcuts="P" @click=${actions.toggleReasons}>
        <span aria-hidden="true">${ICONS.away}</span> ${t("presence.away")}
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
    ${presence ? chip(state.presence, stale, now) : nothing}
    ${presence ? presenceControl(state, live, actions) : nothing}
    ${sound ? soundToggle(sound, actions) : nothing}
    ${connectionIndicator(state.connection)}
    ${shortcuts
      ? html`<button type="button" class="btn btn--quiet btn--icon" id="shortcuts-open" aria-haspopup="dialog"
          aria-label=${t("keys.title")} aria-keyshortcuts="?" @click=${actions.openShortcuts}>?</button>`
      : nothing}
  `;
}
