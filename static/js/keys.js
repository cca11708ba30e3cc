/** Keyboard shortcuts from the keymap: IME-safe, single keys outside fields only. */

const SINGLE_KEYS = "callcenter.single-keys";

/** Whether single-key shortcuts are on (a setting, for layouts where they get in the way). */
export function singleKeysOn() {
  return localStorage.getItem(SINGLE_KEYS) !== "off";
}

/** Switch single-key shortcuts on or off for this browser. */
export function setSingleKeys(on) {
  localStorage.setItem(SINGLE_KEYS, on ? "on" : "off");
}

/** True for fields that take typing, where a letter must stay a letter. */
export function isEditable(element) {
  if (!(element instanceof HTMLElement)) return false;
  if (element.isContentEditable || element instanceof HTMLTextAreaElement) return true;
  if (element instanceof HTMLSelectElement) return true;
  if (!(element instanceof HTMLInputElement)) return false;
  return !["button", "checkbox", "radio", "submit", "reset", "range", "color"].includes(element.type);
}

function matches(key, event) {
  if (key.key !== undefined) return event.key === key.key && !event.ctrlKey && !event.metaKey;
  const ctrl = event.ctrlKey || event.metaKey;
  return event.code === key.code && ctrl === Boolean(key.ctrl) && event.shiftKey === Boolean(key.shift);
}

/** Listen for the keymap's keys; `handlers[action](key, event)` returns false when it did nothing.
 *
 * One key can mean several things in different moments (1–9 picks an away reason or a caller):
 * the bindings are tried in keymap order until a handler takes the key.
 */
export function installKeys(keymap, handlers) {
  document.addEventListener("keydown", (event) => {
    // 229: the key went to an input method editor (pinyin), not to us.
    if (event.isComposing || event.keyCode === 229 || event.altKey) return;
    for (const binding of keymap) {
      const key = binding.keys.find((candidate) => matches(candidate, event));
      if (!key) continue;
      const chord = key.ctrl || key.anywhere;
      if (!chord && (isEditable(event.target) || !singleKeysOn())) return;
      // A modal dialog owns the keyboard; it closes itself on Esc.
      if (document.querySelector("dialog[open]") && binding.action !== "escape") return;
      const handler = handlers[binding.action];
      if (!handler || handler(key, event) === false) continue;
      event.preventDefault();
      return;
    }
  });
}
