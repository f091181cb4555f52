// JSX in a plain .js file, optional chaining, nullish assignment, private
// fields, static blocks, top-level await, regex with named groups.
import React, { useState } from "react";

export const List = ({ items = [], onPick }) => {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        {open ? "close" : "open"}
      </button>
      {open && (
        <ul className="list">
          {items.map((item) => (
            <li key={item?.id ?? item.name} onClick={() => onPick?.(item)}>
              {item.label || <em>untitled</em>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
};

class Counter {
  #count = 0;
  static #instances = 0;
  static {
    Counter.#instances ??= 0;
  }
  get count() {
    return this.#count;
  }
  increment() {
    this.#count += 1;
    return #count in this;
  }
}

const config = await import("./config.js").catch(() => ({}));
const m = /(?<year>\d{4})-(?<month>\d{2})/u.exec("2024-05")?.groups?.year;
const big = 1_000_000n ** 2n;
label: for (const [k, v] of Object.entries(config)) {
  if (v) continue label;
}
export default { List, Counter, m, big };
