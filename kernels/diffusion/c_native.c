/* 2D diffusion in C: the same row-by-row algorithm as numba_cpu.py (and numba_parallel.py).
 *
 * One explicit Euler step writes
 *     out[i][j] = g[i][j] + factor * (up + down + left + right - 4 g[i][j])
 * for every cell, with periodic (wrap-around) neighbours and factor = dt * D. The
 * interior columns are a plain loop the compiler vectorises; the two edge columns,
 * whose neighbours wrap, are done apart so that loop has no modulo and no branch.
 * Step 1 reads the caller's grid (left as it is) and writes buffer a; later steps
 * alternate between a and b, so the grid is never copied first. The function returns
 * which buffer holds the result (0: a, 1: b; steps >= 1). The same code serves double
 * and float grids.
 *
 * Compiled without -fopenmp (c_native) the pragmas are ignored and everything is
 * serial. With -fopenmp (c_openmp) one team of threads lives for the whole call and
 * shares each step's rows statically (every row costs the same); the barrier at the
 * end of each shared loop keeps the steps in order.
 */
#include <stdint.h>

#define DEFINE_DIFFUSION(TYPE, SUFFIX)                                                      \
    static inline TYPE cell_##SUFFIX(TYPE centre, TYPE up, TYPE down, TYPE left,            \
                                     TYPE right, TYPE factor)                               \
    {                                                                                       \
        return centre + factor * (up + down + left + right - (TYPE)4 * centre);             \
    }                                                                                       \
                                                                                            \
    static void row_##SUFFIX(const TYPE *restrict grid, TYPE *restrict out, int64_t rows,   \
                             int64_t cols, int64_t i, TYPE factor)                          \
    {                                                                                       \
        const int64_t last = cols - 1, bottom = rows - 1;                                   \
        const TYPE *up = grid + (i > 0 ? i - 1 : bottom) * cols;                            \
        const TYPE *down = grid + (i < bottom ? i + 1 : 0) * cols;                          \
        const TYPE *row = grid + i * cols;                                                  \
        TYPE *target = out + i * cols;                                                      \
        for (int64_t j = 1; j < last; j++)                                                  \
            target[j] = cell_##SUFFIX(row[j], up[j], down[j], row[j - 1], row[j + 1], factor); \
        target[last] = cell_##SUFFIX(row[last], up[last], down[last],                       \
                                     row[last > 0 ? last - 1 : 0], row[0], factor);         \
        target[0] = cell_##SUFFIX(row[0], up[0], down[0], row[last], row[last > 0 ? 1 : 0], \
                                  factor);                                                  \
    }                                                                                       \
                                                                                            \
    int diffusion_##SUFFIX(const TYPE *grid, TYPE *a, TYPE *b, int64_t rows, int64_t cols,  \
                           int64_t steps, TYPE factor)                                      \
    {                                                                                       \
        _Pragma("omp parallel")                                                             \
        for (int64_t s = 0; s < steps; s++) {                                               \
            const TYPE *source = s == 0 ? grid : (s % 2 == 1 ? a : b);                      \
            TYPE *target = s % 2 == 0 ? a : b;                                              \
            _Pragma("omp for schedule(static)")                                             \
            for (int64_t i = 0; i < rows; i++)                                              \
                row_##SUFFIX(source, target, rows, cols, i, factor);                        \
        }                                                                                   \
        return (int)((steps + 1) % 2);                                                      \
    }

DEFINE_DIFFUSION(double, float64)
DEFINE_DIFFUSION(float, float32)
