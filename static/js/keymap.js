/** The keyboard map as data: keys.js acts on it and the `?` overlay lists it.
 *
 * A key matches on `code` (the physical key, so pinyin and other layouts agree) or, for
 * symbols that move between layouts, on `key`. `ctrl` marks a chord, which acts inside fields
 * too; single keys act outside editable fields only, and can be switched off.
 */

const digits = Array.from({ length: 9 }, (_, i) => [
  { code: `Digit${i + 1}`, digit: i + 1 },
  { code: `Numpad${i + 1}`, digit: i + 1 },
]).flat();
const chordDigits = digits.map((key) => ({ ...key, ctrl: true, shift: true }));
const zero = [
  { code: "Digit0", digit: 0 },
  { code: "Numpad0", digit: 0 },
];

export const KEYMAP = [
  {
    action: "available",
    keys: [{ code: "KeyA" }],
    caps: ["A"],
    label: "keys.available",
    when: "keys.when.outside_fields",
  },
  {
    action: "away",
    keys: [{ code: "KeyP" }],
    caps: ["P"],
    label: "keys.away",
    when: "keys.when.outside_fields",
  },
  {
    action: "pick",
    keys: digits,
    caps: ["1–9"],
    label: "keys.pick_reason",
    when: "keys.when.reasons_open",
  },
  {
    action: "pickDisposition",
    keys: digits,
    caps: ["1–9"],
    label: "keys.pick_disposition",
    when: "keys.when.wrap_up",
  },
  {
    action: "pickDisposition",
    keys: chordDigits,
    caps: ["Ctrl+Shift+1…9"],
    label: "keys.pick_disposition",
    when: "keys.when.wrap_up_anywhere",
  },
  {
    action: "pickCandidate",
    keys: digits,
    caps: ["1–9"],
    label: "keys.pick_candidate",
    when: "keys.when.candidates",
  },
  {
    action: "noCandidate",
    keys: zero,
    caps: ["0"],
    label: "keys.no_candidate",
    when: "keys.when.candidates",
  },
  {
    action: "newCustomer",
    keys: [{ code: "KeyN" }],
    caps: ["N"],
    label: "keys.new_customer",
    when: "keys.when.unknown_caller",
  },
  {
    action: "wrapUpDone",
    keys: [
      { code: "Enter", ctrl: true },
      { code: "NumpadEnter", ctrl: true },
    ],
    caps: ["Ctrl+Enter"],
    label: "keys.wrap_up_done",
    when: "keys.when.wrap_up_anywhere",
  },
  {
    action: "save",
    keys: [
      { code: "Enter", ctrl: true },
      { code: "NumpadEnter", ctrl: true },
    ],
    caps: ["Ctrl+Enter"],
    label: "keys.save",
    when: "keys.when.form",
  },
  {
    action: "shortcuts",
    keys: [{ key: "?" }],
    caps: ["?"],
    label: "keys.shortcuts",
    when: "keys.when.outside_fields",
  },
  {
    action: "escape",
    keys: [{ code: "Escape", anywhere: true }],
    caps: ["Esc"],
    label: "keys.escape",
    when: "keys.when.anywhere",
  },
];
