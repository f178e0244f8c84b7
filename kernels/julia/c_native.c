/* Julia set in C: the book's expanded loop, one point at a time (as numba_cpu.py).
 *
 * Each starting point z0 is iterated z <- z*z + c while |z|^2 < 4 and fewer than
 * max_iter iterations have run; the count is written to out. zs holds complex
 * numbers as interleaved (real, imaginary) pairs, which is NumPy's layout.
 *
 * The arithmetic is the book's expanded math on real and imaginary parts: the squares
 * zr*zr and zi*zi serve both the escape test and the next step, and 2*zr*zi is written
 * t + t with t = zr*zi, the same value as the reference's zr*zi + zi*zr. Compiled with
 * -ffp-contract=off, nothing is fused into an FMA, so the counts are Numba's, bit for
 * bit. (C99 complex multiplication would call __muldc3 for its inf/nan rules, and
 * cabs/hypot would cost a call per step.)
 *
 * Compiled without -fopenmp the pragma is ignored and the loop is serial (c_native);
 * with -fopenmp (c_openmp) the points are cut into blocks of BLOCK_POINTS dealt to the
 * threads in turn (schedule(static, BLOCK_POINTS)), so every thread takes an even sample
 * of the grid: rows inside the set cost max_iter iterations, rows outside a few.
 */
#include <stdint.h>

#define BLOCK_POINTS 256

#define JULIA(NAME, REAL)                                                               \
    void NAME(const REAL *zs, int64_t n, REAL c_re, REAL c_im, int32_t max_iter,       \
              int32_t *out)                                                             \
    {                                                                                   \
        _Pragma("omp parallel for schedule(static, BLOCK_POINTS)")                      \
        for (int64_t i = 0; i < n; i++) {                                               \
            REAL re = zs[2 * i], im = zs[2 * i + 1];                                    \
            REAL re2 = re * re, im2 = im * im;                                          \
            int32_t count = 0;                                                          \
            while (count < max_iter && re2 + im2 < (REAL)4) {                           \
                REAL twice = re * im;                                                   \
                im = twice + twice + c_im;                                              \
                re = re2 - im2 + c_re;                                                  \
                re2 = re * re;                                                          \
                im2 = im * im;                                                          \
                count++;                                                                \
            }                                                                           \
            out[i] = count;                                                             \
        }                                                                               \
    }

JULIA(julia_complex128, double)
JULIA(julia_complex64, float)
