/** The band under the header while the server holds the agent away for calls that rang out unanswered. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { awayForMissedCalls } from "../agentstate.js";
import { t } from "../i18n.js";

/** The band, or nothing; its button (and the A key) makes the agent available again. */
export function missedCallsBand(agent, { live, available }) {
  if (!awayForMissedCalls(agent)) return nothing;
  const text = agent.missed_in_row > 0
    ? t("presence.missed_band", { count: agent.missed_in_row })
    : t("presence.missed_band_plain");
  return html`<div class="band band--warn workband" id="missed-band">
    <span aria-hidden="true">⚠</span>
    <span class="workband__text">${text}</span>
    <button type="button" class="btn" aria-keyshortcuts="A" aria-disabled=${String(!live)} @click=${available}>
      <kbd translate="no">A</kbd> ${t("presence.missed_back")}
    </button>
  </div>`;
}
