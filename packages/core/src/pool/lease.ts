import type { ProxyInfo } from '../proxy.js';
import type { Session } from '../session.js';

/** What a lease gives its session back to (the pool's backend). */
export interface LeaseOwner {
    releaseLease(lease: SessionLease): void;
    proxyInfoOf(lease: SessionLease): ProxyInfo | undefined;
}

/**
 * One use of a session. Hold it while the request runs, judge the session through `lease.session`
 * (markGood / markBad / retire / coolDown), then `release()` exactly once.
 */
export class SessionLease {
    readonly session: Session;
    /** The lease's id in a shared store (it expires unless renewed: a dead worker's leases come back); undefined in-process. */
    readonly leaseId: string | undefined;
    /** @internal The backend's record of the session (its bookkeeping lives there, not on the Session). */
    readonly _entry: unknown;
    private readonly owner: LeaseOwner;
    private _released = false;

    /** @internal */
    constructor(owner: LeaseOwner, session: Session, { leaseId, entry }: { leaseId?: string; entry?: unknown } = {}) {
        this.owner = owner;
        this.session = session;
        this.leaseId = leaseId;
        this._entry = entry;
    }

    get released(): boolean {
        return this._released;
    }

    get proxyUrl(): string | undefined {
        return this.session.proxyUrl;
    }

    get proxyInfo(): ProxyInfo | undefined {
        return this.owner.proxyInfoOf(this);
    }

    /** Gives the session back. Idempotent: returns false when already released. */
    release(): boolean {
        if (this._released) return false;
        this._released = true;
        this.owner.releaseLease(this);
        return true;
    }
}
