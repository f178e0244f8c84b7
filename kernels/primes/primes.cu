// Primes by trial division in CUDA C, for CuPy's RawKernel (cupy_impl.py).
//
// One thread per number in a grid-stride loop; each thread counts its primes in a
// register, a warp adds its threads' counts with shuffles and one lane per warp adds
// the sum to the result. primes_is_prime is also a host function, so the same code
// can run on a CPU. 64-bit integer division is slow on a GPU; nvcc takes each
// remainder in 32 bits when both operands fit (a run-time check it inserts itself).

// Trial division by 2, then by the odd numbers d with d*d <= n.
__host__ __device__ inline int primes_is_prime(long long n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    for (long long divisor = 3; divisor * divisor <= n; divisor += 2)
        if (n % divisor == 0)
            return 0;
    return 1;
}

extern "C" __global__ void primes_count(const long long *numbers, long long size,
                                        unsigned long long *total)
{
    unsigned long long count = 0;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < size; i += stride)
        count += primes_is_prime(numbers[i]);
    for (int offset = warpSize / 2; offset > 0; offset /= 2)
        count += __shfl_down_sync(0xFFFFFFFFu, count, offset);
    if (threadIdx.x % warpSize == 0)
        atomicAdd(total, count);
}
