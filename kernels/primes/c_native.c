/* Primes by trial division in C (same algorithm as numba_cpu.py): the book's check_prime.
 *
 * Compiled without -fopenmp the pragma is ignored and the loop is serial (c_native);
 * with -fopenmp (c_openmp) threads take chunks of numbers dynamically, because a
 * prime costs about sqrt(n)/2 divisions and most composites only a few.
 */
#include <stdint.h>

#define CHUNK_NUMBERS 256

/* Trial division by 2, then by the odd numbers d with d*d <= n.
 *
 * While n fits in 32 bits (so does every divisor) the remainder is taken in 32 bits,
 * which is about twice as fast as a 64-bit division on x86-64. LLVM, and so Numba and
 * NVVM, makes this same switch by itself (a run-time check before each 64-bit
 * division); GCC does not, and without it this loop ran 1.9x slower than Numba's.
 */
static int is_prime(int64_t n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    for (int64_t divisor = 3; divisor * divisor <= n; divisor += 2) {
        int64_t remainder = n <= UINT32_MAX ? (int64_t)((uint32_t)n % (uint32_t)divisor)
                                             : n % divisor;
        if (remainder == 0)
            return 0;
    }
    return 1;
}

int64_t primes_count(const int64_t *numbers, int64_t size)
{
    int64_t count = 0;
#pragma omp parallel for schedule(dynamic, CHUNK_NUMBERS) reduction(+ : count)
    for (int64_t i = 0; i < size; i++)
        count += is_prime(numbers[i]);
    return count;
}
