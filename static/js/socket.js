/** The live channel: Socket.IO pushes applied in `seq` order, with a snapshot on every (re)connect.
 *
 * Every numbered push carries the user's next `seq`. On connect the channel fetches
 * `/api/console/snapshot?since=<last applied seq>`; `reset` replaces the whole state, then the
 * listed pushes apply, then socket pushes continue at last+1. A push that skips a number means
 * something was missed, so the channel asks for a snapshot again; a repeated number is dropped.
 * Several pushes the server sends at once for this user come as one `pushes` message, a list of
 * `{event, data}` in `seq` order; each applies as if it had come alone.
 */
import { io } from "../vendor/socket.io-client/dist/socket.io.esm.min.js";
import { ApiError, getJSON } from "./api.js";

const SNAPSHOT_URL = "/api/console/snapshot";
const ACK_TIMEOUT_MS = 8000;
const RETRY_MS = 3000;
const BUNDLE = "pushes";

export class Channel {
  /**
   * @param {object} options
   * @param {string} options.path Socket.IO path from the boot data.
   * @param {(snapshot: object) => void} options.onSnapshot a snapshot arrived (check `reset`).
   * @param {(event: string, data: object) => void} options.onPush one push, in order.
   * @param {(status: string) => void} options.onStatus connecting|connected|reconnecting|ended.
   * @param {Function} [options.connect] makes the Socket.IO socket (a test passes a fake).
   */
  constructor({ path, onSnapshot, onPush, onStatus, connect = io }) {
    this.onSnapshot = onSnapshot;
    this.onPush = onPush;
    this.onStatus = onStatus;
    this.lastSeq = null;
    this.syncing = true;
    this.busy = false;
    this.syncAgain = false;
    this.buffer = [];
    this.ended = false;
    // WebSocket first: one request per connection, so several nodes need no sticky routing for it.
    // Where a proxy blocks WebSockets, `tryAllTransports` falls back to HTTP long-polling.
    this.socket = connect({
      path, autoConnect: false, withCredentials: true,
      transports: ["websocket", "polling"], tryAllTransports: true,
    });
    this.socket.on("connect", () => this.resync());
    this.socket.on("disconnect", (reason) => this.dropped(reason));
    this.socket.on("connect_error", () => this.refused());
    this.socket.on("session:ended", () => this.end());
    this.socket.onAny((event, data) => {
      if (event === BUNDLE) for (const push of data) this.receive(push.event, push.data);
      else if (event !== "session:ended") this.receive(event, data);
    });
  }

  /** Open the connection. */
  start() {
    this.onStatus("connecting");
    this.socket.connect();
  }

  /** True while pushes flow and requests can be sent. */
  get live() {
    return this.socket.connected && !this.syncing && !this.ended;
  }

  /** Send a client → server event and wait for its ack `{ok, ...}`. */
  async request(event, data) {
    if (!this.socket.connected) return { ok: false, error: { code: "not_connected" } };
    try {
      return await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, data);
    } catch {
      return { ok: false, error: { code: "timeout" } };
    }
  }

  receive(event, data) {
    if (this.syncing) this.buffer.push([event, data]);
    else this.apply(event, data);
  }

  apply(event, data) {
    const seq = data?.seq;
    if (typeof seq !== "number") {
      this.onPush(event, data);
    } else if (this.lastSeq !== null && seq <= this.lastSeq) {
      // Already applied: the snapshot listed it, or it was sent twice.
    } else if (this.lastSeq === null || seq === this.lastSeq + 1) {
      this.lastSeq = seq;
      this.onPush(event, data);
    } else {
      this.syncing = true;
      this.buffer.push([event, data]);
      this.resync();
    }
  }

  async resync() {
    if (this.ended) return;
    if (this.busy) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    this.busy = true;
    let snapshot;
    try {
      const query = this.lastSeq === null ? "" : `?since=${this.lastSeq}`;
      snapshot = await getJSON(`${SNAPSHOT_URL}${query}`);
    } catch (error) {
      this.busy = false;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) this.end();
      else if (this.socket.connected) setTimeout(() => this.resync(), RETRY_MS);
      return;
    }
    this.load(snapshot);
    this.busy = false;
    if (this.syncAgain) {
      this.syncAgain = false;
      this.resync();
    } else if (this.socket.connected && !this.ended) {
      this.onStatus("connected");
    }
  }

  load(snapshot) {
    if (snapshot.reset) this.lastSeq = null;
    this.onSnapshot(snapshot);
    for (const push of snapshot.pushes) this.apply(push.event, push.data);
    if (this.syncAgain) return;
    if (this.lastSeq === null || this.lastSeq < snapshot.seq) this.lastSeq = snapshot.seq;
    this.syncing = false;
    const buffered = this.buffer;
    this.buffer = [];
    for (const [event, data] of buffered) this.receive(event, data);
  }

  dropped(reason) {
    this.syncing = true;
    if (this.ended) return;
    this.onStatus("reconnecting");
    // The server closed this socket on purpose without ending the session (a restart, a
    // kick): Socket.IO will not retry by itself, so ask whether the session still stands.
    if (reason === "io server disconnect") this.refused();
  }

  async refused() {
    if (this.ended || this.socket.active) return;
    this.onStatus("reconnecting");
    try {
      await getJSON(`${SNAPSHOT_URL}?since=${this.lastSeq ?? 0}`);
      setTimeout(() => this.socket.connect(), RETRY_MS);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) this.end();
      else setTimeout(() => this.refused(), RETRY_MS);
    }
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    this.socket.disconnect();
    this.onStatus("ended");
  }
}
