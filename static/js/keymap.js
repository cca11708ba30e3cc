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
