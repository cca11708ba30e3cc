/** The wrap-up panel: countdown to the server's deadline, outcomes 1–9, the call's notes, Done. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { live } from "../../vendor/lit-html/directives/live.js";
import { STATE_ICONS, wrapUpLeft } from "../agentstate.js";
import { clock, spokenDuration } from "../format.js";
import { t } from "../i18n.js";
import { choices, dispositionLabel, wrappingCall } from "../wrapup.js";

const ENDING_MS = 10_000;

function countdown(left) {
  if (left === null) {
    return html`<p class="wrapup__time" id="wrap-up-time">${t("wrapup.no_limit")}</p>`;
  }
  const ending = left <= ENDING_MS;
  return html`<p class="wrapup__time" id="wrap-up-time" data-ending=${String(ending)}>
    ${ending ? html`<span class="wrapup__ending"><span aria-hidden="true">⚠</span> ${t("wrapup.ending")}</span>` : nothing}
    <span role="timer" aria-live="off" aria-label=${t("work.left", { time: spokenDuration(left) })}>${t("work.left", {
      time: clock(left),
    })}</span>
  </p>`;
}

function outcomes(list, ui, locale, actions) {
  if (!list.length) return html`<p class="hint" id="wrap-up-no-outcomes">${t("wrapup.no_outcomes")}</p>`;
  const error = ui.error?.field === "disposition" ? ui.error.text : "";
  return html`<fieldset class="outcomes" id="wrap-up-outcomes" aria-describedby="wrap-up-outcome-error">
    <legend>${t("wrapup.outcome")} <span class="hint">${t("wrapup.outcome_required")}</span></legend>
    ${list.map((disposition, index) => {
      const id = `wrap-up-outcome-${disposition.id}`;
      const key = index < 9 ? String(index + 1) : null;
      return html`<div class="outcome">
        <input type="radio" name="disposition" id=${id} value=${disposition.id}
            aria-keyshortcuts=${key ?? nothing} aria-invalid=${error ? "true" : "false"}
            .checked=${live(ui.choice === disposition.id)} @change=${() => actions.choose(disposition.id)}>
        <label for=${id}>
          ${key ? html`<kbd translate="no">${key}</kbd>` : nothing}
          <span class="outcome__label" translate="no">${dispositionLabel(disposition, locale)}</span>
          ${disposition.first_contact_resolved
            ? html`<span class="outcome__fcr"><span aria-hidden="true">✓</span> ${t("wrapup.first_contact")}</span>`
            : nothing}
        </label>
      </div>`;
    })}
    <p class="hint hint--error" id="wrap-up-outcome-error">${error}</p>
  </fieldset>`;
}

function notesField(callId, notes, ui, actions) {
  const status = {
    saving: () => t("pop.notes.saving"),
    saved: () => t("pop.notes.saved"),
    failed: () => t("pop.notes.failed"),
    draft: () => t("pop.notes.draft"),
  }[notes?.status];
  const error = ui.error?.field === "notes" ? ui.error.text : "";
  return html`<div class="field wrapup__notes">
    <label for="wrap-up-notes">${t("pop.notes.label")}</label>
    <textarea id="wrap-up-notes" rows="3" maxlength="10000" aria-describedby="wrap-up-notes-status"
        aria-invalid=${error ? "true" : "false"} .value=${live(notes?.text ?? "")}
        @input=${(event) => actions.notesInput(callId, event.target.value)}></textarea>
    <p class="hint ${error || notes?.status === "failed" ? "hint--error" : ""}" id="wrap-up-notes-status">${error
      || (status ? status() : "")}</p>
  </div>`;
}

/**
 * The panel while the agent wraps up a call, else nothing.
 * @param {object} agent the agent's state from the store.
 * @param {object} ctx `{now, ui, who, notes, locale, live, actions: {choose, submit, notesInput}}`; `notes` null:
 *     the call card above shows this call and its notes, which Done sends.
 */
export function wrapUpPanel(agent, ctx) {
  const callId = wrappingCall(agent);
  if (callId === null) return nothing;
  const left = wrapUpLeft(agent, ctx.now);
  const ending = left !== null && left <= ENDING_MS;
  const field = ctx.ui.error?.field;
  const formError = field === "form" || (field === "notes" && !ctx.notes) ? ctx.ui.error.text : "";
  return html`<section class="wrapup ${ending ? "wrapup--ending" : ""}" id="wrap-up-panel" data-call-id=${callId}
      aria-labelledby="wrap-up-title">
    <h3 class="wrapup__title" id="wrap-up-title" tabindex="-1">
      <span aria-hidden="true">${STATE_ICONS.wrap_up}</span> ${t("work.wrap_up")}
      <span class="wrapup__who" title=${ctx.who}>${ctx.who}</span>
    </h3>
    ${countdown(left)}
    <form class="wrapup__form" id="wrap-up-form" novalidate @submit=${ctx.actions.submit}>
      ${outcomes(choices(agent), ctx.ui, ctx.locale, ctx.actions)}
      ${ctx.notes ? notesField(callId, ctx.notes, ctx.ui, ctx.actions) : nothing}
      ${formError ? html`<p class="hint hint--error" id="wrap-up-error">${formError}</p>` : nothing}
      <button type="submit" class="btn btn--primary" id="wrap-up-done" aria-keyshortcuts="Control+Enter"
          aria-disabled=${String(!ctx.live || ctx.ui.busy)}>
        ${t("wrapup.submit")} <kbd translate="no">Ctrl+Enter</kbd>
      </button>
    </form>
  </section>`;
}
