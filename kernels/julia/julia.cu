// Julia set escape-time kernels, compiled by CuPy (NVRTC) from kernels/julia/cupy_impl.py.
//
// One thread per point in a grid-stride loop: thread i handles points i, i + stride, ...
// Points arrive as interleaved (real, imaginary) pairs, the memory layout of NumPy's and
// CuPy's complex128 / complex64 arrays, read as double2 / float2.
//
// The book's expanded math, as the CPU backends: the squares x*x and y*y serve both the
// escape test |z|^2 < 4 and the next step, so a step is three multiplies and five adds
// (hypot() per step would cost a library call on top). Exact agreement with the CPU
// backends in complex128: every multiply and add is a round-to-nearest intrinsic
// (__dmul_rn, __dadd_rn), which the compiler never fuses into an FMA, so each rounds as
// NumPy's and the C code's do.

// Device code: the intrinsics. Host code (the tests build this file into a CPU program
// with nvcc, whose host compiler does not contract a*b + c by default): plain IEEE ops.
#ifdef __CUDA_ARCH__
#define JULIA_RN(op, device_double, device_float) \
    __device__ __forceinline__ double op(double a, double b) { return device_double(a, b); } \
    __device__ __forceinline__ float op(float a, float b) { return device_float(a, b); }
JULIA_RN(mul_rn, __dmul_rn, __fmul_rn)
JULIA_RN(add_rn, __dadd_rn, __fadd_rn)
#else
template <typename Real> inline Real mul_rn(Real a, Real b) { return a * b; }
template <typename Real> inline Real add_rn(Real a, Real b) { return a + b; }
#endif

// Steps of z <- z*z + c from z = x + iy while |z|^2 < 4, at most max_iter.
template <typename Real>
__host__ __device__ inline int escape_count(Real x, Real y, Real c_real, Real c_imag,
                                            int max_iter) {
    Real xx = mul_rn(x, x);
    Real yy = mul_rn(y, y);
    int count = 0;
    while (count < max_iter && add_rn(xx, yy) < Real(4)) {
        // (x + iy)^2 + c as NumPy forms a complex product: (xx - yy) + i(xy + yx),
        // where xy + yx is exactly twice + twice with twice = x*y
        const Real twice = mul_rn(x, y);
        y = add_rn(add_rn(twice, twice), c_imag);
        x = add_rn(add_rn(xx, -yy), c_real);
        xx = mul_rn(x, x);
        yy = mul_rn(y, y);
        ++count;
    }
    return count;
}

template <typename Real, typename Pair>
__device__ void julia(const Pair *zs, Real c_real, Real c_imag, int max_iter, int *out,
                      long long n) {
    const long long stride = (long long)blockDim.x * gridDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = escape_count<Real>(zs[i].x, zs[i].y, c_real, c_imag, max_iter);
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
