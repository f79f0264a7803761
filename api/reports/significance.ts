// Is a variant's conversion rate different from the holdout's, or luck? The two-proportion z-test.

/**
 * The complementary error function, by the Chebyshev fit of Numerical Recipes (`erfcc`):
 * relative error under 1.2e-7 everywhere, plenty for a p-value.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * Two-sided p-value that `x1` of `n1` and `x2` of `n2` converted at the same rate (pooled
 * two-proportion z-test). Null without anyone on one side; 1 when all or none converted on both
 * sides, where there is no difference to find.
 */
export function twoProportionPValue(x1: number, n1: number, x2: number, n2: number): number | null {
  if (n1 === 0 || n2 === 0) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  const z = (x1 / n1 - x2 / n2) / se;
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}
