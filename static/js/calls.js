/** The calls the console knows: pops, updates and snapshots merged into one entry per call.
 *
 * An entry is the pop's shape (`call`, `match`, `customer`, `candidates`, `history`, …) plus
 * `asOf`, the server time its call view is true at. Pushes can arrive out of order with a
 * snapshot (a replayed pop after a snapshot that already shows the call ended), so a call view
 * older than the entry's is not applied; the pop's other parts still fill what is missing.
 * Functions here are pure: they take the calls object and return a new one.
 */

const RINGING_STATES = new Set(["queued", "ringing"]);
const LIVE_STATES = new Set(["queued", "ringing", "answered"]);
const POP_PARTS = ["candidates", "history", "earlier_leg", "tickets", "last_survey", "callbacks", "answers"];
const RECENT = 20;

/** True while the call rings (or waits in a queue for this agent). */
export const isRinging = (call) => RINGING_STATES.has(call?.state);

/** True while the call can still be answered or is in progress. */
export const isLive = (call) => LIVE_STATES.has(call?.state);

/** True for a call that is over, whatever the outcome. */
export const isOver = (call) => Boolean(call) && !isLive(call);

/** No calls yet. */
export function emptyCalls() {
  return {};
}

function hasContent(value) {
  return Array.isArray(value) ? value.length > 0 : value !== null && value !== undefined;
}

/** The match a call view or push carries, the top-level one first. */
function matchOf(data) {
  return data.match ?? data.call?.match ?? null;
}

function linked(match) {
  return match && !["several", "none", "withheld"].includes(match.kind);
}

/** Merge one message about a call into its entry; `asOf` is when its call view was true. */
function merge(entry, data, asOf) {
  const fresh = !entry || asOf >= entry.asOf;
  const next = entry ? { ...entry } : { id: data.call.id, asOf, customer: null, match: null };
  for (const part of POP_PARTS) {
    if (part in data && (fresh || !hasContent(next[part]))) next[part] = data[part];
  }
  if (fresh) {
    next.call = { ...(entry?.call ?? {}), ...data.call };
    next.asOf = asOf;
    const match = matchOf(data);
    if (match) next.match = match;
    if ("customer" in data && (data.customer || !linked(next.match))) next.customer = data.customer;
  } else if (!next.customer && data.customer) {
    next.customer = data.customer;
  }
  // Once the agent picked or created the caller, there is nobody left to choose from.
  if (linked(next.match) && next.customer) next.candidates = [];
  if (next.customer && next.call.customer_id && next.customer.id !== next.call.customer_id) next.customer = null;
  return next;
}

/** Apply `call:pop`; returns the new calls and the entry. */
export function applyPop(calls, data) {
  const entry = merge(calls[data.call.id], { ...data, popped: true }, data.at ?? data.server_now ?? 0);
  entry.popped = true;
  return { calls: { ...calls, [entry.id]: entry }, entry };
}

/** Apply `call:update` (a state change, or after a pick the customer and match too). */
export function applyUpdate(calls, data) {
  const entry = merge(calls[data.call.id], data, data.at ?? 0);
  return { calls: { ...calls, [entry.id]: entry }, entry };
}

const PROGRESS = { queued: 0, ringing: 1, answered: 2 };
const LIFECYCLE = ["state", "answered_at", "ended_at", "talk_s", "wait_s", "hold_s", "on_hold_since", "cause",
  "voicemail", "agent_id", "agent_name"];
const progress = (call) => PROGRESS[call?.state] ?? 3;

/** Apply a REST answer about a call (`PATCH`, a pick, a quick create).
 *
 * An answer carries no push time, and a push may have overtaken it; so it fills in the customer,
 * match and notes, but never moves the call back in its life (ended stays ended).
 */
export function applyAnswer(calls, data) {
  const entry = calls[data.call.id];
  if (!entry) return applyUpdate(calls, { ...data, at: 0 });
  const call = { ...data.call };
  if (progress(entry.call) > progress(call)) for (const field of LIFECYCLE) call[field] = entry.call[field];
  return applyUpdate(calls, { ...data, call, at: entry.asOf });
}

/** Apply the snapshot's `calls` part: recent call views and live pops, true at `serverNow`. */
export function applySnapshot(calls, part, serverNow) {
  let next = { ...calls };
  for (const view of part?.recent ?? []) next[view.id] = merge(next[view.id], { call: view }, serverNow);
  for (const pop of part?.live ?? []) {
    const entry = merge(next[pop.call.id], pop, serverNow);
    entry.popped = true;
    next[entry.id] = entry;
  }
  return next;
}

function startOf(entry) {
  return entry.call.started_at ?? entry.call.ringing_at ?? 0;
}

/** The recent calls, newest first. */
export function recentList(calls, limit = RECENT) {
  return Object.values(calls)
    .sort((a, b) => startOf(b) - startOf(a) || b.id - a.id)
    .slice(0, limit);
}

/** Calls ringing for this agent now, oldest first. */
export function ringingList(calls) {
  return Object.values(calls)
    .filter((entry) => isRinging(entry.call))
    .sort((a, b) => startOf(a) - startOf(b));
}

/** Which call the left column shows after `incoming` arrived: a ring replaces anything but a call in progress. */
export function shownAfter(calls, shownId, incoming) {
  const shown = shownId === null ? null : calls[shownId];
  if (!shown || shown.id === incoming.id) return incoming.id;
  if (shown.call.state === "answered") return shown.id;
  if (isRinging(incoming.call)) return incoming.id;
  return isOver(shown.call) && isLive(incoming.call) ? incoming.id : shown.id;
}

/** The call to show after a (re)load: the one shown if still known, else a live one. */
export function shownAfterSnapshot(calls, shownId) {
  if (shownId !== null && calls[shownId]) return shownId;
  const live = Object.values(calls).filter((entry) => isLive(entry.call));
  const answered = live.find((entry) => entry.call.state === "answered");
  return (answered ?? live.sort((a, b) => startOf(b) - startOf(a))[0])?.id ?? null;
}

/** How the caller is known: customer, candidates, unknown number, or withheld. */
export function callerKind(entry) {
  if (entry.customer) return "customer";
  const kind = entry.match?.kind;
  if (kind === "withheld") return "withheld";
  if (kind === "several" && entry.candidates?.length) return "several";
  if (entry.call.customer_id) return "loading";
  return "unknown";
}
