/** The screen pop's controller: pushes and snapshots into the store, and what the agent does with a call.
 *
 * State it keeps in the store: `calls` (see calls.js), `shownId` (the call in the left column),
 * `popUi` (the new-customer form or the customer search of the shown call), `historyOpen`, and
 * `notes` (per call: the text being typed and whether it is saved). Notes are kept in
 * `sessionStorage` until the server has them, so a reload or a dropped link loses nothing.
 */
import { ApiError, getJSON, patchJSON, postJSON } from "./api.js";
import {
  applyAnswer,
  applyPop,
  applySnapshot,
  applyUpdate,
  callerKind,
  isOver,
  shownAfter,
  shownAfterSnapshot,
} from "./calls.js";
import { t } from "./i18n.js";
import { isEditable } from "./keys.js";
import { alertNow, announce } from "./notify.js";
import { syncClock } from "./ticker.js";

const NOTES_DELAY_MS = 800;
const SEARCH_DELAY_MS = 250;
const DRAFT = "callcenter.notes.";
const IDLE_UI = { mode: null, busy: false, error: null, query: "", results: null, searching: false };

function draftOf(id) {
  try {
    return sessionStorage.getItem(DRAFT + id);
  } catch {
    return null;
  }
}

function keepDraft(id, text) {
  try {
    sessionStorage.setItem(DRAFT + id, text);
  } catch {
    // Storage full or disabled: the text is still in the page and saves as usual.
  }
}

function dropDraft(id) {
  try {
    sessionStorage.removeItem(DRAFT + id);
  } catch {
    // Nothing to drop.
  }
}

function focusSoon(selector) {
  queueMicrotask(() => document.querySelector(selector)?.focus());
}

function problem(error) {
  if (error instanceof ApiError && error.status === 422) return t("pop.error.invalid");
  if (error instanceof ApiError && error.status === 404) return t("pop.error.gone");
  return t("pop.error.failed");
}

/** The controller; `draw()` paints synchronously (the pop must paint within 100 ms of arriving). */
export function createPop({ store, draw }) {
  const loadingCards = new Set();
  const notesTimers = new Map();
  let searchTimer = null;
  let searchSeq = 0;

  const state = () => store.get();
  const shown = () => {
    const { calls, shownId } = state();
    return shownId === null ? null : calls[shownId] ?? null;
  };

  function setShown(calls, shownId, extra = {}) {
    const changed = shownId !== state().shownId;
    store.set({ calls, shownId, ...(changed ? { popUi: IDLE_UI, historyOpen: false } : {}), ...extra });
  }

  /** Fetch the cards of calls linked to a customer whose card we lack (a recent call, a pick by a colleague). */
  function loadCards(calls) {
    for (const entry of Object.values(calls)) {
      const id = entry.call.customer_id;
      if (!id || entry.customer?.id === id || loadingCards.has(id)) continue;
      loadingCards.add(id);
      getJSON(`/api/customers/${id}/card`)
        .then((card) => {
          const next = { ...state().calls };
          for (const [key, other] of Object.entries(next)) {
            if (other.call.customer_id === id && other.customer?.id !== id) next[key] = { ...other, customer: card };
          }
          store.set({ calls: next });
        })
        .catch(() => {})
        .finally(() => loadingCards.delete(id));
    }
  }

  function restoreDrafts(calls) {
    const notes = { ...state().notes };
    let restored = false;
    for (const id of Object.keys(calls)) {
      if (notes[id]) continue;
      const text = draftOf(id);
      if (text === null || text === (calls[id].call.notes ?? "")) continue;
      notes[id] = { text, status: "draft" };
      restored = true;
      scheduleNotes(Number(id));
    }
    if (restored) store.set({ notes });
  }

  function answered(before, entry) {
    // The agent picked up: the card's heading takes focus, unless they are typing somewhere.
    if (before?.state === "answered" || entry.call.state !== "answered" || state().shownId !== entry.id) return;
    if (!isEditable(document.activeElement)) focusSoon("#call-heading");
  }

  /** `call:pop`: paint the card from the payload alone, at once. */
  function onPop(data) {
    performance.mark("pop-received");
    syncClock(data.server_now);
    const before = state().calls[data.call.id]?.call;
    const { calls, entry } = applyPop(state().calls, data);
    setShown(calls, shownAfter(calls, state().shownId, entry));
    draw();
    performance.mark("pop-painted");
    answered(before, entry);
    restoreDrafts({ [entry.id]: entry });
    loadCards({ [entry.id]: entry });
  }

  /** `call:update`: a state change; after a pick, the customer and match too. */
  function onUpdate(data) {
    const before = state().calls[data.call.id]?.call;
    const { calls, entry } = applyUpdate(state().calls, data);
    store.set({ calls });
    answered(before, entry);
    loadCards({ [entry.id]: entry });
  }

  /** A snapshot: recent calls and the live pops repaint the column, and a call still ringing rings. */
  function onSnapshot(snapshot) {
    const part = snapshot.state?.calls;
    if (!part) return;
    const calls = applySnapshot(state().calls, part, snapshot.server_now);
    setShown(calls, shownAfterSnapshot(calls, state().shownId));
    restoreDrafts(calls);
    loadCards(calls);
    retryNotes();
  }

  function show(id) {
    const entry = state().calls[id];
    if (!entry) return;
    setShown(state().calls, id);
    loadCards({ [id]: entry });
    if (!entry.popped) {
      getJSON(`/api/calls/${id}`)
        .then((view) => store.set({ calls: applyAnswer(state().calls, { call: view }).calls }))
        .catch(() => {});
    }
  }

  function linked(result, how) {
    const { calls } = applyAnswer(state().calls, result);
    store.set({ calls, popUi: IDLE_UI });
    announce(how === "created" ? t("pop.created", { name: result.customer.name })
      : t("pop.linked", { name: result.customer.name }));
    focusSoon("#customer-heading");
  }

  async function send(work) {
    const ui = state().popUi;
    if (ui.busy) return;
    store.set({ popUi: { ...ui, busy: true, error: null } });
    try {
      await work();
    } catch (error) {
      const message = problem(error);
      store.set({ popUi: { ...state().popUi, busy: false, error: message } });
      alertNow(message);
    }
  }

  function pick(index) {
    const entry = shown();
    const card = entry?.candidates?.[index - 1];
    if (!card) return false;
    send(async () => {
      linked(await postJSON(`/api/calls/${entry.id}/customer`, { customer_id: card.id }), "picked");
    });
    return true;
  }

  function openCreate() {
    store.set({ popUi: { ...IDLE_UI, mode: "create" } });
    focusSoon("#qc-name");
  }

  function openSearch() {
    store.set({ popUi: { ...IDLE_UI, mode: "search" } });
    focusSoon("#customer-search");
  }

  function closeForm() {
    const mode = state().popUi.mode;
    store.set({ popUi: IDLE_UI });
    focusSoon(mode === "search" ? "#add-existing" : callerKind(shown() ?? { call: {} }) === "several"
      ? "#candidates-none" : "#new-customer");
  }

  function submitCreate(event) {
    event?.preventDefault();
    const form = document.getElementById("quick-create");
    const entry = shown();
    if (!form || !entry) return;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    if (!name) {
      store.set({ popUi: { ...state().popUi, error: t("pop.create.name_required") } });
      alertNow(t("pop.create.name_required"));
      focusSoon("#qc-name");
      return;
    }
    const body = {
      name,
      language: String(data.get("language") ?? "") || null,
      company: String(data.get("company") ?? "").trim() || null,
    };
    send(async () => linked(await postJSON(`/api/calls/${entry.id}/customer/new`, body), "created"));
  }

  function search(query) {
    clearTimeout(searchTimer);
    const q = query.trim();
    store.set({ popUi: { ...state().popUi, query: q, searching: Boolean(q), results: q ? state().popUi.results : null } });
    if (!q) return;
    searchTimer = setTimeout(async () => {
      const mine = ++searchSeq;
      try {
        const page = await getJSON(`/api/customers?limit=9&q=${encodeURIComponent(q)}`);
        if (mine === searchSeq) store.set({ popUi: { ...state().popUi, results: page.items, searching: false } });
      } catch (error) {
        if (mine === searchSeq) store.set({ popUi: { ...state().popUi, searching: false, error: problem(error) } });
      }
    }, SEARCH_DELAY_MS);
  }

  function linkExisting(customer) {
    const entry = shown();
    if (!entry) return;
    send(async () => {
      const number = entry.call.number;
      if (number && !customer.phones?.some((phone) => phone.e164 === entry.match?.e164)) {
        const region = entry.match?.region_used;
        try {
          await postJSON(`/api/customers/${customer.id}/phones`, region ? { phone: number, region } : { phone: number });
        } catch (error) {
          // A number the customer cannot take (another's, or malformed) still lets the call be linked.
          if (!(error instanceof ApiError) || ![409, 422].includes(error.status)) throw error;
        }
      }
      linked(await postJSON(`/api/calls/${entry.id}/customer`, { customer_id: customer.id }), "picked");
    });
  }

  function setNotes(id, patch) {
    const notes = { ...state().notes };
    notes[id] = { ...(notes[id] ?? { text: "" }), ...patch };
    store.set({ notes });
  }

  async function saveNotes(id) {
    const current = state().notes[id];
    if (!current) return;
    const text = current.text;
    setNotes(id, { status: "saving" });
    try {
      const view = await patchJSON(`/api/calls/${id}`, { notes: text });
      const { calls } = applyAnswer(state().calls, { call: view });
      store.set({ calls });
      if (state().notes[id]?.text === text) {
        dropDraft(id);
        setNotes(id, { status: "saved" });
      }
    } catch {
      setNotes(id, { status: "failed" });
    }
  }

  function scheduleNotes(id) {
    clearTimeout(notesTimers.get(id));
    notesTimers.set(id, setTimeout(() => saveNotes(id), NOTES_DELAY_MS));
  }

  function notesInput(id, text) {
    keepDraft(id, text);
    setNotes(id, { text, status: state().notes[id]?.status === "failed" ? "failed" : null });
    scheduleNotes(id);
  }

  function retryNotes() {
    for (const [id, notes] of Object.entries(state().notes)) {
      if (notes.status === "failed" || notes.status === "draft") scheduleNotes(Number(id));
    }
  }

  const actions = {
    show,
    pick,
    none: openCreate,
    openCreate,
    openSearch,
    closeForm,
    submitCreate,
    search,
    linkExisting,
    notesInput,
    toggleHistory: () => store.set({ historyOpen: !state().historyOpen }),
  };

  /** Key handlers for the keymap; false means "not now", so the key may mean something else. */
  const keys = {
    newCustomer: () => {
      const entry = shown();
      if (!entry || state().popUi.mode || !["unknown", "several"].includes(callerKind(entry))) return false;
      openCreate();
    },
    pickCandidate: (key) => {
      const entry = shown();
      if (!entry || state().popUi.mode || callerKind(entry) !== "several") return false;
      return pick(key.digit);
    },
    noCandidate: () => {
      const entry = shown();
      if (!entry || state().popUi.mode || callerKind(entry) !== "several") return false;
      openCreate();
    },
    save: () => {
      const form = document.getElementById("quick-create");
      if (!form) return false;
      submitCreate();
    },
    escape: () => {
      if (!state().popUi.mode) return false;
      closeForm();
      return true;
    },
  };

  /** The customer's earlier calls: the pop's history, else what this console saw of them. */
  function history(entry) {
    if (!entry) return [];
    if (entry.history?.length) return entry.history;
    const id = entry.call.customer_id;
    if (!id) return [];
    return Object.values(state().calls)
      .filter((other) => other.id !== entry.id && other.call.customer_id === id && isOver(other.call))
      .map((other) => other.call)
      .sort((a, b) => (b.started_at ?? 0) - (a.started_at ?? 0))
      .slice(0, 10);
  }

  return { onPop, onUpdate, onSnapshot, actions, keys, shown, history, retryNotes };
}
