/**
 * Many sites give each visitor a budget of pages and block it after that. When sessions keep being blocked
 * after (nearly) the same number of uses, that number is the budget: the pool learns it and retires sessions
 * as they reach it, so the block — and the request it wastes — never happens. Blocks on a session's first
 * uses say something about its IP or fingerprint, not about a budget, and are ignored; scattered samples
 * teach nothing.
 */
export class UsageLimitLearner {
    /** Uses after which sessions are retired, once learned. */
    limit: number | undefined = undefined;
    private readonly samples: number[] = [];
    private next = 0;

    constructor(
        private readonly capacity = 9,
        private readonly minAgreeing = 3,
        private readonly tolerance = 0.1,
    ) {}

    /** A session was blocked after `usageCount` uses. Returns true when this changed the learned limit. */
    recordBlock(usageCount: number): boolean {
        if (usageCount < 2) return false;
        if (this.samples.length < this.capacity) this.samples.push(usageCount);
        else this.samples[this.next] = usageCount;
        this.next = (this.next + 1) % this.capacity;
        if (this.samples.length < this.minAgreeing) return false;
        const sorted = [...this.samples].sort((a, b) => a - b);
        const median = sorted[sorted.length >> 1]!;
        const slack = Math.max(1, Math.floor(median * this.tolerance));
        const agreeing = sorted.filter((sample) => Math.abs(sample - median) <= slack);
        // Most recent blocks must tell the same story; an odd ban mid-way does not unlearn the budget.
        if (agreeing.length < this.minAgreeing || agreeing.length * 3 < sorted.length * 2) return false;
        const learned = agreeing[0]!;
        if (learned === this.limit) return false;
        this.limit = learned;
        return true;
    }
}
