// Programmatic dependent launch (sm_90): the forward kernel is launched while the tile
// order kernel before it (order_tiles_by_work) still runs, so its launch and prologue
// (barrier init, descriptor prefetch, clearing the vote rows) overlap that kernel instead
// of following it. That kernel lets the next one start at once; the forward kernel waits
// for its writes before the first read of the workspace. Both are no-ops in a kernel
// launched without the programmatic-serialization attribute.
#pragma once

#include <cute/config.hpp>

namespace liteattn {

// Lets the grid launched after this one on the stream start before this one ends.
CUTE_DEVICE void allow_dependent_launch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Blocks until the grids this one depends on have completed and their writes are visible.
CUTE_DEVICE void wait_for_prerequisite_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

}  // namespace liteattn
