// Named-barrier ids of the forward kernel, one enum so no two uses collide.
// Ids are offsets past CUTLASS's reserved barriers (cutlass::arch::NamedBarrier adds them).
#pragma once

#include <cutlass/arch/barrier.h>

namespace liteattn {

enum class FwdBarrier : int {
  // Per-warpgroup epilogue: orders the O shared-memory writes against the TMA store
  // that reads them; ids kEpilogueWg0 + wg, one per consumer warpgroup (up to three).
  kEpilogueWg0 = 0,
  // Tensor-core turns of the consumer warpgroups (collective/mma_turns.hpp); ids
  // kMmaTurnWg0 + wg, one per consumer warpgroup (up to three: 3, 4, 5).
  kMmaTurnWg0 = 3,
};

// The epilogue ids of up to three consumer warpgroups end below the turn ids.
inline constexpr int kMaxConsumerWarpgroups = 3;
static_assert(static_cast<int>(FwdBarrier::kEpilogueWg0) + kMaxConsumerWarpgroups <=
              static_cast<int>(FwdBarrier::kMmaTurnWg0));
// 16 hardware barriers, of which cutlass::arch::NamedBarrier reserves the first
// ReservedNamedBarriers::FirstUserBarrier (8 in CUTLASS 4.2) and adds that to our ids.
static_assert(static_cast<int>(cutlass::arch::ReservedNamedBarriers::FirstUserBarrier) +
                  static_cast<int>(FwdBarrier::kMmaTurnWg0) + kMaxConsumerWarpgroups <= 16,
              "the forward kernel's named barriers exceed the 16 the hardware has");

}  // namespace liteattn
