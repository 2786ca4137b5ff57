// The next step's skip decision (DESIGN.md section 4, step 3), as a by-product of the row
// maxima the online softmax computes anyway. Every consumer warp votes on each tile it
// computes: a warp that has a valid row whose tile maximum is not negligible against
// the running maximum (or that sees the first visited tile) vetoes marking it. The
// vetoes of both warpgroups gather in a shared-memory bit row; when a warp has cast its
// last vote of a tile it arrives on that row's mbarrier, and the producer warp, which
// waits there, writes the whole mask row once and clears the bits. Writing the row off
// the consumers' path keeps the decisions from costing the tensor cores anything but
// the votes themselves.
//
// Vote rows alternate with the tile parity (a CTA's tile_iter). Row b is cleared by the
// producer after it has issued every load of tile t+1 and before any load of tile t+2,
// the next tile to vote into row b; the consumers reach those votes only through
// mbarriers the producer arrives on after the clear, which orders it.
#pragma once

#include <cstdint>

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

namespace liteattn {

class SkipDecision {
 public:
  // enabled = false (no skip_out requested) makes vote(), votes_cast() and write_row() no-ops.
  CUTE_DEVICE SkipDecision(bool enabled, uint32_t* veto_row, float threshold, float scale_log2)
      : enabled_(enabled), veto_row_(veto_row), threshold_(threshold), scale_log2_(scale_log2) {}

  CUTE_DEVICE bool enabled() const { return enabled_; }

  // This thread's view of one computed tile: true when one of its valid rows keeps the
  // tile (its maximum is not negligible against the running maximum before the tile)
  // or when it is the first visited tile. Call before the running maximum moves on.
  template <int kRows>
  CUTE_DEVICE bool keeps(bool first_visited, float const (&tile_max)[kRows],
                         float const (&running_max)[kRows], bool const (&row_valid)[kRows]) const {
    bool keep = first_visited;
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      // Written as !(x <= t) so that threshold -inf keeps every tile.
      keep |= row_valid[r] && !((tile_max[r] - running_max[r]) * scale_log2_ <= threshold_);
    }
    return keep;
  }

  // The warp's vote; kept apart from keeps() so that the warp-wide vote does not sit
  // between the row maxima and the exponentials on the softmax's critical path.
  CUTE_DEVICE void vote(int tile, bool keep) const {
    if (!enabled_) return;
    if (__any_sync(0xffffffff, keep) && (threadIdx.x & 31) == 0) {
      atomicOr(veto_row_ + (tile >> 5), 1u << (tile & 31));
    }
  }

  // Each consumer warp, after its last vote of the tile: lane 0 cast the warp's votes,
  // so its arrival (a release) publishes them.
  CUTE_DEVICE void votes_cast(cutlass::arch::ClusterBarrier& votes_in) const {
    if (enabled_ && (threadIdx.x & 31) == 0) votes_in.arrive();
  }

  // skip_out = (skip_in | marked) & ~must_compute, marked = computed & ~vetoed, bits past
  // the last key tile zero. Clears the vote words it consumed for the tile after next.
  // The producer warp calls it (thread = lane, num_threads = 32) once votes_in completes.
  CUTE_DEVICE void write_row(int32_t* skip_out_row, const int32_t* skip_in_row,
                             const int32_t* must_compute, int num_key_tiles, int thread,
                             int num_threads) const {
    if (!enabled_) return;
    int const words = (num_key_tiles + 31) >> 5;
    for (int w = thread; w < words; w += num_threads) {
      int const tiles_here = num_key_tiles - (w << 5);
      uint32_t const valid = tiles_here >= 32 ? ~0u : ((1u << tiles_here) - 1u);
      uint32_t const in = skip_in_row ? static_cast<uint32_t>(skip_in_row[w]) : 0u;
      uint32_t const protect = must_compute ? static_cast<uint32_t>(must_compute[w]) : 0u;
      uint32_t const marked = ~in & valid & ~veto_row_[w];
      skip_out_row[w] = static_cast<int32_t>(((in | marked) & valid) & ~protect);
      veto_row_[w] = 0u;
    }
  }

 private:
  bool enabled_;
  uint32_t* veto_row_;
  float threshold_;
  float scale_log2_;
};

}  // namespace liteattn
