/** The customer's earlier calls: the last three, expandable to ten, each with its notes. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { STATE_ICONS, stateLabel } from "../callwords.js";
import { dateTime, relative, seconds } from "../format.js";
import { t } from "../i18n.js";

const SHORT = 3;
const LONG = 10;

function item(call, now) {
  const at = call.started_at;
  return html`<li class="history__item" data-call-id=${call.id}>
    <p class="history__line">
      ${at ? html`<time translate="no" datetime=${new Date(at).toISOString()} title=${dateTime(at)}>${relative(at, now)}</time>` : nothing}
      <span class="history__state"><span aria-hidden="true">${STATE_ICONS[call.state] ?? "■"}</span> ${stateLabel(call)}</span>
      ${call.talk_s ? html`<span class="numeric">${t("pop.history.talk", { talk: seconds(call.talk_s) })}</span>` : nothing}
      ${call.agent_name ? html`<span class="history__agent" translate="no">${call.agent_name}</span>` : nothing}
    </p>
    ${call.disposition ? html`<p class="history__disposition">${call.disposition}</p>` : nothing}
    ${call.notes ? html`<p class="history__notes">${call.notes}</p>` : nothing}
  </li>`;
}

/** The section; `open` shows up to ten, `toggle` flips it. */
export function callHistory(calls, { now, open, toggle }) {
  const shown = calls.slice(0, open ? LONG : SHORT);
  const more = Math.min(calls.length, LONG);
  return html`<section class="panel-section" aria-labelledby="history-title">
    <h4 class="panel-section__title" id="history-title">${t("pop.history.title")}</h4>
    ${calls.length
      ? html`<ol class="history" id="call-history">${shown.map((call) => item(call, now))}</ol>`
      : html`<p class="empty">${t("pop.history.empty")}</p>`}
    ${calls.length > SHORT
      ? html`<button type="button" class="btn btn--quiet" id="history-toggle" aria-expanded=${String(open)}
          aria-controls="call-history" @click=${toggle}>
          ${open ? t("pop.history.fewer") : t("pop.history.all", { count: more })}
        </button>`
      : nothing}
  </section>`;
}
