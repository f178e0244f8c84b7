// Julia set escape-time kernels, compiled by CuPy (NVRTC) from kernels/julia/cupy_impl.py.
//
// One thread per point in a grid-stride loop: thread i handles points i, i + stride, ...
// Points arrive as interleaved (real, imaginary) pairs, the memory layout of NumPy's and
// CuPy's complex128 / complex64 arrays, read as double2 / float2.
//
// Exact agreement with the CPU reference in complex128: z*z + c is written out in real
// arithmetic with round-to-nearest intrinsics (__dmul_rn, __dadd_rn), which the compiler
// never fuses into an FMA, so each operation rounds as NumPy's does; |z| is hypot(), as in
// the reference (CUDA's hypot is within 2 ulp of the C library's).

__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double magnitude(double x, double y) { return hypot(x, y); }
__device__ __forceinline__ float magnitude(float x, float y) { return hypotf(x, y); }

template <typename Real, typename Pair>
__device__ void julia(const Pair *zs, Real c_real, Real c_imag, int max_iter, int *out,
                      long long n) {
    const long long stride = (long long)blockDim.x * gridDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        Real x = zs[i].x;
        Real y = zs[i].y;
        int count = 0;
        while (magnitude(x, y) < Real(2) && count < max_iter) {
            // (x + iy)^2 + c as NumPy forms a complex product: (xx - yy) + i(xy + yx)
            const Real real = add_rn(add_rn(mul_rn(x, x), -mul_rn(y, y)), c_real);
            const Real imag = add_rn(add_rn(mul_rn(x, y), mul_rn(y, x)), c_imag);
            x = real;
            y = imag;
            ++count;
        }
        out[i] = count;
    }
}

extern "C" __global__ void julia_complex128(const double2 *zs, double c_real, double c_imag,
                                            int max_iter, int *out, long long n) {
    julia<double, double2>(zs, c_real, c_imag, max_iter, out, n);
}

extern "C" __global__ void julia_complex64(const float2 *zs, float c_real, float c_imag,
                                           int max_iter, int *out, long long n) {
    julia<float, float2>(zs, c_real, c_imag, max_iter, out, n);
}
