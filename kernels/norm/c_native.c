/* Squared norm in C, serial: the same loop as numba_cpu.py, accumulated in double.
 *
 * The library is built without -ffast-math (so the compiler may not reorder the
 * additions itself). Numba's version is allowed to reassociate (fastmath "reassoc")
 * and LLVM splits the sum into independent partial sums; here the partial sums are
 * written out: LANES accumulators, which the compiler keeps in SIMD registers, so
 * an addition never waits for the previous one. Elements are widened to double
 * before squaring, so float inputs are summed in double precision.
 */
#include <stdint.h>

#define LANES 16

#define DEFINE_NORM(TYPE, SUFFIX)                                                    \
    double norm_squared_##SUFFIX(const TYPE *v, int64_t n)                           \
    {                                                                                \
        double lanes[LANES] = {0.0};                                                 \
        int64_t i = 0;                                                               \
        for (; i + LANES <= n; i += LANES)                                           \
            for (int k = 0; k < LANES; k++) {                                        \
                const double x = (double)v[i + k];                                   \
                lanes[k] += x * x;                                                   \
            }                                                                        \
        double total = 0.0;                                                          \
        for (; i < n; i++) {                                                         \
            const double x = (double)v[i];                                           \
            total += x * x;                                                          \
        }                                                                            \
        for (int k = 0; k < LANES; k++)                                              \
            total += lanes[k];                                                       \
        return total;                                                                \
    }

DEFINE_NORM(double, float64)
DEFINE_NORM(float, float32)
