/* Squared norm in C: the same loop as numba_cpu.py (and numba_parallel.py), in double.
 *
 * The library is built without -ffast-math, so the compiler may not reorder the
 * additions itself. Numba's version is allowed to reassociate (fastmath "reassoc")
 * and LLVM splits the sum into independent partial sums; here they are written out:
 * LANES accumulators, which the compiler keeps in SIMD registers, so an addition
 * never waits for the previous one. Elements are widened to double before squaring,
 * so float inputs are summed in double precision.
 *
 * The vector is summed in blocks of BLOCK elements. Compiled without -fopenmp
 * (c_native) the pragma is ignored and the blocks are summed one after another; with
 * -fopenmp (c_openmp) threads share the blocks statically and OpenMP adds up the
 * threads' totals (reduction).
 */
#include <stdint.h>

#define LANES 16
#define BLOCK 8192

#define DEFINE_NORM(TYPE, SUFFIX)                                                      \
    static double block_##SUFFIX(const TYPE *v, int64_t n)                             \
    {                                                                                  \
        double lanes[LANES] = {0.0};                                                   \
        int64_t i = 0;                                                                 \
        for (; i + LANES <= n; i += LANES)                                             \
            for (int k = 0; k < LANES; k++) {                                          \
                const double x = (double)v[i + k];                                     \
                lanes[k] += x * x;                                                     \
            }                                                                          \
        double total = 0.0;                                                            \
        for (; i < n; i++) {                                                           \
            const double x = (double)v[i];                                             \
            total += x * x;                                                            \
        }                                                                              \
        for (int k = 0; k < LANES; k++)                                                \
            total += lanes[k];                                                         \
        return total;                                                                  \
    }                                                                                  \
                                                                                       \
    double norm_squared_##SUFFIX(const TYPE *v, int64_t n)                             \
    {                                                                                  \
        const int64_t blocks = (n + BLOCK - 1) / BLOCK;                                \
        double total = 0.0;                                                            \
        _Pragma("omp parallel for reduction(+ : total) schedule(static)")              \
        for (int64_t b = 0; b < blocks; b++) {                                         \
            const int64_t start = b * BLOCK;                                           \
            total += block_##SUFFIX(v + start, n - start < BLOCK ? n - start : BLOCK); \
        }                                                                              \
        return total;                                                                  \
    }

DEFINE_NORM(double, float64)
DEFINE_NORM(float, float32)
