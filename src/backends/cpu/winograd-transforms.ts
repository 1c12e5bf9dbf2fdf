// The matrices of Winograd's minimal filtering algorithms F(m, r) (Lavin and Gray, 2016), built by the
// Toom-Cook construction from alpha - 1 = m + r - 2 finite interpolation points and the point at infinity,
// as Lavin's wincnn does: with M_j(x) = prod over l != j of (x - a_l) and M(x) = prod over all l of (x - a_l),
//   B^T row j = the coefficients of M_j (j < alpha - 1), row alpha - 1 = those of M;
//   A^T[i][j] = a_j^i, its last column [0 ... 0 1];
//   G[j][k] = a_j^k / M_j(a_j), its last row [0 ... 0 1].
// Then y = A^T [(G g) . (B^T d)] is the correlation of d (alpha samples) with g (r taps), m outputs, and
// in two dimensions Y = A^T [(G g G^T) . (B^T d B)] A. With points in {0, +-1, +-2, +-1/2}, B^T and A^T
// are dyadic rationals no larger than 8, exact in float32; G, rational, is applied in float64 at prepare.

/** The filter sizes and output tiles the kernels run. */
export type WinogradFilter = 3 | 5;
export type WinogradTile = 2 | 4;

/** One algorithm F(m x m, r x r): its output tile, filter size and finite interpolation points. */
export interface WinogradVariant {
  readonly m: WinogradTile;
  readonly r: WinogradFilter;
  readonly points: readonly number[];
}

/**
 * The variants and their points; the order is the variant's index in the kernels' parameters. For 3x3,
 * Lavin's. For 5x5, the points with the smallest float32 error on CaffeNet's conv2 and GoogLeNet's 5x5
 * layer shapes (inputs after ReLU, He-scaled weights): for F(2x2,5x5), 0, +-1, 2, -1/2 rounded 2.3 to 2.8x
 * less than 0, +-1, +-2 or 0, +-1, +-1/2 (about 1e-6 of the output against 3e-6); for F(4x4,5x5),
 * 0, +-1, +-2, +-1/2 (4e-6 to 6e-6) rounded less than with +-3/2 for +-2 or +-1/4 for +-1/2 in a float32
 * simulation of the same layers.
 */
export const winogradVariants: readonly WinogradVariant[] = [
  { m: 2, r: 3, points: [0, 1, -1] },
  { m: 4, r: 3, points: [0, 1, -1, 2, -2] },
  { m: 2, r: 5, points: [0, 1, -1, 2, -1 / 2] },
  { m: 4, r: 5, points: [0, 1, -1, 2, -2, 1 / 2, -1 / 2] },
];

/** The side of the transformed tile: m + r - 1. */
export const alphaOf = (v: WinogradVariant): number => v.m + v.r - 1;

/** B^T (alpha x alpha), A^T (m x alpha) and G (alpha x r), row-major, in float64. */
export interface WinogradMatrices {
  readonly bt: Float64Array;
  readonly at: Float64Array;
  readonly g: Float64Array;
}

/** Coefficients, lowest degree first, of the product of (x - root) over the roots. */
function monic(roots: readonly number[]): number[] {
  let c = [1];
  for (const a of roots) {
    const next = new Array<number>(c.length + 1).fill(0);
    c.forEach((v, i) => {
      next[i + 1] += v;
      next[i] -= a * v;
    });
    c = next;
  }
  return c;
}

export function winogradMatrices(v: WinogradVariant): WinogradMatrices {
  const { m, r, points } = v;
  const alpha = alphaOf(v);
  if (points.length !== alpha - 1) throw new Error(`F(${m},${r}) needs ${alpha - 1} finite points, got ${points.length}`);
  const bt = new Float64Array(alpha * alpha);
  const at = new Float64Array(m * alpha);
  const g = new Float64Array(alpha * r);
  points.forEach((a, j) => {
    const others = points.filter((_, l) => l !== j);
    monic(others).forEach((c, i) => (bt[j * alpha + i] = c));
    const scale = others.reduce((p, b) => p * (a - b), 1);
    for (let k = 0; k < r; k++) g[j * r + k] = a ** k / scale;
    for (let i = 0; i < m; i++) at[i * alpha + j] = a ** i;
  });
  monic(points).forEach((c, i) => (bt[(alpha - 1) * alpha + i] = c));
  g[alpha * r - 1] = 1;
  at[m * alpha - 1] = 1;
  return { bt, at, g };
}
