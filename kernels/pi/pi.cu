// Monte Carlo pi in CUDA C, for CuPy's RawKernel (cupy_impl.py).
//
// Each thread walks its darts in a grid-stride loop and counts in a register; a
// warp adds its threads' counts with shuffles and one lane per warp adds the sum
// to the result. Dart i is inside when x*x + y*y < 2^62, where x and y are the top
// 31 bits of outputs 2i and 2i + 1 of the SplitMix64 stream seeded with `seed`.
// pi_dart_inside is also a host function, so the same code can run on a CPU.

#define PI_GAMMA 0x9E3779B97F4A7C15ULL
#define PI_MIX1 0xBF58476D1CE4E5B9ULL
#define PI_MIX2 0x94D049BB133111EBULL
#define PI_COORDINATE_SHIFT 33
#define PI_RADIUS_SQUARED (1ULL << 62)

// Output `k` of the SplitMix64 stream seeded with `seed`.
__host__ __device__ inline unsigned long long pi_splitmix64(unsigned long long seed,
                                                            unsigned long long k)
{
    unsigned long long z = seed + (k + 1) * PI_GAMMA;
    z = (z ^ (z >> 30)) * PI_MIX1;
    z = (z ^ (z >> 27)) * PI_MIX2;
    return z ^ (z >> 31);
}

__host__ __device__ inline int pi_dart_inside(unsigned long long seed, long long i)
{
    unsigned long long x = pi_splitmix64(seed, 2 * (unsigned long long)i) >> PI_COORDINATE_SHIFT;
    unsigned long long y = pi_splitmix64(seed, 2 * (unsigned long long)i + 1) >> PI_COORDINATE_SHIFT;
    return x * x + y * y < PI_RADIUS_SQUARED;
}

extern "C" __global__ void pi_count_inside(long long samples, const long long *seed,
                                           unsigned long long *total)
{
    unsigned long long stream = (unsigned long long)seed[0];
    unsigned long long inside = 0;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < samples; i += stride)
        inside += pi_dart_inside(stream, i);
    for (int offset = warpSize / 2; offset > 0; offset /= 2)
        inside += __shfl_down_sync(0xFFFFFFFFu, inside, offset);
    if (threadIdx.x % warpSize == 0)
        atomicAdd(total, inside);
}
