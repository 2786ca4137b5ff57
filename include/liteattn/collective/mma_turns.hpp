// Ping-pong of the two consumer warpgroups on the tensor cores (FlashAttention-3,
// section 3.1): a warpgroup issues its GEMMs of one key tile only on its turn, then
// hands the turn to the other. The GEMMs of one warpgroup thus run while the other
// computes its softmax, instead of both warpgroups issuing at once and then both
// waiting on the exponentials.
//
// One named barrier per warpgroup, 256 threads: the waiting warpgroup's sync (128) plus
// the other warpgroup's arrive (128). Both warpgroups take the same number of turns on
// every tile (they walk the same key tiles), so the turns stay paired across tiles.
#pragma once

#include <cute/config.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/barriers.hpp"

namespace liteattn {

class MmaTurns {
 public:
  static constexpr int kThreads = 2 * 128;

  CUTE_DEVICE explicit MmaTurns(int warpgroup) : warpgroup_(warpgroup) {}

  // Once, before the first turn: warpgroup 0 goes first.
  CUTE_DEVICE void start() const {
    if (warpgroup_ == 0) cutlass::arch::NamedBarrier::arrive(kThreads, barrier(0));
  }

  CUTE_DEVICE void wait() const { cutlass::arch::NamedBarrier::sync(kThreads, barrier(warpgroup_)); }

  CUTE_DEVICE void pass() const {
    cutlass::arch::NamedBarrier::arrive(kThreads, barrier(1 - warpgroup_));
  }

  // Once, after the last turn: warpgroup 1's last pass() is still pending on
  // warpgroup 0's barrier; warpgroup 0 takes it so no barrier phase is left open.
  CUTE_DEVICE void finish() const {
    if (warpgroup_ == 0) wait();
  }

 private:
  CUTE_DEVICE static int barrier(int warpgroup) {
    return int(warpgroup == 0 ? FwdBarrier::kMmaTurnWg0 : FwdBarrier::kMmaTurnWg1);
  }

  int warpgroup_;
};

}  // namespace liteattn
