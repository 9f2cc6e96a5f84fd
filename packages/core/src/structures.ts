import type { ProxyEntry } from './proxy.js';
import type { Session } from './session.js';

/**
 * The in-process backend's record of one session: where it is (free list, cooling heap, or held by leases),
 * its leases and its route. One object per session, owned by the backend: the Session itself carries no pool
 * bookkeeping.
 */
export class SessionEntry {
    _prev: SessionEntry | undefined = undefined;
    _next: SessionEntry | undefined = undefined;
    _heapIndex = -1;
    /** Position in the available list's array (random picks); -1 when not listed. */
    _listIndex = -1;
    /** `timesBenched` of its route when the session was bound to it: a later bench burns the session. */
    readonly routeEpoch: number;
    // slot (bits 0-1), warm (bit 2) and leases (bits 3+) in one small integer: an entry per session costs
    // the pool less memory than the fields did on Session.
    private bits = 0;

    constructor(
        readonly session: Session,
        readonly route: ProxyEntry,
    ) {
        this.routeEpoch = route.timesBenched;
    }

    /** 0 = held by leases, 1 = in the available list, 2 = in the cooling heap, 3 = retired. */
    get _slot(): number {
        return this.bits & 3;
    }

    set _slot(slot: number) {
        this.bits = (this.bits & ~3) | slot;
    }

    /** Completed at least one use: safe to share between concurrent leases. */
    get warm(): boolean {
        return (this.bits & 4) !== 0;
    }

    set warm(warm: boolean) {
        this.bits = warm ? this.bits | 4 : this.bits & ~4;
    }

    get leases(): number {
        return this.bits >> 3;
    }

    set leases(leases: number) {
        this.bits = (this.bits & 7) | (leases << 3);
    }
}

// Both structures are intrusive: the links live on the entries, so adding, removing and rotating sessions
// allocates nothing and removal from the middle is O(1) (list) or O(log n) (heap).

/**
 * Sessions ready to be handed out, least recently used first. The entries are also kept in an array (swap-remove),
 * so the 'random' reuse strategy picks one in O(1) too.
 */
export class AvailableList {
    head: SessionEntry | undefined = undefined;
    tail: SessionEntry | undefined = undefined;
    private readonly items: SessionEntry[] = [];

    get size(): number {
        return this.items.length;
    }

    push(session: SessionEntry): void {
        session._prev = this.tail;
        session._next = undefined;
        if (this.tail) this.tail._next = session;
        else this.head = session;
        this.tail = session;
        session._slot = 1;
        session._listIndex = this.items.length;
        this.items.push(session);
    }

    remove(session: SessionEntry): void {
        const { _prev: prev, _next: next } = session;
        if (prev) prev._next = next;
        else this.head = next;
        if (next) next._prev = prev;
        else this.tail = prev;
        session._prev = undefined;
        session._next = undefined;
        session._slot = 0;
        const last = this.items.pop()!;
        if (last !== session) {
            last._listIndex = session._listIndex;
            this.items[session._listIndex] = last;
        }
        session._listIndex = -1;
    }

    /** The listed session at `index` (0 <= index < size), in no particular order. */
    at(index: number): SessionEntry {
        return this.items[index]!;
    }

    /** Moves a session to the back of the line (it was just used). */
    rotate(session: SessionEntry): void {
        if (this.tail === session) return;
        this.remove(session);
        this.push(session);
    }
}

/** Sessions resting after a rate limit, ordered by their `cooldownUntilMs`. */
export class CoolingHeap {
    private readonly items: SessionEntry[] = [];

    get size(): number {
        return this.items.length;
    }

    peek(): SessionEntry | undefined {
        return this.items[0];
    }

    push(session: SessionEntry): void {
        session._slot = 2;
        session._heapIndex = this.items.length;
        this.items.push(session);
        this.up(session._heapIndex);
    }

    pop(): SessionEntry | undefined {
        const top = this.items[0];
        if (top) this.removeAt(0);
        return top;
    }

    remove(session: SessionEntry): void {
        if (session._heapIndex >= 0 && this.items[session._heapIndex] === session) this.removeAt(session._heapIndex);
    }

    /** Re-sorts a session whose `cooldownUntilMs` changed while it was in the heap. */
    update(session: SessionEntry): void {
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
            if (parent.session.cooldownUntilMs <= item.session.cooldownUntilMs) break;
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
            const child = right < length && items[right]!.session.cooldownUntilMs < items[left]!.session.cooldownUntilMs ? right : left;
            if (items[child]!.session.cooldownUntilMs >= item.session.cooldownUntilMs) break;
            items[index] = items[child]!;
            items[index]!._heapIndex = index;
            index = child;
        }
        items[index] = item;
        item._heapIndex = index;
    }
}
