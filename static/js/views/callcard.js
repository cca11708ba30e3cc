/** The call card: who calls and how we know, tier, queue and wait; then the talk timer; then the outcome. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { live } from "../../vendor/lit-html/directives/live.js";
import { isRinging } from "../calls.js";
import {
  STATE_ICONS,
  matchIcon,
  matchWords,
  outcome,
  stateLabel,
  tierWords,
  who,
} from "../callwords.js";
import { clock, languageName, spokenDuration } from "../format.js";
import { t } from "../i18n.js";

/** The card's colour family: ringing blue, on call violet, over grey (the word says it too). */
function tone(call) {
  if (isRinging(call)) return "ringing";
  if (call.state === "answered") return "oncall";
  return "over";
}

function timer(ms) {
  return html`<span class="callcard__timer" role="timer" aria-label=${spokenDuration(ms)}>${clock(ms)}</span>`;
}

function stateLine(call, now) {
  const icon = html`<span class="callcard__icon" aria-hidden="true">${STATE_ICONS[call.state] ?? "■"}</span>`;
  if (isRinging(call)) {
    const since = call.ringing_at ?? call.started_at ?? now;
    return html`<p class="callcard__state" id="call-state">
      ${icon}<span class="callcard__word">${stateLabel(call)}</span>
      <span class="callcard__label">${t("pop.waiting")}</span>${timer(now - since)}
    </p>`;
  }
  if (call.state === "answered") {
    return html`<p class="callcard__state" id="call-state">
      ${icon}<span class="callcard__word">${stateLabel(call)}</span>${timer(now - (call.answered_at ?? now))}
    </p>`;
  }
  return html`<p class="callcard__state" id="call-state">
    ${icon}<span class="callcard__word">${stateLabel(call)}</span>
    <span class="callcard__outcome">${outcome(call)}</span>
  </p>`;
}

function facts(call) {
  const items = [];
  if (call.queue) items.push([t("pop.queue"), call.queue]);
  if (call.ivr) items.push([t("pop.ivr"), call.ivr]);
  if (call.language) items.push([t("pop.call_language"), html`<span translate="no">${languageName(call.language)}</span>`]);
  if (call.direction === "outbound") items.push([t("pop.direction"), t("pop.outbound")]);
  if (!items.length) return nothing;
  return html`<dl class="callcard__facts">
    ${items.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

function earlierLeg(leg) {
  if (!leg) return nothing;
  const from = leg.agent_name
    ? t("pop.transferred_from", { name: leg.agent_name })
    : t("pop.transferred_from_unknown");
  return html`<p class="callcard__leg" id="earlier-leg">
    <span aria-hidden="true">⇢</span>
    <span><strong>${from}</strong>${leg.notes ? html` <span class="callcard__leg-notes">${leg.notes}</span>` : nothing}</span>
  </p>`;
}

function soundOff(sound, actions) {
  return html`<button type="button" class="btn callcard__sound" id="pop-sound" @click=${actions.toggleSound}>
    <span aria-hidden="true">✕</span> ${t("pop.sound_off")}
  </button>`;
}

function notesArea(call, notes, actions) {
  const text = notes?.text ?? call.notes ?? "";
  const status = {
    saving: () => t("pop.notes.saving"),
    saved: () => t("pop.notes.saved"),
    failed: () => t("pop.notes.failed"),
    draft: () => t("pop.notes.draft"),
  }[notes?.status];
  return html`<div class="callnotes">
    <label for="call-notes">${t("pop.notes.label")}</label>
    <textarea id="call-notes" rows="3" maxlength="10000" aria-describedby="call-notes-status"
        .value=${live(text)} @input=${(event) => actions.notesInput(call.id, event.target.value)}></textarea>
    <p class="hint ${notes?.status === "failed" ? "hint--error" : ""}" id="call-notes-status">${status ? status() : ""}</p>
  </div>`;
}

function alsoRinging(others, actions) {
  if (!others.length) return nothing;
  return html`<ul class="callcard__others">
    ${others.map(
      (entry) => html`<li>
        <button type="button" class="btn btn--quiet" @click=${() => actions.show(entry.id)}>
          <span aria-hidden="true">☎</span> ${t("pop.also_ringing", { who: who(entry) })}
        </button>
      </li>`,
    )}
  </ul>`;
}

/** The card for `entry` (null: no call); `others` are further ringing calls. */
export function callCard(entry, { now, notes, others = [], sound, actions }) {
  if (!entry) return html`<p class="empty">${t("console.call.empty")}</p>`;
  const { call } = entry;
  const name = who(entry);
  const tier = tierWords(entry.customer);
  const number = entry.customer ? call.number_display : null;
  return html`<article class="callcard callcard--${tone(call)}" id="call-card-body" data-call-id=${call.id}
      data-state=${call.state} aria-labelledby="call-who">
    ${stateLine(call, now)}
    <p class="callcard__who" id="call-who" title=${name}>${name}</p>
    <p class="callcard__match" id="call-match" data-kind=${entry.match?.kind ?? "none"}>
      <span class="callcard__icon" aria-hidden="true">${matchIcon(entry.match)}</span>
      <span>${matchWords(entry.match)}</span>
      ${number ? html`<span class="callcard__number">${number}</span>` : nothing}
    </p>
    ${tier ? html`<p class="tier tier--${entry.customer.tier}" id="call-tier">
      <span class="tier__letter" aria-hidden="true" translate="no">${entry.customer.tier}</span><span>${tier}</span></p>` : nothing}
    ${facts(call)}
    ${earlierLeg(entry.earlier_leg)}
    ${isRinging(call) && sound.enabled && sound.blocked ? soundOff(sound, actions) : nothing}
    ${alsoRinging(others, actions)}
    ${isRinging(call) ? nothing : notesArea(call, notes, actions)}
  </article>`;
}
