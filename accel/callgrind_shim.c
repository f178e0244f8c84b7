/* Client requests to valgrind's callgrind, called through ctypes by accel's workers and
   PyPy server (accel/callgrind_region.py). Outside valgrind each is a few no-op
   instructions. Built with the system compiler and cached like the C kernels. */
#include <valgrind/callgrind.h>

int accel_on_valgrind(void) { return RUNNING_ON_VALGRIND; }
void accel_start_instrumentation(void) { CALLGRIND_START_INSTRUMENTATION; }
void accel_zero_stats(void) { CALLGRIND_ZERO_STATS; }
void accel_dump_timed(void) { CALLGRIND_DUMP_STATS_AT("timed"); }
void accel_stop_instrumentation(void) { CALLGRIND_STOP_INSTRUMENTATION; }
