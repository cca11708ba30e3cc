/** The page's state in one object; views subscribe and redraw once per batch of changes. */

/** A store holding `initial`; `set` merges a patch, subscribers run once per microtask. */
export function createStore(initial) {
  let state = initial;
  let scheduled = false;
  const subscribers = new Set();

  function publish() {
    scheduled = false;
    for (const subscriber of subscribers) subscriber(state);
  }

  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(publish);
      }
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
  };
}
