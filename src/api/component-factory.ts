/**
 * How a component definition becomes one instance per task. Storm deserializes a fresh copy of the
 * component object for every task; here a definition may be an instance (copied per task), a class
 * (constructed per task) or a factory function (called per task).
 */
export type ComponentDefinition<T> = T | (new () => T) | (() => T);

function isClass(f: unknown): f is new () => unknown {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

export function toFactory<T extends object>(def: ComponentDefinition<T>): () => T {
  if (isClass(def)) return () => new (def as new () => T)();
  if (typeof def === 'function') return def as () => T;
  return () => copyComponent(def);
}

/**
 * A per-task copy of a component instance: same prototype; plain data (arrays, plain objects,
 * Maps, Sets, Dates, typed arrays) deep-copied so tasks share no mutable state; other objects
 * (class instances, functions, connections) shared by reference, as collaborators.
 */
export function copyComponent<T extends object>(instance: T): T {
  const copy = Object.create(Object.getPrototypeOf(instance) as object | null) as T;
  for (const key of Reflect.ownKeys(instance)) {
    const desc = Object.getOwnPropertyDescriptor(instance, key);
    if (desc === undefined) continue;
    if ('value' in desc) desc.value = copyData(desc.value);
    Object.defineProperty(copy, key, desc);
  }
  return copy;
}

function copyData(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const proto: unknown = Object.getPrototypeOf(v);
  const plain =
    Array.isArray(v) ||
    proto === Object.prototype ||
    proto === null ||
    v instanceof Map ||
    v instanceof Set ||
    v instanceof Date ||
    ArrayBuffer.isView(v);
  if (!plain) return v;
  try {
    return structuredClone(v);
  } catch {
    // Plain containers holding functions or class instances cannot be cloned whole; share them.
    return v;
  }
}
