/** The `?` overlay: the keymap as a table, in a modal dialog that returns focus when it closes. */
import { html, render } from "../../vendor/lit-html/lit-html.js";
import { t } from "../i18n.js";
import { setSingleKeys, singleKeysOn } from "../keys.js";

function rows(keymap) {
  return html`${keymap.map(
    (binding) => html`<tr>
      <th scope="row">${binding.caps.map((cap) => html`<kbd translate="no">${cap}</kbd> `)}</th>
      <td>${t(binding.label)}</td>
      <td>${t(binding.when)}</td>
    </tr>`,
  )}`;
}

const FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

/** Keep Tab inside the dialog: a modal dialog alone lets focus leave for the browser's toolbar. */
export function trapFocus(dialog, event) {
  if (event.key !== "Tab") return;
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => !el.disabled && !el.hidden);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/** Wire the server-rendered `<dialog id="shortcuts">`; returns a function that opens it. */
export function initShortcuts(keymap) {
  const dialog = document.getElementById("shortcuts");
  const body = document.getElementById("shortcuts-rows");
  const single = document.getElementById("single-keys");
  let opener = null;
  render(rows(keymap), body);
  single.checked = singleKeysOn();
  single.addEventListener("change", () => setSingleKeys(single.checked));
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("keydown", (event) => trapFocus(dialog, event));
  dialog.addEventListener("close", () => {
    opener?.focus();
    opener = null;
  });
  return () => {
    if (dialog.open) return;
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
  };
}
