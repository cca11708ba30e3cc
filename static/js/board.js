/** The supervisor's live board as data: `GET /api/supervisor/live`, then pushes applied in place.
 *
 * A board is `{now, queues, waiting, active, agents, decisions}` as the server sends it. Pushes
 * (`agent:state`, `routing:decision`, `routing:call`, `call:update`) change it at once; the page
 * also fetches the whole board again shortly after, which fills what a push does not carry
 * (a waiting caller's name, an agent's occupancy). A fetched board can be older than a push that
 * overtook it: an agent's state carries when it began, so the later of the two is kept.
 * Functions here are pure: they take a board and return a new one.
 */

const DECISIONS = 20;
const GONE = new Set(["gone", "rejected", "overflowed", "closed", "answered"]);
const ACTIVE = new Set(["ringing", "answered"]);

/** When an agent's current state began (its presence or its work, whichever changed last). */
function stamp(agent) {
  return Math.max(agent.since ?? 0, agent.work_since ?? 0);
}

/** A board fetched from the server, keeping agents' states that pushes showed newer. */
export function mergeFetched(current, fetched) {
  if (!current) return fetched;
  const known = new Map(current.agents.map((agent) => [agent.user_id, agent]));
  const agents = fetched.agents.map((agent) => {
    const local = known.get(agent.user_id);
    if (!local || stamp(local) <= stamp(agent)) return agent;
    return { ...agent, ...pick(local), queue: local.queue };
  });
  const ids = new Set(fetched.decisions.map((d) => d.id));
  const newer = current.decisions.filter((d) => !ids.has(d.id) && d.id > (fetched.decisions[0]?.id ?? 0));
  return { ...fetched, agents, decisions: [...newer, ...fetched.decisions].slice(0, DECISIONS) };
}

function pick(state) {
  const out = {};
  for (const field of ["presence", "reason", "since", "work", "call_id", "work_since", "missed_in_row"]) {
    if (field in state) out[field] = state[field];
  }
  return out;
}

/** `agent:state`: the agent's presence and work (with username and display name). */
export function applyAgentState(board, data) {
  if (!board) return board;
  const index = board.agents.findIndex((agent) => agent.user_id === data.user_id);
  const before = index >= 0 ? board.agents[index] : { user_id: data.user_id, occupancy: null, queue: null };
  const work = data.work ?? "idle";
  const queue = work === "idle" ? null : data.wrap_up?.queue ?? (before.call_id === data.call_id ? before.queue : null);
  const agent = {
    ...before,
    ...pick(data),
    username: data.username ?? before.username,
    display_name: data.display_name ?? before.display_name,
    queue,
  };
  const agents = [...board.agents];
  if (index >= 0) agents[index] = agent;
  else agents.push(agent);
  return { ...board, agents };
}

/** `routing:decision`: newest first, each once. */
export function applyDecision(board, decision) {
  if (!board || board.decisions.some((d) => d.id === decision.id)) return board;
  return { ...board, decisions: [decision, ...board.decisions].slice(0, DECISIONS) };
}

/** `routing:call`: a call starts or stops waiting or ringing an agent. */
export function applyRoutingCall(board, data, now) {
  if (!board) return board;
  const waiting = board.waiting
    .filter((call) => !(call.call_id === data.call_id && GONE.has(data.state)))
    .map((call) => {
      if (call.call_id !== data.call_id) return call;
      if (data.state === "ringing") {
        return { ...call, state: "ringing", agent_id: data.agent_id ?? null, ringing_since: now };
      }
      if (data.state === "waiting") return { ...call, state: "waiting", agent_id: null, ringing_since: null };
      return call;
    });
  return { ...board, waiting };
}

/** `call:update`: a call ringing or in progress joins the active list; one that is over leaves it. */
export function applyCallUpdate(board, call) {
  if (!board || !call) return board;
  const rest = board.active.filter((item) => item.call_id !== call.id);
  // Answered or over, the caller waits no more.
  const waiting = call.state === "ringing" ? board.waiting : board.waiting.filter((item) => item.call_id !== call.id);
  if (!ACTIVE.has(call.state)) return { ...board, active: rest, waiting };
  const before = board.active.find((item) => item.call_id === call.id) ?? {};
  const item = {
    ...before,
    call_id: call.id,
    state: call.state,
    direction: call.direction ?? before.direction,
    queue: call.queue ?? before.queue ?? null,
    agent_id: call.agent_id ?? before.agent_id ?? null,
    customer_id: call.customer_id ?? before.customer_id ?? null,
    customer_name: call.customer_name ?? before.customer_name ?? null,
    started_at: call.started_at ?? before.started_at,
    answered_at: call.answered_at ?? before.answered_at ?? null,
    on_hold: "on_hold_since" in call ? call.on_hold_since !== null : Boolean(before.on_hold),
    number_masked: call.number_masked ?? before.number_masked ?? null,
  };
  const active = [item, ...rest].sort((a, b) => (b.started_at ?? 0) - (a.started_at ?? 0));
  return { ...board, active, waiting };
}

/** True when a push names a call the board does not list, so only a fetch can fill it in. */
export function unknownCall(board, callId) {
  return Boolean(board) && !board.waiting.some((c) => c.call_id === callId) && !board.active.some((c) => c.call_id === callId);
}

/** Per queue: calls waiting (ringing an agent counts: the caller still waits) and since when the longest has. */
export function queueRows(board) {
  const rows = new Map(board.queues.map((queue) => [queue.key, { queue, waiting: 0, oldest: null }]));
  for (const call of board.waiting) {
    if (!rows.has(call.queue)) rows.set(call.queue, { queue: { key: call.queue, name: call.queue }, waiting: 0, oldest: null });
    const row = rows.get(call.queue);
    row.waiting += 1;
    if (row.oldest === null || call.enqueued_at < row.oldest) row.oldest = call.enqueued_at;
  }
  return [...rows.values()];
}

/** The service level target of a queue, in seconds, or null for a queue the board does not list. */
export function targetOf(board, key) {
  return board.queues.find((queue) => queue.key === key)?.service_level_s ?? null;
}
