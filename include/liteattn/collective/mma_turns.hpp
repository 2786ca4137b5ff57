// Ping-pong of the two consumer warpgroups on the tensor cores (FlashAttention-3,
// section 3.1): a warpgroup issues its GEMMs of one key tile only on its turn, then
// hands the turn to the other. The GEMMs of one warpgroup thus run while the other
// computes its softmax, instead of both warpgroups issuing at once and then both
// waiting on the exponentials.
//
// One named barrier per warpgroup, 256 threads: the waiting warpgroup's sync (128) plus
// the other warpgroup's arrive (128); for warpgroup 0's first turn, its own start()
// supplies that arrive. Both warpgroups take the same number of turns on
// every tile (they walk the same key tiles), so the turns stay paired across tiles.
//
// Whether it pays is measured per head dim (traits.h, kMmaPingPong; bench/RESULTS.md):
// with the softmax already overlapped with the warpgroup's own GEMMs, the hardware's
// interleaving of two warpgroups' wgmmas can be better than strict turns.
// MmaTurns<false> compiles to nothing.
#pragma once

#include <cute/config.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/barriers.hpp"

namespace liteattn {

template <bool kEnabled>
class MmaTurns {
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
    if (kEnabled) cutlass::arch::NamedBarrier::arrive(kThreads, barrier(1 - warpgroup_));
  }

  // Once, after the last turn: warpgroup 1's last pass() is still pending on
  // warpgroup 0's barrier; warpgroup 0 takes it so no barrier phase is left open.
  CUTE_DEVICE void finish() const {
    if (kEnabled && warpgroup_ == 0) wait();
  }

 private:
  CUTE_DEVICE static int barrier(int warpgroup) {
    return int(warpgroup == 0 ? FwdBarrier::kMmaTurnWg0 : FwdBarrier::kMmaTurnWg1);
  }

  int warpgroup_;
};

}  // namespace liteattn
