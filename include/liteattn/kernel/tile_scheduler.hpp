// Persistent, dynamic work distribution: a grid of at most one CTA per SM takes
// (batch, head, query-tile) work items from a global counter, so a CTA that drew cheap
// tiles (mostly skipped) simply takes more of them. The producer warp draws the next
// index while it loads the current tile and hands it to the consumers through shared
// memory, one tile ahead. The k-th hand-off uses slot k % 2, so a slot is rewritten only
// two barrier phases after it was read (the named barriers already order the reads
// before the next write; the second slot keeps a late reader of one phase and the
// writer of the next on different words).
#pragma once

#include <cstdint>

#include <cute/config.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/barriers.hpp"

namespace liteattn {

struct TileCoord {
  int m_block;
  int head;
  int batch;
};

template <int kNumConsumerThreads>
class DynamicTileScheduler {
 public:
  struct Params {
    int num_tiles;
    int num_m_blocks;
    int heads;
    int* counter;          // zeroed before launch
    const int32_t* order;  // heaviest-first permutation of the tiles, or null (linear)
  };

  // Producer warp plus consumers take part in the hand-off barriers.
  static constexpr int kHandoffThreads = kNumConsumerThreads + 32;

  // slots: two ints of shared memory.
  CUTE_DEVICE DynamicTileScheduler(Params const& params, int* slots) : params_(params), slots_(slots) {}

  CUTE_DEVICE int first_tile() const { return blockIdx.x; }
  CUTE_DEVICE bool valid(int tile) const { return tile < params_.num_tiles; }

  // In linear order consecutive tiles share (batch, head), so CTAs running side by side
  // read the same K and V from L2.
  CUTE_DEVICE TileCoord decode(int tile) const {
    if (params_.order != nullptr) tile = __ldg(params_.order + tile);
    int const m_block = tile % params_.num_m_blocks;
    int const bh = tile / params_.num_m_blocks;
    return {m_block, bh % params_.heads, bh / params_.heads};
  }

  // Producer warp, every lane: lane 0 draws; the value is only read after publish().
  CUTE_DEVICE int draw_next() const {
    int next = 0;
    if ((threadIdx.x & 31) == 0) next = atomicAdd(params_.counter, 1) + int(gridDim.x);
    return next;
  }

  // Producer warp, every lane: waits until the consumers have read the previous index,
  // stores this one, and returns it to every lane.
  CUTE_DEVICE int publish(int drawn, int handoff) const {
    int const next = __shfl_sync(0xffffffff, drawn, 0);
    cutlass::arch::NamedBarrier::sync(kHandoffThreads, int(FwdBarrier::kSchedulerRead));
    if ((threadIdx.x & 31) == 0) slots_[handoff & 1] = next;
    cutlass::arch::NamedBarrier::arrive(kHandoffThreads, int(FwdBarrier::kSchedulerWritten));
    return next;
  }

  // Consumers, once at start: the slot starts out free.
  CUTE_DEVICE void consumer_start() const {
    cutlass::arch::NamedBarrier::arrive(kHandoffThreads, int(FwdBarrier::kSchedulerRead));
  }

  // Consumers: the next index. No arrival after the terminating index, so every barrier
  // phase the consumers open is closed by the producer.
  CUTE_DEVICE int receive(int handoff) const {
    cutlass::arch::NamedBarrier::sync(kHandoffThreads, int(FwdBarrier::kSchedulerWritten));
    int const next = slots_[handoff & 1];
    if (valid(next)) {
      cutlass::arch::NamedBarrier::arrive(kHandoffThreads, int(FwdBarrier::kSchedulerRead));
    }
    return next;
  }

 private:
  Params params_;
  int* slots_;
};

}  // namespace liteattn
