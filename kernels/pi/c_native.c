/* Monte Carlo pi in C: one loop over the darts (same algorithm as numba_cpu.py).
 *
 * Dart i is inside when x*x + y*y < 2^62, where x and y are the top 31 bits of
 * outputs 2i and 2i + 1 of the SplitMix64 stream seeded with `seed`. Each dart
 * jumps to its own outputs, so the loop carries no state and vectorises.
 *
 * Compiled without -fopenmp the pragma is ignored and the loop is serial (c_native);
 * with -fopenmp (c_openmp) the threads share the darts in equal static blocks (every
 * dart costs the same) and their counts are summed.
 */
#include <stdint.h>

#define GAMMA UINT64_C(0x9E3779B97F4A7C15)
#define MIX1 UINT64_C(0xBF58476D1CE4E5B9)
#define MIX2 UINT64_C(0x94D049BB133111EB)
#define COORDINATE_SHIFT 33
#define RADIUS_SQUARED (UINT64_C(1) << 62)

/* Output k of the SplitMix64 stream seeded with seed. */
static inline uint64_t splitmix64(uint64_t seed, uint64_t k)
{
    uint64_t z = seed + (k + 1) * GAMMA;
    z = (z ^ (z >> 30)) * MIX1;
    z = (z ^ (z >> 27)) * MIX2;
    return z ^ (z >> 31);
}

int64_t pi_count_inside(int64_t samples, const int64_t *seed)
{
    const uint64_t stream = (uint64_t)seed[0];
    int64_t inside = 0;
#pragma omp parallel for schedule(static) reduction(+ : inside)
    for (int64_t i = 0; i < samples; i++) {
        uint64_t x = splitmix64(stream, 2 * (uint64_t)i) >> COORDINATE_SHIFT;
        uint64_t y = splitmix64(stream, 2 * (uint64_t)i + 1) >> COORDINATE_SHIFT;
        inside += x * x + y * y < RADIUS_SQUARED;
    }
    return inside;
}
