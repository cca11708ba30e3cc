/** Connects a page to the server: the channel, the connection state, and `notify` pushes. */
import { t, hasMessage } from "./i18n.js";
import { alertNow, announce } from "./notify.js";
import { Channel } from "./socket.js";
import { now, syncClock } from "./ticker.js";

const LOST_AFTER_MS = 15000;
const SIGN_IN_AFTER_MS = 2000;
const MAX_NOTICES = 5;

function connectionTracker(store) {
  let lostTimer = null;
  let dropped = false;
  return (status) => {
    const current = store.get().connection;
    if (current === "ended") return;
    if (status === "reconnecting") {
      if (current === "reconnecting" || current === "lost") return;
      dropped = true;
      store.set({ connection: "reconnecting", droppedAt: now() });
      announce(t("connection.reconnecting"));
      lostTimer = setTimeout(() => {
        store.set({ connection: "lost" });
        alertNow(t("connection.lost_alert"));
      }, LOST_AFTER_MS);
      return;
    }
    clearTimeout(lostTimer);
    store.set({ connection: status });
    if (status === "connected" && dropped) {
      dropped = false;
      announce(t("connection.reconnected"));
    } else if (status === "ended") {
      // Say why first, then go to sign-in: a page that vanishes without a word looks like a crash.
      alertNow(t("connection.ended"));
      setTimeout(() => {
        window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
      }, SIGN_IN_AFTER_MS);
    }
  };
}

/** Show a notice (newest first) and say it: politely for info, assertively for warnings and errors. */
export function addNotice(store, { text, level = "info", id = null }) {
  const notice = { id: `${id ?? Date.now()}-${Math.random()}`, level, text };
  store.set({ notices: [notice, ...store.get().notices].slice(0, MAX_NOTICES) });
  if (level === "info") announce(text);
  else alertNow(text);
}

function serverNotice(store, data) {
  const key = data?.message_key;
  const text = key && hasMessage(key) ? t(key, data.params ?? {}) : t("notify.unknown");
  const level = ["info", "warning", "error"].includes(data?.level) ? data.level : "info";
  addNotice(store, { text, level, id: data?.seq });
}

/** Start the channel; `handlers` maps push events to functions, `onSnapshot` takes snapshots. */
export function startLive({ boot, store, handlers = {}, onSnapshot = () => {} }) {
  const channel = new Channel({
    path: boot.socket_path,
    onSnapshot: (snapshot) => {
      syncClock(snapshot.server_now);
      onSnapshot(snapshot);
    },
    onPush: (event, data) => {
      if (event === "notify") serverNotice(store, data);
      else handlers[event]?.(data);
    },
    onStatus: connectionTracker(store),
  });
  channel.start();
  return channel;
}

/** Remove one notice from the list (its Dismiss button). */
export function dismissNotice(store, id) {
  store.set({ notices: store.get().notices.filter((notice) => notice.id !== id) });
}
