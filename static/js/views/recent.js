/** Recent calls in the right column: state, caller, when; a click opens the call in the left column. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { repeat } from "../../vendor/lit-html/directives/repeat.js";
import { STATE_ICONS, stateLabel, who } from "../callwords.js";
import { dateTime, relative } from "../format.js";
import { t } from "../i18n.js";

function when(entry, now) {
  const at = entry.call.started_at ?? entry.call.ringing_at;
  if (!at) return nothing;
  return html`<time class="recent__time" translate="no" datetime=${new Date(at).toISOString()} title=${dateTime(at)}>${relative(
    at,
    now,
  )}</time>`;
}

/** The list, newest first; `shownId` marks the call open in the left column. */
export function recentCalls(entries, { now, shownId, open }) {
  if (!entries.length) return html`<p class="empty">${t("console.recent.empty")}</p>`;
  return html`<ul class="recent" id="recent-list">
    ${repeat(
      entries,
      (entry) => entry.id,
      (entry) => html`<li>
        <button type="button" class="recent__item recent__item--${entry.call.state}" data-call-id=${entry.id}
            aria-current=${entry.id === shownId ? "true" : nothing} @click=${() => open(entry.id)}>
          <span class="recent__state"><span aria-hidden="true">${STATE_ICONS[entry.call.state] ?? "■"}</span>
            ${stateLabel(entry.call)}</span>
          <span class="recent__who" title=${who(entry)}>${who(entry)}</span>
          ${when(entry, now)}
        </button>
      </li>`,
    )}
  </ul>`;
}
