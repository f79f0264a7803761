// Logs never carry an e-mail address or a phone number, whatever quotes them.
import { describe, expect, it } from 'vitest';
import { createLogger, redactPii } from '../../logging.js';

describe('logging', () => {
  it('takes e-mail addresses and phone numbers out of every line', () => {
    const lines: string[] = [];
    const logger = createLogger('info', (line) => lines.push(line));
    const err = new Error('E11000 duplicate key error collection: identities index: _id_ dup key: { _id: "email:ana.li@example.com" }');
    logger.warn({ err, identity: 'phone:+8613800138000', typed: '13800138000' }, 'could not resolve ana.li@example.com');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/ana\.li@example\.com|8613800138000|13800138000/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'could not resolve [email]', identity: 'phone:[phone]', typed: '[phone]' });
    expect(lines[0]).toContain('dup key: { _id: \\"email:[email]\\" }');
  });

  it('leaves ids, timestamps and amounts alone', () => {
    const text = 'c01JAB3 at 1767225600000 spent 13800.50 on order 2026-01-01T00:00:00Z';
    expect(redactPii(text)).toBe(text);
  });
});
