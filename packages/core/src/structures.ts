import type { Session } from './session.js';

// Both structures are intrusive: the links live on the Session itself, so adding, removing and
// rotating sessions allocates nothing and removal from the middle is O(1) (list) or O(log n) (heap).

/** Sessions ready to be handed out, least recently used first. */
export class AvailableList {
    head: Session | undefined = undefined;
    tail: Session | undefined = undefined;
    size = 0;

    push(session: Session): void {
        session._prev = this.tail;
        session._next = undefined;
        if (this.tail) this.tail._next = session;
        else this.head = session;
        this.tail = session;
        session._slot = 1;
        this.size += 1;
    }

    remove(session: Session): void {
        const { _prev: prev, _next: next } = session;
        if (prev) prev._next = next;
        else this.head = next;
        if (next) next._prev = prev;
        else this.tail = prev;
        session._prev = undefined;
        session._next = undefined;
        session._slot = 0;
        this.size -= 1;
    }

    /** Moves a session to the back of the line (it was just used). */
    rotate(session: Session): void {
        if (this.tail === session) return;
        this.remove(session);
        this.push(session);
    }
}

/** Sessions resting after a rate limit, ordered by `cooldownUntilMs`. */
export class CoolingHeap {
    private readonly items: Session[] = [];

    get size(): number {
        return this.items.length;
    }

    peek(): Session | undefined {
        return this.items[0];
    }

    push(session: Session): void {
        session._slot = 2;
        session._heapIndex = this.items.length;
        this.items.push(session);
        this.up(session._heapIndex);
    }

    pop(): Session | undefined {
        const top = this.items[0];
        if (top) this.removeAt(0);
        return top;
    }

    remove(session: Session): void {
        if (session._heapIndex >= 0 && this.items[session._heapIndex] === session) this.removeAt(session._heapIndex);
    }

    /** Re-sorts a session whose `cooldownUntilMs` changed while it was in the heap. */
    update(session: Session): void {
        this.up(session._heapIndex);
        this.down(session._heapIndex);
    }

    private removeAt(index: number): void {
        const removed = this.items[index]!;
        const last = this.items.pop()!;
        removed._heapIndex = -1;
        removed._slot = 0;
        if (index < this.items.length) {
            this.items[index] = last;
            last._heapIndex = index;
            this.up(index);
            this.down(last._heapIndex);
        }
    }

    private up(index: number): void {
        const { items } = this;
        const item = items[index]!;
        while (index > 0) {
            const parentIndex = (index - 1) >> 1;
            const parent = items[parentIndex]!;
            if (parent.cooldownUntilMs <= item.cooldownUntilMs) break;
            items[index] = parent;
            parent._heapIndex = index;
            index = parentIndex;
        }
        items[index] = item;
        item._heapIndex = index;
    }

    private down(index: number): void {
        const { items } = this;
        const length = items.length;
        const item = items[index]!;
        for (;;) {
            const left = 2 * index + 1;
            if (left >= length) break;
            const right = left + 1;
            const child = right < length && items[right]!.cooldownUntilMs < items[left]!.cooldownUntilMs ? right : left;
            if (items[child]!.cooldownUntilMs >= item.cooldownUntilMs) break;
            items[index] = items[child]!;
            items[index]!._heapIndex = index;
            index = child;
        }
        items[index] = item;
        item._heapIndex = index;
    }
}
