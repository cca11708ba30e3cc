/** Wrap-up after a call: the outcome (disposition), notes and Done, to the server's deadline.
 *
 * The server puts the agent in wrap-up when their call ends and takes them out of it, either
 * when they send `agent:wrap_up` or when its deadline (`wrap_up.due_at`) passes. The panel shows
 * while the agent's state says wrap-up and closes when it no longer does, so a timeout, a Done
 * from another tab and a Done from here all end it the same way. Notes are the call's own notes
 * (saved as they are typed, kept in the tab until saved); Done sends them with the outcome.
 *
 * Store: `wrapUi` = `{callId, choice, busy, error: {field, text} | null, warned, sending, done}`; `sending`
 * and `done` hold what to say once the wrap-up closes (the push that closes it may beat the ack).
 */
import { t } from "./i18n.js";
import { alertNow, announce } from "./notify.js";
import { clock, spokenDuration } from "./format.js";
import { wrapUpLeft } from "./agentstate.js";
import { now } from "./ticker.js";

const THROTTLE_MS = 1000;
const WARN_MS = 10_000;
/** Within this much of the deadline a wrap-up that ends was ended by the deadline. */
const DEADLINE_SLACK_MS = 2000;

export const IDLE_WRAP = { callId: null, choice: null, busy: false, error: null, warned: false, sending: null, done: null };

/** The label of a disposition in the page's language (admin data carries both). */
export function dispositionLabel(disposition, locale) {
  return locale === "zh-Hans" && disposition.label_zh ? disposition.label_zh : disposition.label;
}

/** The dispositions an agent may choose, in order. */
export function choices(agent) {
  return (agent?.wrap_up?.dispositions ?? [])
    .filter((d) => d.enabled !== false)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
}

/** The call the agent is wrapping up, or null. */
export function wrappingCall(agent) {
  return agent?.work === "wrap_up" && agent.wrap_up ? agent.wrap_up.call_id : null;
}

function focusSoon(selector) {
  queueMicrotask(() => document.querySelector(selector)?.focus());
}

/**
 * @param {object} options
 * @param {object} options.store the console's store (`agent`, `wrapUi`, `notes`, `calls`).
 * @param {object} options.channel the live channel (`live`, `request`).
 * @param {string} options.locale the page's locale, for disposition labels.
 * @param {(state: object) => void} options.onState applies a state the server answered with.
 * @param {(id: number) => string} options.notesOf the call's notes as the agent last typed them.
 * @param {(text: string, level: string) => void} options.notice adds a notice to the page.
 */
export function createWrapUp({ store, channel, locale, onState, notesOf, notice }) {
  let lastSubmit = 0;
  const ui = () => store.get().wrapUi;
  const setUi = (patch) => store.set({ wrapUi: { ...ui(), ...patch } });

  /** The agent's state changed (push, snapshot or ack): open, keep or close the panel. */
  function stateChanged(previous, next, speak) {
    const before = wrappingCall(previous);
    const current = wrappingCall(next);
    if (current !== null && current !== ui().callId) {
      store.set({ wrapUi: { ...IDLE_WRAP, callId: current } });
      if (speak) {
        const left = wrapUpLeft(next, now());
        announce(left === null ? t("wrapup.started_no_limit") : t("wrapup.started", { time: spokenDuration(left) }));
      }
      return;
    }
    if (before !== null && current === null) closed(previous);
  }

  function closed(previous) {
    const state = ui();
    const inside = document.getElementById("wrap-up-panel")?.contains(document.activeElement);
    store.set({ wrapUi: IDLE_WRAP });
    const said = state.done ?? state.sending;
    if (said) {
      announce(said);
    } else {
      const due = previous.wrap_up?.due_at;
      const timedOut = typeof due === "number" && now() >= due - DEADLINE_SLACK_MS;
      const text = timedOut ? t("wrapup.timed_out") : t("wrapup.ended_elsewhere");
      notice(text, timedOut ? "warning" : "info");
    }
    if (inside) focusSoon("#call-heading");
  }

  /** Once a second: say once that the time is nearly up. */
  function tick(at) {
    const agent = store.get().agent;
    if (wrappingCall(agent) === null || ui().warned) return;
    const left = wrapUpLeft(agent, at);
    if (left !== null && left <= WARN_MS && left > 0) {
      setUi({ warned: true });
      announce(t("wrapup.ending_soon", { time: clock(left) }));
    }
  }

  function choose(id) {
    setUi({ choice: id, error: ui().error?.field === "disposition" ? null : ui().error });
  }

  async function submit(event) {
    event?.preventDefault();
    const agent = store.get().agent;
    const callId = wrappingCall(agent);
    if (callId === null) return false;
    if (!channel.live) {
      alertNow(t("wrapup.error.offline"));
      return true;
    }
    if (ui().busy || Date.now() - lastSubmit < THROTTLE_MS) return true;
    lastSubmit = Date.now();
    const choice = ui().choice;
    const chosen = choices(agent).find((d) => d.id === choice);
    const said = chosen ? t("wrapup.done_with", { outcome: dispositionLabel(chosen, locale) }) : t("wrapup.done");
    setUi({ busy: true, error: null, sending: said });
    const notes = notesOf(callId);
    const ack = await channel.request("agent:wrap_up", {
      call_id: callId,
      disposition_id: choice,
      notes: notes === null || notes === undefined ? null : notes,
    });
    const open = ui().callId === callId;
    if (ack?.ok && ack.state) {
      if (open) setUi({ busy: false, sending: null, done: said });
      onState(ack.state);
    } else if (open) {
      failed(ack?.error);
    }
    return true;
  }

  function failed(error) {
    const fields = error?.fields ?? [];
    const on = (name) => fields.some((f) => (f.loc ?? []).includes(name));
    let problem;
    if (on("disposition_id")) {
      problem = { field: "disposition", text: t("wrapup.error.disposition") };
      focusSoon("#wrap-up-panel input[name=disposition]:checked, #wrap-up-panel input[name=disposition]");
    } else if (on("notes")) {
      problem = { field: "notes", text: t("wrapup.error.notes") };
      focusSoon("#wrap-up-notes, #call-notes");
    } else if (error?.code === "conflict") {
      problem = { field: "form", text: t("wrapup.error.over") };
    } else {
      problem = { field: "form", text: t("wrapup.error.failed") };
    }
    setUi({ busy: false, sending: null, error: problem });
    alertNow(problem.text);
  }

  const keys = {
    /** 1–9 outside fields: choose that outcome. */
    pick(key) {
      const list = choices(store.get().agent);
      if (wrappingCall(store.get().agent) === null || !list.length || key.digit < 1 || key.digit > list.length) {
        return false;
      }
      choose(list[key.digit - 1].id);
      return true;
    },
    /** Ctrl+Enter: Done. */
    done() {
      if (wrappingCall(store.get().agent) === null) return false;
      submit();
      return true;
    },
  };

  return { stateChanged, tick, choose, submit, keys };
}

