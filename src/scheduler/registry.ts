/**
 * Filter and priority registries (LiteIO's filter.RegisterFilter / priority.RegisterPriorityFunc). A later
 * registration under the same name replaces the earlier one, as in LiteIO.
 */
import { affinityFilter, basicFilter, minLocalStorageFilter } from './filters.js';
import type { PredicateFunc, PriorityFunc } from './filter-types.js';
import { leastResourcePriority, positionAdvicePriority } from './priorities.js';

const filters = new Map<string, PredicateFunc>([
  ['Basic', basicFilter],
  ['Affinity', affinityFilter],
  ['MinLocalStorage', minLocalStorageFilter],
]);
const priorities = new Map<string, PriorityFunc>([
  ['LeastResource', leastResourcePriority],
  ['PositionAdvice', positionAdvicePriority],
]);

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;

function checkName(kind: string, name: string, fn: unknown): void {
  if (!NAME_RE.test(name)) throw new Error(`${kind} name "${name}" is invalid: use letters, digits, "_", "." or "-"`);
  if (typeof fn !== 'function') throw new Error(`${kind} "${name}" must be a function`);
}

export function registerFilter(name: string, fn: PredicateFunc): void {
  checkName('filter', name, fn);
  filters.set(name, fn);
}

export function registerPriority(name: string, fn: PriorityFunc): void {
  checkName('priority', name, fn);
  priorities.set(name, fn);
}

export const getFilter = (name: string): PredicateFunc | undefined => filters.get(name);
export const getPriority = (name: string): PriorityFunc | undefined => priorities.get(name);
export const filterNames = (): string[] => [...filters.keys()].sort();
export const priorityNames = (): string[] => [...priorities.keys()].sort();
