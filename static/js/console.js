/** Entry module of the agent console (`/`): wires the store, the channel, the views and the keys. */
import { render } from "../vendor/lit-html/lit-html.js";
import { readBoot } from "./boot.js";
import { initChrome } from "./chrome.js";
import { initI18n, t } from "./i18n.js";
import { recentList, ringingList } from "./calls.js";
import { ringAlert, ringDetails, who } from "./callwords.js";
import { installKeys, isEditable } from "./keys.js";
import { KEYMAP } from "./keymap.js";
import { addNotice, dismissNotice, startLive } from "./live.js";
import { Sound } from "./notify.js";
import { createPop } from "./pop.js";
import { REASONS, createPresence, showPresence } from "./presence.js";
import { createRinger } from "./ring.js";
import { createStore } from "./store.js";
import { now, onTick, syncClock } from "./ticker.js";
import { IDLE_WRAP, createWrapUp, wrappingCall } from "./wrapup.js";
import { callCard } from "./views/callcard.js";
import { connectionBand } from "./views/connection.js";
import { customerPanel } from "./views/customer.js";
import { noticeList } from "./views/notices.js";
import { recentCalls } from "./views/recent.js";
import { initShortcuts } from "./views/shortcuts.js";
import { statusBar } from "./views/statusbar.js";
import { initTabs } from "./views/tabs.js";
import { missedCallsBand } from "./views/workband.js";
import { wrapUpPanel } from "./views/wrapup.js";

const boot = readBoot();
initI18n(boot.locale, boot.messages);
syncClock(boot.server_now);
initChrome();
initTabs();

const store = createStore({
  me: boot.user,
  agent: null,
  wrapUi: IDLE_WRAP,
  connection: "connecting",
  reasonsOpen: false,
  pending: false,
  droppedAt: null,
  notices: [],
  calls: {},
  shownId: null,
  popUi: { mode: null, busy: false, error: null, query: "", results: null, searching: false },
  historyOpen: false,
  notes: {},
});
const sound = new Sound();
const pop = createPop({ store, draw: () => draw() });
const ringer = createRinger({
  sound,
  who,
  alert: ringAlert,
  details: ringDetails,
  open: (id) => {
    pop.actions.show(id);
    queueMicrotask(() => document.getElementById("call-heading")?.focus());
  },
});

/** The agent's state from the server (snapshot, push or ack): the chip, the band and the wrap-up follow it. */
/** Calls the server rang this agent for and then stopped ringing them for. */
const released = new Set();

function applyAgent(state, speak) {
  const before = store.get().agent;
  if (before?.work === "ringing" && before.call_id != null
      && !(state.work === "ringing" && state.call_id === before.call_id)) {
    released.add(before.call_id);
  }
  const { previous, next } = showPresence(store, state, speak);
  wrapUp.stateChanged(previous, next, speak);
}

const channel = startLive({
  boot,
  store,
  onSnapshot: (snapshot) => {
    if (snapshot.reset && snapshot.state?.presence) applyAgent(snapshot.state.presence, false);
    pop.onSnapshot(snapshot);
  },
  handlers: {
    "agent:state": (data) => {
      if (data.user_id === store.get().me.id) applyAgent(data, true);
    },
    "call:pop": (data) => pop.onPop(data),
    "call:update": (data) => pop.onUpdate(data),
  },
});
const presence = createPresence({ channel, store, onState: (state) => applyAgent(state, true) });
const wrapUp = createWrapUp({
  store,
  channel,
  locale: boot.locale,
  onState: (state) => applyAgent(state, true),
  notesOf: (id) => notesText(id),
  notice: (text, level) => addNotice(store, { text, level }),
});

/** A call's notes as the agent last typed them, else as the server has them. */
function notesText(id) {
  const typed = store.get().notes[id];
  if (typed) return typed.text;
  return store.get().calls[id]?.call.notes ?? null;
}
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
    ringer.askPermission();
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
  pickDisposition: (key) => wrapUp.keys.pick(key),
  wrapUpDone: (key, event) => {
    // Ctrl+Enter in the new-customer form saves that form.
    if (event.target instanceof Element && event.target.closest("#quick-create")) return false;
    return wrapUp.keys.done();
  },
  shortcuts: () => openShortcuts(),
  escape: (key, event) => {
    if (document.querySelector("dialog[open]")) return false;
    if (store.get().reasonsOpen) return closeReasons();
    if (pop.keys.escape()) return undefined;
    if (isEditable(event.target)) return event.target.blur();
    return false;
  },
  pickCandidate: pop.keys.pickCandidate,
  noCandidate: pop.keys.noCandidate,
  newCustomer: pop.keys.newCustomer,
  save: pop.keys.save,
});

document.addEventListener("click", (event) => {
  if (store.get().reasonsOpen && !event.target.closest(".away-menu")) store.set({ reasonsOpen: false });
});

const bar = document.getElementById("statusbar");
const workBand = document.getElementById("work-band");
const wrapSlot = document.getElementById("wrap-up");
const band = document.getElementById("connection-band");
const notices = document.getElementById("notices");
const card = document.getElementById("call-card");
const panel = document.getElementById("customer-panel");
const recent = document.getElementById("recent-calls");
// The server's empty lines stand until the first paint; lit renders these columns from then on.
for (const node of [card, panel, recent]) node.replaceChildren();

function draw() {
  const state = store.get();
  // While the link is down the timers stop where they were: they may no longer be true.
  const at = state.connection === "connected" || !state.droppedAt ? now() : state.droppedAt;
  render(statusBar(state, { live: channel.live, now: at, sound, actions }), bar);
  render(connectionBand(state.connection), band);
  render(missedCallsBand(state.agent, { live: channel.live, available: actions.available }), workBand);
  render(noticeList(state.notices, (id) => dismissNotice(store, id)), notices);
  const shown = pop.shown();
  const wrapId = wrappingCall(state.agent);
  const ringing = ringingList(state.calls);
  const others = ringing.filter((entry) => entry.id !== state.shownId);
  const popActions = { ...pop.actions, toggleSound: actions.toggleSound };
  render(callCard(shown, { now: now(), notes: shown ? state.notes[shown.id] : null, others, sound, actions: popActions }), card);
  render(wrapUpPanel(state.agent, {
    now: at, ui: state.wrapUi, locale: boot.locale, live: channel.live,
    who: wrapId === null ? "" : state.calls[wrapId] ? who(state.calls[wrapId]) : t("wrapup.call", { id: wrapId }),
    // The card above has the call's notes when it shows that call; otherwise the panel brings them.
    notes: wrapId === null || shown?.id === wrapId ? null : { ...(state.notes[wrapId] ?? {}), text: notesText(wrapId) ?? "" },
    actions: { choose: wrapUp.choose, submit: wrapUp.submit, notesInput: pop.actions.notesInput },
  }), wrapSlot);
  render(customerPanel(shown, {
    now: now(), me: state.me, ui: state.popUi, history: pop.history(shown), historyOpen: state.historyOpen,
    actions: popActions,
  }), panel);
  render(recentCalls(recentList(state.calls), { now: now(), shownId: state.shownId, open: pop.actions.show }), recent);
  // A call the server stopped ringing this agent for (a ring timeout, the call moved to a
  // colleague) keeps its card until it ends, but the tone and alerts stop.
  ringer.sync(ringing.filter((entry) => !released.has(entry.id)));
}

store.subscribe(draw);
onTick((at) => {
  wrapUp.tick(at);
  draw();
});
draw();
