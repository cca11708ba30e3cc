/** Messages the server sent with `notify`, newest first, each dismissable. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { repeat } from "../../vendor/lit-html/directives/repeat.js";
import { t } from "../i18n.js";

const ICONS = { info: "ℹ", warning: "⚠", error: "✕" };

/** The list, or nothing when there is none. */
export function noticeList(notices, dismiss) {
  if (!notices.length) return nothing;
  return html`<ul class="notices">
    ${repeat(
      notices,
      (notice) => notice.id,
      (notice) => html`<li class="notice notice--${notice.level}">
        <span aria-hidden="true">${ICONS[notice.level]}</span>
        <span class="notice__text">${notice.text}</span>
        <button type="button" class="btn btn--quiet" @click=${() => dismiss(notice.id)}>
          ${t("notify.dismiss")}
        </button>
      </li>`,
    )}
  </ul>`;
}
