import { describe, expect, it } from 'vitest';
import { formulaSafe } from '../../api/exports/csv.js';

describe('CSV cells a spreadsheet would run', () => {
  it('gets a leading quote before a formula, and leaves numbers and phone numbers alone', () => {
    for (const formula of ['=SUM(A1)', '@cmd', '+SUM(A1)', '-1+1', "-2+3+cmd|' /C calc'!A0", '\tx', '\r=1', '+A1']) expect(formulaSafe(formula)).toBe(`'${formula}`);
    for (const plain of ['+8613800138000', '+1 (555) 010-0100', '-12.5', '12', '上海, "浦东"', 'a=b', '', 'me@example.com']) expect(formulaSafe(plain)).toBe(plain);
  });
});
