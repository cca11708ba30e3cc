/** What every page's header and body share: theme, language switch, local times. */
import { postJSON } from "./api.js";
import { dateTime } from "./format.js";
import { initTheme } from "./theme.js";

/** Show `<time data-ms>` values in the reader's locale and time zone, exact time in `title`. */
export function localTimes(root = document) {
  for (const node of root.querySelectorAll("time[data-ms]")) {
    const ms = Number(node.dataset.ms);
    if (!Number.isFinite(ms)) continue;
    node.dateTime = new Date(ms).toISOString();
    node.textContent = dateTime(ms);
  }
}

/** The language select saves the user's choice, then reloads the page in it. */
function initLanguage() {
  const select = document.getElementById("locale-select");
  const failed = document.getElementById("locale-error");
  if (!select) return;
  select.addEventListener("change", async () => {
    try {
      await postJSON("/api/me/locale", { locale: select.value || null });
      window.location.reload();
    } catch {
      select.value = select.dataset.current;
      if (failed) failed.hidden = false;
    }
  });
}

/** Wire the parts every page shares. */
export function initChrome() {
  initTheme();
  initLanguage();
  localTimes();
}
