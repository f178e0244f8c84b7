/* Matrix multiply in C: a cache-blocked i-k-j loop (same algorithm as numba_cpu.py).
 *
 * C (zeroed by the caller) accumulates c[i, :] += a[i, k] * b[k, :] along unit-stride
 * rows, which the compiler vectorises. A K_BLOCK x J_BLOCK panel of B stays in the L2
 * cache while the rows of a ROW_BLOCK pass over it. All matrices are n x n, row-major.
 *
 * The update is a fused multiply-add (fma/fmaf, vfmadd on CPUs that have it; the build's
 * -ffp-contract=off forbids the compiler from fusing on its own): one rounding instead
 * of two, and exact either way for the kernel's whole-number inputs, whose products and
 * sums are whole numbers far below 2^24.
 *
 * Compiled without -fopenmp the pragma is ignored and the loop is serial (c_native);
 * with -fopenmp (c_openmp) threads share the blocks of rows of C statically (every row
 * costs the same, and rows are disjoint, so no synchronisation is needed).
 */
#include <math.h>
#include <stdint.h>

#define ROW_BLOCK 64
#define K_BLOCK 128
#define J_BLOCK 512

static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

#define DEFINE_MATMUL(NAME, REAL, FMA)                                                     \
    void NAME(const REAL *restrict a, const REAL *restrict b, REAL *restrict c, int64_t n) \
    {                                                                                    \
        _Pragma("omp parallel for schedule(static)")                                     \
        for (int64_t i0 = 0; i0 < n; i0 += ROW_BLOCK) {                                  \
            const int64_t i1 = min64(i0 + ROW_BLOCK, n);                                 \
            for (int64_t j0 = 0; j0 < n; j0 += J_BLOCK) {                                \
                const int64_t j1 = min64(j0 + J_BLOCK, n);                               \
                for (int64_t k0 = 0; k0 < n; k0 += K_BLOCK) {                            \
                    const int64_t k1 = min64(k0 + K_BLOCK, n);                           \
                    for (int64_t i = i0; i < i1; i++) {                                  \
                        REAL *restrict c_row = c + i * n;                                \
                        for (int64_t k = k0; k < k1; k++) {                              \
                            const REAL a_ik = a[i * n + k];                              \
                            const REAL *restrict b_row = b + k * n;                      \
                            for (int64_t j = j0; j < j1; j++)                            \
                                c_row[j] = FMA(a_ik, b_row[j], c_row[j]);                \
                        }                                                                \
                    }                                                                    \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    }

DEFINE_MATMUL(matmul_float64, double, fma)
DEFINE_MATMUL(matmul_float32, float, fmaf)
