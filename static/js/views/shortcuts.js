/** The `?` overlay: the keymap as a table, in a modal dialog that returns focus when it closes. */
import { html, render } from "../../vendor/lit-html/lit-html.js";
import { t } from "../i18n.js";
import { setSingleKeys, singleKeysOn } from "../keys.js";

function rows(keymap) {
  return html`${keymap.map(
    (binding) => html`<tr>
      <th scope="row">${binding.caps.map((cap) => html`<kbd>${cap}</kbd> `)}</th>
      <td>${t(binding.label)}</td>
      <td>${t(binding.when)}</td>
    </tr>`,
  )}`;
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
