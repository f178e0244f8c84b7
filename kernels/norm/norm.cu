// Squared norm for CuPy: grid-stride partial sums, a block reduction, one atomic per block.
//
// Each thread sums the squares of elements start, start + stride, ... in T; each warp
// adds its 32 partial sums with shuffles, warp totals meet in shared memory, the first
// warp adds those, and thread 0 adds the block's total to *out with atomicAdd
// (double-precision atomicAdd needs compute capability 6.0 or newer).

#define MAX_WARPS 32  // 1024 threads per block at most

template <typename T>
__device__ T warp_sum(T value)
{
    for (int offset = warpSize / 2; offset > 0; offset /= 2)
        value += __shfl_down_sync(0xffffffffu, value, offset);
    return value;
}

template <typename T>
__device__ void norm_squared(const T *__restrict__ v, long long n, T *out)
{
    __shared__ T warp_totals[MAX_WARPS];
    T total = T(0);
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        total += v[i] * v[i];
    const int lane = threadIdx.x % warpSize, warp = threadIdx.x / warpSize;
    const int warps = (blockDim.x + warpSize - 1) / warpSize;
    total = warp_sum(total);
    if (lane == 0)
        warp_totals[warp] = total;
    __syncthreads();
    if (warp == 0) {
        total = lane < warps ? warp_totals[lane] : T(0);
        total = warp_sum(total);
        if (lane == 0)
            atomicAdd(out, total);
    }
}

extern "C" __global__ void norm_squared_float64(const double *v, long long n, double *out)
{
    norm_squared(v, n, out);
}

extern "C" __global__ void norm_squared_float32(const float *v, long long n, float *out)
{
    norm_squared(v, n, out);
}
