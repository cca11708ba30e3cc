/** Entry module of the agent console (`/`): wires the store, the channel, the views and the keys. */
import { render } from "../vendor/lit-html/lit-html.js";
import { readBoot } from "./boot.js";
import { initChrome } from "./chrome.js";
import { initI18n } from "./i18n.js";
import { installKeys, isEditable } from "./keys.js";
import { KEYMAP } from "./keymap.js";
import { dismissNotice, startLive } from "./live.js";
import { Sound } from "./notify.js";
import { REASONS, createPresence, showPresence } from "./presence.js";
import { createStore } from "./store.js";
import { now, onTick, syncClock } from "./ticker.js";
import { connectionBand } from "./views/connection.js";
import { noticeList } from "./views/notices.js";
import { initShortcuts } from "./views/shortcuts.js";
import { statusBar } from "./views/statusbar.js";
import { initTabs } from "./views/tabs.js";

const boot = readBoot();
initI18n(boot.locale, boot.messages);
syncClock(boot.server_now);
initChrome();
initTabs();

const store = createStore({
  me: boot.user,
  presence: null,
  connection: "connecting",
  reasonsOpen: false,
  pending: false,
  droppedAt: null,
  notices: [],
});
const sound = new Sound();

const channel = startLive({
  boot,
  store,
  onSnapshot: (snapshot) => {
    if (snapshot.reset && snapshot.state?.presence) showPresence(store, snapshot.state.presence, false);
  },
  handlers: {
    "agent:state": (data) => {
      if (data.user_id === store.get().me.id) showPresence(store, data, true);
    },
  },
});
const presence = createPresence({ channel, store });
const openShortcuts = initShortcuts(KEYMAP);

function focusAwayToggle() {
  document.getElementById("away-toggle")?.focus();
}

function openReasons() {
  store.set({ reasonsOpen: true });
  queueMicrotask(() => document.querySelector("#away-reasons button")?.focus());
}

function closeReasons() {
  store.set({ reasonsOpen: false });
  queueMicrotask(focusAwayToggle);
}

const actions = {
  available: () => {
    sound.unlock();
    presence.available();
  },
  away: (reason) => {
    presence.away(reason);
    queueMicrotask(focusAwayToggle);
  },
  toggleReasons: () => (store.get().reasonsOpen ? closeReasons() : openReasons()),
  toggleSound: () => {
    if (sound.enabled && sound.blocked) sound.unlock();
    else sound.toggle();
    // The audio context resumes asynchronously; redraw once it has.
    setTimeout(draw, 100);
    draw();
  },
  openShortcuts: () => openShortcuts(),
};

installKeys(KEYMAP, {
  available: () => actions.available(),
  away: () => openReasons(),
  pick: (key) => {
    if (!store.get().reasonsOpen || key.digit > REASONS.length) return false;
    actions.away(REASONS[key.digit - 1]);
  },
  shortcuts: () => openShortcuts(),
  escape: (key, event) => {
    if (document.querySelector("dialog[open]")) return false;
    if (store.get().reasonsOpen) return closeReasons();
    if (isEditable(event.target)) return event.target.blur();
    return false;
  },
});

document.addEventListener("click", (event) => {
  if (store.get().reasonsOpen && !event.target.closest(".away-menu")) store.set({ reasonsOpen: false });
});

const bar = document.getElementById("statusbar");
const band = document.getElementById("connection-band");
const notices = document.getElementById("notices");

function draw() {
  const state = store.get();
  // While the link is down the timers stop where they were: they may no longer be true.
  const at = state.connection === "connected" || !state.droppedAt ? now() : state.droppedAt;
  render(statusBar(state, { live: channel.live, now: at, sound, actions }), bar);
  render(connectionBand(state.connection), band);
  render(noticeList(state.notices, (id) => dismissNotice(store, id)), notices);
}

store.subscribe(draw);
onTick(draw);
draw();
