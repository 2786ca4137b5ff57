// The next step's skip decision (DESIGN.md section 4, step 3), as a by-product of the row
// maxima the online softmax computes anyway. Every consumer warp votes on each tile it
// computes: a warp that has a valid row whose tile maximum is not negligible against
// the running maximum (or that sees the first visited tile) vetoes marking it. A veto is
// one byte set to 1 in a shared-memory row of one byte per key tile; when a warp has
// cast its last vote of a tile it arrives on that row's mbarrier, and the producer warp,
// which waits there, packs the bytes into the mask row, writes it once and clears the
// bytes (write_skip_row).
//
// The votes sit on the softmax's path, which at head dim 64 is what bounds the kernel,
// so a vote is a few instructions: one compare per row against a margin precomputed per
// query tile, one warp vote, and one predicated byte store by lane 0. Bytes, not bits:
// a bit row needs a read-modify-write (an atomic, or per-thread words flushed once per
// 32 tiles with a branch and state carried across tiles, both measured slower); a byte
// needs a plain store, and every writer stores the same value 1.
//
// Vote rows alternate with the tile parity (a CTA's tile_iter). Row b is cleared by the
// producer while it issues the loads of tile t+1 (after their first K, V pair; after the
// K of a row with one key tile; at once in a row with none), so
// before any load of tile t+2, the next tile to vote into row b; the consumers reach
// those votes only through mbarriers the producer arrives on after the clear, which
// orders it. The same chain keeps a row's mbarrier from running a phase ahead of the
// producer's wait: every consumer warp
// waits for its tile's Q (q_full of the tile's parity) before votes_cast(), also on a row
// with no key tile, and the producer loads tile t+2's Q only after it has waited for tile
// t's votes. A fast path that skipped the Q wait for empty rows would break this.
//
// The margin form (x <= threshold / scale_log2 rather than x * scale_log2 <= threshold)
// rounds differently; the two can disagree only within float rounding of the threshold,
// inside the 1e-3 band the reference comparison excludes (DESIGN.md section 4).
#pragma once

#include <cmath>
#include <cstdint>

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/collective/skip_iter.hpp"

namespace liteattn {

// Where one query tile's votes go: its vote row and that row's mbarrier.
struct VoteTarget {
  bool enabled;  // false: no skip_out requested, the kernel runs the copy without votes
  uint32_t* veto_row;  // one byte per key tile (four a word), 1 = some warp kept the tile
  cutlass::arch::ClusterBarrier* votes_in;
  float threshold;
};

// One consumer warp's votes on the key tiles of one query tile, for its kRows rows a thread.
// SkipVotes<kRows, false> is the dense path's: it holds and computes nothing, so the loop
// without skip_out carries no vote state (the kernel picks one of two mainloop copies
// per tile; one copy with a runtime switch kept ~8 registers live in the loop and
// measured slower).
template <int kRows, bool kEnabled = true>
class SkipVotes {
 public:
  // A tile is negligible for a row when (tile_max - running_max) * scale_log2 <=
  // threshold; the margin below is that bound in raw score units, +inf for rows past the
  // sequence end (they never keep a tile, unless their difference is NaN, which needs an
  // inf or NaN in K and then keeps the tile, the safe side).
  CUTE_DEVICE SkipVotes(VoteTarget const& target, float scale_log2, bool const (&row_valid)[kRows])
      : target_(target) {
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      margin_[r] = row_valid[r] ? target.threshold / scale_log2 : INFINITY;
    }
  }

  // Records this warp's view of `tile`: kept when one of its threads' rows keeps it
  // (tile_max against the running maximum from before the tile), or when it is the first
  // visited tile. Written as !(x <= margin) so that threshold -inf keeps every tile.
  // Called after the exponentials, off the path from the row maxima to them. Only the
  // copy of the loop the kernel runs when skip_out is given has kEnabled set.
  CUTE_DEVICE void vote(int tile, bool first_visited, float const (&tile_max)[kRows],
                        float const (&running_max)[kRows]) {
    if (!kEnabled) return;
    bool keep = first_visited;
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) keep |= !(tile_max[r] - running_max[r] <= margin_[r]);
    if (__any_sync(0xffffffffu, keep) && lane_is_0_) {
      reinterpret_cast<unsigned char*>(target_.veto_row)[tile] = 1;
    }
  }

  // After the last vote of the tile: lane 0, which made the warp's stores, arrives (a
  // release, so its arrival publishes them).
  CUTE_DEVICE void votes_cast() {
    if (!kEnabled) return;
    if (lane_is_0_) target_.votes_in->arrive();
  }

 private:
  VoteTarget target_;
  float margin_[kRows];
  bool lane_is_0_ = (threadIdx.x & 31) == 0;
};

// The producer warp, once every consumer warp has arrived on the row's mbarrier:
// skip_out = (skip_in | marked) & ~must_compute, marked = computed & ~vetoed, bits past
// the last key tile zero; every tile below Tn without a skip_in bit was computed, and
// voted on by every warp. Lane l packs the veto bytes of words l, l + 32, ... into bits
// and clears them for the tile after next.
CUTE_DEVICE void write_skip_row(uint32_t* veto_row, int32_t* skip_out_row,
                                const int32_t* skip_in_row, const int32_t* must_compute,
                                int num_key_tiles, int lane) {
  int const words = (num_key_tiles + 31) >> 5;
  for (int w = lane; w < words; w += 32) {
    // Two 16-byte accesses a lane (lane stride 32 bytes): at most 2-way bank conflicts
    // per quarter-warp phase, against 8-way for eight 4-byte accesses.
    uint4* quads = reinterpret_cast<uint4*>(veto_row + w * 8);
    uint4 const q[2] = {quads[0], quads[1]};
    quads[0] = quads[1] = make_uint4(0u, 0u, 0u, 0u);
    uint32_t const packed[8] = {q[0].x, q[0].y, q[0].z, q[0].w, q[1].x, q[1].y, q[1].z, q[1].w};
    uint32_t vetoed = 0u;
    CUTE_UNROLL
    for (int i = 0; i < 8; ++i) {
      // Four bytes, each 0 or 1, to four bits.
      uint32_t const x = packed[i];
      vetoed |= ((x | (x >> 7) | (x >> 14) | (x >> 21)) & 0xfu) << (4 * i);
    }
    uint32_t const valid = valid_key_tile_bits(w, num_key_tiles);
    uint32_t const in = skip_in_row ? static_cast<uint32_t>(skip_in_row[w]) : 0u;
    uint32_t const protect = must_compute ? static_cast<uint32_t>(must_compute[w]) : 0u;
    uint32_t const marked = ~in & valid & ~vetoed;
    skip_out_row[w] = static_cast<int32_t>(((in | marked) & valid) & ~protect);
  }
}

}  // namespace liteattn
