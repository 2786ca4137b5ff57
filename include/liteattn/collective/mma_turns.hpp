// Ping-pong of the consumer warpgroups on the tensor cores (FlashAttention-3,
// section 3.1): a warpgroup issues its GEMMs of one key tile only on its turn, then
// hands the turn to the next one (a ring: 0 -> 1 -> 0, or 0 -> 1 -> 2 -> 0 with three).
// The GEMMs of one warpgroup thus run while the others compute their softmax, instead of
// all warpgroups issuing at once and then all waiting on the exponentials.
//
// One named barrier per warpgroup, 256 threads: the waiting warpgroup's sync (128) plus
// the previous warpgroup's arrive (128); for warpgroup 0's first turn, its own start()
// supplies that arrive. All warpgroups take the same number of turns on every tile
// (they walk the same key tiles, padding rows included), so the turns stay in step
// across tiles.
//
// Whether it pays is measured per head dim (traits.h, kMmaPingPong; bench/RESULTS.md):
// with the softmax already overlapped with the warpgroup's own GEMMs, the hardware's
// interleaving of the warpgroups' wgmmas can be better than strict turns.
// MmaTurns<false, N> compiles to nothing.
#pragma once

#include <cute/config.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/barriers.hpp"

namespace liteattn {

template <bool kEnabled, int kWarpgroups>
class MmaTurns {
  static_assert(!kEnabled || (kWarpgroups >= 2 && kWarpgroups <= kMaxConsumerWarpgroups),
                "turns need two or three consumer warpgroups (one barrier id each)");

 public:
  static constexpr int kThreads = 2 * 128;

  CUTE_DEVICE explicit MmaTurns(int warpgroup) : warpgroup_(warpgroup) {}

  // Once, before the first turn: warpgroup 0 goes first.
  CUTE_DEVICE void start() const {
    if (kEnabled && warpgroup_ == 0) cutlass::arch::NamedBarrier::arrive(kThreads, barrier(0));
  }

  CUTE_DEVICE void wait() const {
    if (kEnabled) cutlass::arch::NamedBarrier::sync(kThreads, barrier(warpgroup_));
  }

  CUTE_DEVICE void pass() const {
    if (kEnabled) {
      int const next = warpgroup_ + 1 == kWarpgroups ? 0 : warpgroup_ + 1;
      cutlass::arch::NamedBarrier::arrive(kThreads, barrier(next));
    }
  }

  // Once, after the last turn: the last warpgroup's last pass() is still pending on
  // warpgroup 0's barrier; warpgroup 0 takes it so no barrier phase is left open.
  CUTE_DEVICE void finish() const {
    if (kEnabled && warpgroup_ == 0) wait();
  }

 private:
  CUTE_DEVICE static int barrier(int warpgroup) {
    return static_cast<int>(FwdBarrier::kMmaTurnWg0) + warpgroup;
  }

  int warpgroup_;
};

}  // namespace liteattn
