import { InvalidOptionError } from '@sessionkit/core';
import { type RequestLike, type Request, toRequest } from './request.js';

export interface AddRequestsResult {
    added: number;
    duplicates: number;
}

/** In-memory FIFO of requests, deduplicated by `uniqueKey`. */
export class RequestQueue {
    private readonly pending: Request[] = [];
    private head = 0;
    private readonly seen = new Set<string>();
    private inProgress = 0;
    handledCount = 0;

    /** Validates every input first, so one bad URL rejects the batch before anything is queued. */
    /** `option` names the input in errors (`requestList`, `requests`). */
    addRequests(inputs: Iterable<RequestLike>, option = 'requests'): AddRequestsResult {
        checkRequestInputs(option, inputs);
        const requests = [...inputs].map((input, index) => {
            try {
                return toRequest(input);
            } catch (error) {
                (error as Error).message = `Request #${index}: ${(error as Error).message}`;
                throw error;
            }
        });
        let added = 0;
        let duplicates = 0;
        for (const request of requests) {
            if (this.seen.has(request.uniqueKey)) {
                duplicates += 1;
                continue;
            }
            this.seen.add(request.uniqueKey);
            this.pending.push(request);
            added += 1;
        }
        return { added, duplicates };
    }

    addRequest(input: RequestLike): AddRequestsResult {
        return this.addRequests([input]);
    }

    fetchNext(): Request | undefined {
        if (this.head >= this.pending.length) return undefined;
        const request = this.pending[this.head]!;
        this.pending[this.head] = undefined as unknown as Request;
        this.head += 1;
        if (this.head > 1024 && this.head * 2 > this.pending.length) {
            this.pending.splice(0, this.head);
            this.head = 0;
        }
        this.inProgress += 1;
        return request;
    }

    /** Puts a request back for another attempt. */
    reclaim(request: Request): void {
        this.inProgress -= 1;
        this.pending.push(request);
    }

    markHandled(): void {
        this.inProgress -= 1;
        this.handledCount += 1;
    }

    get pendingCount(): number {
        return this.pending.length - this.head;
    }

    get inProgressCount(): number {
        return this.inProgress;
    }

    isFinished(): boolean {
        return this.pendingCount === 0 && this.inProgress === 0;
    }
}

/** A string is iterable too, but a URL given where a list belongs would be crawled one character at a time. */
export function checkRequestInputs(option: string, inputs: unknown): asserts inputs is Iterable<RequestLike> {
    const iterable = inputs !== null && typeof inputs === 'object' && typeof (inputs as Iterable<unknown>)[Symbol.iterator] === 'function';
    if (!iterable) throw new InvalidOptionError(option, inputs, 'must be an iterable (e.g. an array) of URL strings or request objects');
}
