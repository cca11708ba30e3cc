/** A ringing call makes itself known: tone, one alert, a desktop notification, the tab title.
 *
 * `sync(ringing)` is called after every change with the calls ringing now, so a pop, an update,
 * a snapshot or a replay all come down to the same comparison: a call that starts ringing is
 * announced once; when none rings, the tone stops, notifications close and the title returns.
 * One tab of the browser rings (the holder of a Web Lock); the others show the card silently.
 */
import { t } from "./i18n.js";
import { alertNow } from "./notify.js";

const LOCK = "callcenter.ring";

/** Ask to be the tab that rings; `granted` runs once this tab is, and it stays so until it closes. */
function lead(granted) {
  if (!navigator.locks) {
    granted();
    return;
  }
  navigator.locks.request(LOCK, () => {
    granted();
    return new Promise(() => {});
  });
}

function unfocused() {
  return document.hidden || !document.hasFocus();
}

/**
 * @param {object} options
 * @param {import("./notify.js").Sound} options.sound the page's sound switch and tone.
 * @param {(entry: object) => string} options.who the caller in words (name or number).
 * @param {(entry: object) => string} options.alert the sentence `role=alert` reads once.
 * @param {(entry: object) => string} options.details the notification's second line.
 * @param {(id: number) => void} options.open show a call's card and focus it (notification click).
 */
export function createRinger({ sound, who, alert, details, open }) {
  const baseTitle = document.title;
  const announced = new Set();
  const notices = new Map();
  let leader = false;
  let last = [];

  function notify(entry) {
    if (!leader || notices.has(entry.id) || !unfocused()) return;
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    try {
      const notice = new Notification(t("pop.notify.title"), {
        body: `${who(entry)}\n${details(entry)}`,
        tag: `call-${entry.id}`,
        requireInteraction: true,
      });
      notice.onclick = () => {
        window.focus();
        open(entry.id);
        notice.close();
      };
      notices.set(entry.id, notice);
    } catch {
      // Some browsers only allow notifications from a service worker; the card and tone remain.
    }
  }

  function sync(ringing) {
    last = ringing;
    const ids = new Set(ringing.map((entry) => entry.id));
    for (const entry of ringing) {
      if (!announced.has(entry.id)) {
        announced.add(entry.id);
        alertNow(alert(entry));
      }
      notify(entry);
    }
    for (const [id, notice] of notices) {
      if (!ids.has(id)) {
        notice.close();
        notices.delete(id);
      }
    }
    if (ringing.length && leader) sound.ring();
    else sound.silence();
    document.title = ringing.length ? t("pop.title", { who: who(ringing[0]) }) : baseTitle;
  }

  lead(() => {
    leader = true;
    sync(last);
  });
  // A tab that loses focus while a call rings still gets its notification.
  window.addEventListener("blur", () => sync(last));
  document.addEventListener("visibilitychange", () => sync(last));

  return {
    sync,
    /** Ask for notification permission; call from a click (Go available does). */
    askPermission() {
      if (typeof Notification !== "undefined" && Notification.permission === "default") {
        Notification.requestPermission().catch(() => {});
      }
    },
  };
}
