/** One 1 s interval for every timer on the page, on server time (offset from `server_now`). */

let offset = 0;
let timer = null;
const listeners = new Set();

/** Align the page's clock with the server's, from a `server_now` it sent. */
export function syncClock(serverNow) {
  if (typeof serverNow === "number") offset = serverNow - Date.now();
}

/** The server's current time in epoch milliseconds, as best this page knows it. */
export function now() {
  return Date.now() + offset;
}

function tick() {
  const at = now();
  for (const listener of listeners) listener(at);
}

/** Call `listener(now)` every second; background tabs are throttled, so redraw on return. */
export function onTick(listener) {
  listeners.add(listener);
  if (timer === null) {
    timer = setInterval(tick, 1000);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) tick();
    });
  }
  return () => listeners.delete(listener);
}
