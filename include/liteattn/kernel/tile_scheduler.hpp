// Persistent, dynamic work distribution: a grid of at most one CTA per SM takes
// (batch, head, query-tile) work items from a global counter, so a CTA that drew cheap
// tiles (mostly skipped) simply takes more of them. The producer warp draws the next
// index while it loads the current tile and hands it to the consumers through shared
// memory, one tile ahead: the k-th hand-off goes through slot k % 2 and that slot's
// pair of mbarriers (full: the producer stored it; empty: every consumer warp read it;
// lane 0 reads for its warp, so one arrival a consumer warp rather than one a thread).
#pragma once

#include <cstdint>

#include <cute/config.hpp>
#include <cutlass/arch/barrier.h>

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
    const int32_t* order;  // permutation of the tiles (kernel/tile_order.h), or null (linear)
  };

  // The hand-off state in shared memory.
  struct Handoff {
    int slot[2];
    cutlass::arch::ClusterBarrier full[2];
    cutlass::arch::ClusterBarrier empty[2];
  };

  // One thread, before the kernel's first __syncthreads.
  CUTE_DEVICE static void init(Handoff& handoff) {
    for (int s = 0; s < 2; ++s) {
      handoff.full[s].init(1);
      handoff.empty[s].init(kNumConsumerThreads / 32);
    }
  }

  CUTE_DEVICE DynamicTileScheduler(Params const& params, Handoff& handoff)
      : params_(params), handoff_(handoff) {}

  CUTE_DEVICE int first_tile() const { return blockIdx.x; }
  CUTE_DEVICE bool valid(int tile) const { return tile < params_.num_tiles; }

  // In linear order consecutive tiles share (batch, head), so CTAs running side by side
  // read the same K and V from L2.
  CUTE_DEVICE TileCoord decode(int tile) const {
    // __ldcg, not __ldg (whose data must stay read-only for the whole kernel): the order
    // is written by a kernel this one may start under (PDL).
    if (params_.order != nullptr) tile = __ldcg(params_.order + tile);
    int const m_block = tile % params_.num_m_blocks;
    int const bh = tile / params_.num_m_blocks;
    return {m_block, bh % params_.heads, bh / params_.heads};
  }

  // Producer warp, every lane: lane 0 draws; the value is read through drawn_index().
  CUTE_DEVICE int draw_next() const {
    int next = 0;
    if ((threadIdx.x & 31) == 0) next = atomicAdd(params_.counter, 1) + int(gridDim.x);
    return next;
  }

  // Producer warp, every lane (converged): the drawn index, to every lane.
  CUTE_DEVICE static int drawn_index(int drawn) { return __shfl_sync(0xffffffff, drawn, 0); }

  // Producer warp, every lane, k-th hand-off: waits until the consumers have read what
  // the slot held two hand-offs ago and stores `next` (from drawn_index) there.
  CUTE_DEVICE void publish(int next, int k) const {
    int const s = k & 1;
    handoff_.empty[s].wait(((k >> 1) & 1) ^ 1);  // a fresh slot counts as read
    if ((threadIdx.x & 31) == 0) {
      handoff_.slot[s] = next;
      handoff_.full[s].arrive();  // a release: the store is visible to whoever waits
    }
  }

  // Consumers, every lane, k-th hand-off: the next index.
  CUTE_DEVICE int receive(int k) const {
    int const s = k & 1;
    handoff_.full[s].wait((k >> 1) & 1);
    int next = 0;
    if ((threadIdx.x & 31) == 0) {
      next = handoff_.slot[s];
      handoff_.empty[s].arrive();  // after the read, in program order
    }
    return __shfl_sync(0xffffffff, next, 0);
  }

 private:
  Params params_;
  Handoff& handoff_;
};

}  // namespace liteattn
