/* Julia set in C: the book's loop, one point at a time (same algorithm as numba_cpu.py).
 *
 * Each starting point z0 is iterated z <- z*z + c while |z| < 2 and fewer than
 * max_iter iterations have run; the count is written to out. zs holds complex
 * numbers as interleaved (real, imaginary) pairs, which is NumPy's layout.
 *
 * The arithmetic is written on real and imaginary parts so it is exactly NumPy's
 * and Numba's: z*z = (re*re - im*im, re*im + im*re), then + c, and |z| = hypot(re, im).
 * (C99 complex multiplication would call __muldc3 for its inf/nan rules.)
 *
 * Compiled without -fopenmp the pragma is ignored and the loop is serial (c_native);
 * with -fopenmp (c_openmp) threads take chunks of points dynamically, because points
 * inside the set cost max_iter iterations and points outside only a few.
 */
#include <math.h>
#include <stdint.h>

#define CHUNK_POINTS 512

void julia_complex128(const double *zs, int64_t n, double c_re, double c_im,
                      int32_t max_iter, int32_t *out)
{
#pragma omp parallel for schedule(dynamic, CHUNK_POINTS)
    for (int64_t i = 0; i < n; i++) {
        double re = zs[2 * i], im = zs[2 * i + 1];
        int32_t count = 0;
        while (hypot(re, im) < 2.0 && count < max_iter) {
            double next_re = re * re - im * im + c_re;
            im = re * im + im * re + c_im;
            re = next_re;
            count++;
        }
        out[i] = count;
    }
}

void julia_complex64(const float *zs, int64_t n, float c_re, float c_im,
                     int32_t max_iter, int32_t *out)
{
#pragma omp parallel for schedule(dynamic, CHUNK_POINTS)
    for (int64_t i = 0; i < n; i++) {
        float re = zs[2 * i], im = zs[2 * i + 1];
        int32_t count = 0;
        while (hypotf(re, im) < 2.0f && count < max_iter) {
            float next_re = re * re - im * im + c_re;
            im = re * im + im * re + c_im;
            re = next_re;
            count++;
        }
        out[i] = count;
    }
}
