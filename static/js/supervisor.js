/** Entry module of the supervisor wallboard (`/supervisor`): the live board, kept current by pushes.
 *
 * On every (re)connect the board is fetched whole (`GET /api/supervisor/live`); pushes to the
 * supervisors' room then change it in place at once, and a fetch at most once a second after
 * them fills in what a push does not carry. Times tick from server timestamps.
 */
import { render } from "../vendor/lit-html/lit-html.js";
import { ApiError, getJSON, postJSON } from "./api.js";
import {
  applyAgentState,
  applyCallUpdate,
  applyDecision,
  applyRoutingCall,
  mergeFetched,
} from "./board.js";
import { readBoot } from "./boot.js";
import { initChrome } from "./chrome.js";
import { initI18n, t } from "./i18n.js";
import { dismissNotice, startLive } from "./live.js";
import { alertNow, announce } from "./notify.js";
import { presenceLabel, reasonLabel } from "./presence.js";
import { createStore } from "./store.js";
import { now, onTick, syncClock } from "./ticker.js";
import {
  STATE_CHOICES,
  activeTable,
  agentTable,
  agentTools,
  agentsTile,
  changeDialog,
  decisionList,
  namer,
  queueTable,
  waitingTable,
  waitingTile,
} from "./views/board.js";
import { connectionBand } from "./views/connection.js";
import { noticeList } from "./views/notices.js";
import { trapFocus } from "./views/shortcuts.js";
import { statusBar } from "./views/statusbar.js";

const LIVE_URL = "/api/supervisor/live";
const REFRESH_MS = 1000;

const boot = readBoot();
initI18n(boot.locale, boot.messages);
syncClock(boot.server_now);
initChrome();

const store = createStore({
  me: boot.user,
  connection: "connecting",
  droppedAt: null,
  notices: [],
  board: null,
  loadFailed: false,
  filter: "all",
  dialog: null,
});

// --- the board: fetched whole, then changed by pushes ------------------------------------------------

let fetching = false;
let fetchAgain = false;
let refreshTimer = null;
let lastFetch = 0;

async function refresh() {
  if (fetching) {
    fetchAgain = true;
    return;
  }
  fetching = true;
  lastFetch = Date.now();
  try {
    const fetched = await getJSON(LIVE_URL);
    syncClock(fetched.now);
    store.set({ board: mergeFetched(store.get().board, fetched), loadFailed: false });
  } catch (error) {
    if (!(error instanceof ApiError) || store.get().board === null) store.set({ loadFailed: true });
  } finally {
    fetching = false;
    if (fetchAgain) {
      fetchAgain = false;
      later();
    }
  }
}

/** Fetch again soon: at most once a second, and once more if pushes came during a fetch. */
function later() {
  if (fetching) {
    fetchAgain = true;
    return;
  }
  if (refreshTimer !== null) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh();
  }, Math.max(0, REFRESH_MS - (Date.now() - lastFetch)));
}

function change(apply) {
  store.set({ board: apply(store.get().board) });
  later();
}

const channel = startLive({
  boot,
  store,
  onSnapshot: () => refresh(),
  handlers: {
    "agent:state": (data) => change((board) => applyAgentState(board, data)),
    "routing:decision": (data) => change((board) => applyDecision(board, data)),
    "routing:call": (data) => change((board) => applyRoutingCall(board, data, now())),
    "call:update": (data) => change((board) => applyCallUpdate(board, data?.call)),
  },
});

// --- changing an agent's state ------------------------------------------------------------------------

const dialog = document.getElementById("agent-state-dialog");
let opener = null;
dialog.addEventListener("keydown", (event) => trapFocus(dialog, event));
dialog.addEventListener("close", () => {
  store.set({ dialog: null });
  const back = opener;
  opener = null;
  // The row may have been redrawn meanwhile: find its button again by the agent it belongs to.
  const id = back?.dataset.changeState;
  (document.querySelector(`[data-change-state="${id}"]`) ?? back)?.focus();
});

function currentChoice(agent) {
  const found = STATE_CHOICES.find(
    (choice) => choice.presence === agent.presence && (choice.reason ?? null) === (agent.presence === "away" ? agent.reason : null),
  );
  return found ? `${found.presence}:${found.reason ?? ""}` : null;
}

const actions = {
  openChange(agent, button) {
    opener = button;
    store.set({ dialog: { agentId: agent.user_id, choice: currentChoice(agent), busy: false, error: null } });
    draw();
    dialog.showModal();
    (dialog.querySelector("input[name=state]:checked") ?? dialog.querySelector("input[name=state]"))?.focus();
  },
  chooseChange(value) {
    store.set({ dialog: { ...store.get().dialog, choice: value, error: null } });
  },
  closeChange() {
    dialog.close();
  },
  async submitChange(event) {
    event.preventDefault();
    const state = store.get().dialog;
    if (!state || state.busy) return;
    if (!state.choice) {
      store.set({ dialog: { ...state, error: t("wallboard.change.choose") } });
      return;
    }
    const [presence, reason] = state.choice.split(":");
    store.set({ dialog: { ...state, busy: true, error: null } });
    try {
      const answer = await postJSON(`/api/agents/${state.agentId}/presence`, { presence, reason: reason || null });
      const names = namer(store.get().board, boot.locale);
      const name = names.agent(state.agentId);
      store.set({ board: applyAgentState(store.get().board, answer) });
      dialog.close();
      announce(t("wallboard.change.done", {
        name,
        state: presence === "away" ? t("wallboard.change.away", { reason: reasonLabel(reason) }) : presenceLabel(presence),
      }));
    } catch (error) {
      const text = error instanceof ApiError && error.status === 404 ? t("wallboard.change.gone") : t("wallboard.change.failed");
      store.set({ dialog: { ...store.get().dialog, busy: false, error: text } });
      alertNow(text);
    }
  },
  setFilter(filter) {
    store.set({ filter });
  },
};

// --- drawing ------------------------------------------------------------------------------------------

const bar = document.getElementById("statusbar");
const band = document.getElementById("connection-band");
const notices = document.getElementById("notices");
const slots = {
  waitingTile: document.getElementById("tile-waiting-body"),
  agentsTile: document.getElementById("tile-agents-body"),
  queues: document.querySelector("#queue-table tbody"),
  waiting: document.querySelector("#waiting-table tbody"),
  active: document.querySelector("#active-table tbody"),
  agentTools: document.getElementById("agent-tools"),
  agents: document.querySelector("#agent-board tbody"),
  decisions: document.getElementById("decisions"),
  loadError: document.getElementById("board-error"),
};
// The server's "Loading…" lines stand until the first paint; lit renders these parts from then on.
for (const node of Object.values(slots)) node.replaceChildren();

function draw() {
  const state = store.get();
  // While the link is down the timers stop where they were: they may no longer be true.
  const at = state.connection === "connected" || !state.droppedAt ? now() : state.droppedAt;
  const board = state.board;
  const names = namer(board, boot.locale);
  const ctx = { now: at, names, filter: state.filter, actions };
  render(statusBar(state, { live: channel.live, presence: false, shortcuts: false }), bar);
  render(connectionBand(state.connection), band);
  render(noticeList(state.notices, (id) => dismissNotice(store, id)), notices);
  render(state.loadFailed ? t("wallboard.load_failed") : "", slots.loadError);
  render(waitingTile(board, at), slots.waitingTile);
  render(agentsTile(board), slots.agentsTile);
  render(queueTable(board, ctx), slots.queues);
  render(waitingTable(board, ctx), slots.waiting);
  render(activeTable(board, ctx), slots.active);
  render(agentTools(state.filter, actions.setFilter), slots.agentTools);
  render(agentTable(board, ctx), slots.agents);
  render(decisionList(board, ctx), slots.decisions);
  render(changeDialog(state.dialog, { names, actions }), dialog);
  document.querySelector(".wallboard")?.classList.toggle("is-stale", state.connection !== "connected");
}

store.subscribe(draw);
onTick(draw);
draw();
