// Named-barrier ids of the forward kernel, one enum so no two uses collide.
// Ids are offsets past CUTLASS's reserved barriers (cutlass::arch::NamedBarrier adds them).
#pragma once

namespace liteattn {

enum class FwdBarrier : int {
  // Per-warpgroup epilogue: orders the O shared-memory writes against the TMA store
  // that reads them; ids kEpilogueWg0 + wg, one per consumer warpgroup (up to three).
  kEpilogueWg0 = 0,
  // Tensor-core turns of the two consumer warpgroups (collective/mma_turns.hpp).
  kMmaTurnWg0 = 3,
  kMmaTurnWg1 = 4,
};

// The epilogue ids of up to three consumer warpgroups end below the turn ids.
inline constexpr int kMaxConsumerWarpgroups = 3;
static_assert(static_cast<int>(FwdBarrier::kEpilogueWg0) + kMaxConsumerWarpgroups <=
              static_cast<int>(FwdBarrier::kMmaTurnWg0));

}  // namespace liteattn
