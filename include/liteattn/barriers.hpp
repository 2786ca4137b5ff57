// Named-barrier ids of the forward kernel, one enum so no two uses collide.
// Ids are offsets past CUTLASS's reserved barriers (cutlass::arch::NamedBarrier adds them).
#pragma once

namespace liteattn {

enum class FwdBarrier : int {
  // Tile scheduler hand-off between the producer warp and both consumer warpgroups:
  // consumers arrive on kSchedulerRead when they have read the shared tile index,
  // the producer arrives on kSchedulerWritten once it has stored the next one.
  kSchedulerRead = 0,
  kSchedulerWritten = 1,
  // Per-warpgroup epilogue: orders the O shared-memory writes against the TMA store
  // that reads them (one id per consumer warpgroup).
  kEpilogueWg0 = 2,
  kEpilogueWg1 = 3,
  // Tensor-core turns of the two consumer warpgroups (collective/mma_turns.hpp).
  kMmaTurnWg0 = 4,
  kMmaTurnWg1 = 5,
};

}  // namespace liteattn
