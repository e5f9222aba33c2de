// How eagerly V8 lets the heap grow. Under full load the worker allocates fast (facts, request and
// response bodies, result rows for every match); left to its own heuristics V8 answers that rate
// by growing the old generation to about twice the live data and more, and peak RSS passes the
// worker's memory target. Growing by half the live size after each full collection keeps it under
// the target for a little more worker CPU (figures in docs/performance.md, "Memory").
import { setFlagsFromString } from 'node:v8';

/** The heap growing factor the worker runs with, as V8's --heap-growing-percent. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets --heap-growing-percent for this process, unless the node command line already chose one
 * (an operator's own setting wins). Returns the flag it set, or null.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): string | null {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return null;
  const flag = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  // V8 reads this factor whenever it sizes the heap after a full collection, so setting it at
  // startup (before any load) takes effect; NODE_OPTIONS does not accept it.
  setFlagsFromString(flag);
  return flag;
}
