/** The connection indicator in the status bar and the band under it when the link is down. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { t } from "../i18n.js";

const ICONS = { connecting: "◌", connected: "●", reconnecting: "◌", lost: "✕", ended: "✕" };

function label(status) {
  if (status === "connected") return t("connection.connected");
  if (status === "reconnecting") return t("connection.reconnecting");
  if (status === "lost") return t("connection.lost");
  if (status === "ended") return t("connection.ended_short");
  return t("connection.connecting");
}

/** The indicator: icon and word, coloured by state. */
export function connectionIndicator(status) {
  return html`<span class="conn conn--${status}" id="connection" data-state=${status}>
    <span class="conn__icon" aria-hidden="true">${ICONS[status] ?? ICONS.connecting}</span>
    ${label(status)}
  </span>`;
}

/** The band: shown while reconnecting, stronger once calls can no longer reach this page. */
export function connectionBand(status) {
  if (status === "reconnecting") {
    return html`<p class="band band--wait">${t("connection.reconnecting")}</p>`;
  }
  if (status === "lost") {
    return html`<p class="band band--lost">${t("connection.lost_alert")}</p>`;
  }
  if (status === "ended") {
    return html`<p class="band band--lost">
      ${t("connection.ended")} <a href="/login">${t("connection.sign_in_again")}</a>
    </p>`;
  }
  return nothing;
}
