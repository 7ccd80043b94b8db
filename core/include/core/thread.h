#pragma once
// Thread scheduling hints (Linux). A small machine's cores are shared between threads that a
// client waits for (HTTP, intake) and threads whose work can wait a few milliseconds (scoring).
// These hints tell the kernel which is which; docs/PERFORMANCE.md has the measurements.

#include "core/result.h"

namespace sakchy {

// The calling thread answers clients: when it wakes it should run at once, not after the
// running thread's time slice. Asks the kernel for a short slice (100 µs; EEVDF, Linux ≥ 6.12),
// which lets a waking thread preempt one with a longer slice. Older kernels ignore the hint.
Status MarkThreadLatencySensitive();

// The calling thread does batch work: SCHED_BATCH (it never preempts another thread when it
// wakes) at niceness `nice` (0..19; raising it needs no privilege).
Status MarkThreadBatch(int nice);

}  // namespace sakchy
