/** An ordered list of field names with an index for lookups by name. */
export class Fields {
  readonly names: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(names: readonly string[]) {
    this.names = [...names];
    this.index = new Map(this.names.map((n, i) => [n, i]));
  }

  get size(): number {
    return this.names.length;
  }

  contains(name: string): boolean {
    return this.index.has(name);
  }

  /** Position of `name`, or -1. */
  indexOf(name: string): number {
    return this.index.get(name) ?? -1;
  }

  /** The values of `selected`, in that order, picked out of `values` laid out as these fields. */
  select(selected: Fields | readonly string[], values: readonly unknown[]): unknown[] {
    const names = selected instanceof Fields ? selected.names : selected;
    return names.map((n) => values[this.indexOf(n)]);
  }

  toJSON(): readonly string[] {
    return this.names;
  }
}
