import { describe, expect, it } from '@jest/globals';

import { gotScraping } from 'got-scraping';
describe('toolchain', () => {
    it('loads ESM deps', () => {
        
        expect(typeof gotScraping).toBe('function');
    });
});
