/**
 * A hashed hierarchical timer wheel over integer ticks: O(1) insert and
 * remove, expiry by jumping straight to a tick, and the earliest entry for
 * arming one timer. Time and tasks are the scheduler's business, not its.
 *
 * Level `L` has 64 slots of 64^L ticks each. An entry sits at the highest
 * level where its tick's base-64 digit differs from the current tick's, in
 * the slot of that digit. When the current tick reaches a slot's start, the
 * slot's entries move down a level (or expire), so each entry moves at most
 * once per level. Nine levels cover every safe integer tick.
 *
 * @module
 */
import { byDueOrder, type Entry } from "./_entry.ts";

const SLOTS = 64;
const LEVELS = 9;
/** SPAN[L] = ticks covered by one slot of level L. */
const SPAN: readonly number[] = Array.from({ length: LEVELS + 1 }, (_, level) => SLOTS ** level);

/** The wheel: holds entries until their tick, by identity. */
export class TimerWheel {
  #slots: Set<Entry>[][] = Array.from(
    { length: LEVELS },
    () => Array.from({ length: SLOTS }, () => new Set<Entry>()),
  );
  #counts: number[] = new Array(LEVELS).fill(0);
  #size = 0;
  #current: number;

  /**
   * @param current The tick the wheel starts at; entries at or before it are due.
   */
  constructor(current: number) {
    this.#current = current;
  }

  /** How many entries the wheel holds. */
  get size(): number {
    return this.#size;
  }

  /** The last tick the wheel was advanced to. */
  get current(): number {
    return this.#current;
  }

  /**
   * Moves an empty wheel to another tick, e.g. after a long idle spell.
   *
   * @param current The new current tick.
   */
  reset(current: number): void {
    if (this.#size === 0) this.#current = current;
  }

  /**
   * Puts an entry in the slot for its `tick`.
   *
   * @param entry The entry; it must not be in a wheel.
   * @returns `false`, storing nothing, when the entry is already due.
   */
  insert(entry: Entry): boolean {
    const tick = entry.tick;
    if (tick <= this.#current) return false;
    const level = levelOf(tick, this.#current);
    const slot = this.#slots[level][slotOf(tick, level)];
    slot.add(entry);
    entry.slot = slot;
    entry.level = level;
    this.#counts[level]++;
    this.#size++;
    return true;
  }

  /**
   * Takes an entry out of the wheel.
   *
   * @param entry The entry.
   * @returns Whether it was in the wheel.
   */
  remove(entry: Entry): boolean {
    if (entry.slot === undefined || !entry.slot.delete(entry)) return false;
    entry.slot = undefined;
    this.#counts[entry.level]--;
    this.#size--;
    return true;
  }

  /**
   * Moves the current tick forward to `to`, cascading the slots it passes.
   *
   * @param to The new current tick; nothing happens unless it is later.
   * @returns The entries whose tick is at or before `to`, in no order; they
   * are no longer in the wheel.
   */
  advance(to: number): Entry[] {
    const from = this.#current;
    if (to <= from) return [];
    this.#current = to;
    if (this.#size === 0) return [];
    const moved: Entry[] = [];
    for (let level = 0; level < LEVELS; level++) {
      // The slot starts passed at this level: multiples of SPAN[level] in (from, to].
      const first = Math.floor(from / SPAN[level]) + 1;
      const passed = Math.floor(to / SPAN[level]) - first + 1;
      if (passed <= 0) break; // no higher level has a start in range either
      if (this.#counts[level] === 0) continue;
      for (let i = 0; i < Math.min(passed, SLOTS); i++) {
        this.#empty(level, mod(first + i, SLOTS), moved);
      }
    }
    const expired: Entry[] = [];
    for (const entry of moved) {
      if (!this.insert(entry)) expired.push(entry);
    }
    return expired;
  }

  /**
   * Takes every entry out of the wheel.
   *
   * @returns The entries, in no order.
   */
  drain(): Entry[] {
    const all: Entry[] = [];
    for (let level = 0; level < LEVELS; level++) {
      if (this.#counts[level] === 0) continue;
      for (let slot = 0; slot < SLOTS; slot++) this.#empty(level, slot, all);
    }
    return all;
  }

  /**
   * Finds the entry due first (by `dueAt`, then `seq`). Costs one pass over
   * the first non-empty slot of the lowest non-empty level, whose entries
   * cascade as soon as the wheel reaches the returned entry's tick.
   *
   * @returns The earliest entry, or `undefined` when the wheel is empty.
   */
  first(): Entry | undefined {
    for (let level = 0; level < LEVELS; level++) {
      if (this.#counts[level] === 0) continue;
      // Occupied slots of a level lie after the current tick's digit there.
      const digit = slotOf(this.#current, level);
      for (let i = 1; i <= SLOTS; i++) {
        const slot = this.#slots[level][mod(digit + i, SLOTS)];
        if (slot.size > 0) return earliest(slot);
      }
    }
    return undefined;
  }

  #empty(level: number, index: number, into: Entry[]): void {
    const slot = this.#slots[level][index];
    if (slot.size === 0) return;
    for (const entry of slot) {
      entry.slot = undefined;
      into.push(entry);
    }
    this.#counts[level] -= slot.size;
    this.#size -= slot.size;
    slot.clear();
  }
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

function slotOf(tick: number, level: number): number {
  return mod(Math.floor(tick / SPAN[level]), SLOTS);
}

/** The highest level where the base-64 digits of `tick` and `current` differ. */
function levelOf(tick: number, current: number): number {
  const delta = tick - current;
  let level = 0;
  while (level < LEVELS - 1 && delta >= SPAN[level + 1]) level++;
  // The delta fixes the level up to a carry into the next digit.
  if (
    level < LEVELS - 1 &&
    Math.floor(tick / SPAN[level + 1]) !== Math.floor(current / SPAN[level + 1])
  ) level++;
  return level;
}

function earliest(slot: Set<Entry>): Entry | undefined {
  let best: Entry | undefined;
  for (const entry of slot) {
    if (best === undefined || byDueOrder(entry, best) < 0) best = entry;
  }
  return best;
}
