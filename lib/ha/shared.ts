/** One shared, reference-counted connection per key (broker or HA instance): the last release closes it. */
export class SharedPool<T> {
  private readonly items = new Map<string, { value: T; users: number }>();

  constructor(private readonly close: (value: T) => Promise<void> | void) {}

  /** A lease on the item for `key` (made with `create` when there is none); `release()` once when done. */
  acquire(key: string, create: () => T): { value: T; release: () => Promise<void> } {
    let item = this.items.get(key);
    if (!item) {
      item = { value: create(), users: 0 };
      this.items.set(key, item);
    }
    item.users++;
    const it = item;
    let released = false;
    return {
      value: it.value,
      release: async () => {
        if (released) return;
        released = true;
        if (--it.users > 0) return;
        if (this.items.get(key) === it) this.items.delete(key);
        await this.close(it.value);
      },
    };
  }
}
