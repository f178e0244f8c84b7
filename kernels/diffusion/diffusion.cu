// 2D diffusion for CuPy: one explicit Euler step per launch, a grid-stride loop over cells.
//
// out[i][j] = g[i][j] + factor * (up + down + left + right - 4 g[i][j]), periodic
// neighbours found with a comparison rather than a modulo; factor = dt * D. Consecutive
// threads take consecutive cells of a row, so loads and stores coalesce.

template <typename T>
__device__ void diffusion_step(const T *__restrict__ grid, T *__restrict__ out,
                               long long rows, long long cols, T factor)
{
    const long long cells = rows * cols;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < cells;
         index += stride) {
        const long long i = index / cols;
        const long long j = index - i * cols;
        const long long up = i > 0 ? i - 1 : rows - 1;
        const long long down = i < rows - 1 ? i + 1 : 0;
        const long long left = j > 0 ? j - 1 : cols - 1;
        const long long right = j < cols - 1 ? j + 1 : 0;
        const T centre = grid[index];
        const T neighbours = grid[up * cols + j] + grid[down * cols + j] + grid[i * cols + left] +
                             grid[i * cols + right];
        out[index] = centre + factor * (neighbours - T(4) * centre);
    }
}

extern "C" __global__ void diffusion_step_float64(const double *grid, double *out,
                                                  long long rows, long long cols, double factor)
{
    diffusion_step(grid, out, rows, cols, factor);
}

extern "C" __global__ void diffusion_step_float32(const float *grid, float *out,
                                                  long long rows, long long cols, float factor)
{
    diffusion_step(grid, out, rows, cols, factor);
}
