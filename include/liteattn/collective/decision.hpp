// The next step's skip decision (DESIGN.md section 4, step 3), as a by-product of the row
// maxima the online softmax computes anyway. Every consumer warp votes on each tile it
// computes: a warp that has a valid row whose tile maximum is not negligible against
// the running maximum (or that sees the first visited tile) vetoes marking it. The
// vetoes of all consumer warpgroups gather in a shared-memory bit row; when a warp has cast its
// last vote of a tile it arrives on that row's mbarrier, and the producer warp, which
// waits there, writes the whole mask row once and clears the bits (write_skip_row).
//
// The votes sit on the softmax's path, which at head dim 64 is what bounds the kernel,
// so a vote is a few instructions: one compare per row against a margin precomputed per
// query tile, and one bit set in a register. The warp combines its bits once per 32-tile
// word (one warp reduction, one shared atomic), not once per tile.
//
// Vote rows alternate with the tile parity (a CTA's tile_iter). Row b is cleared by the
// producer after it has issued every load of tile t+1 and before any load of tile t+2,
// the next tile to vote into row b; the consumers reach those votes only through
// mbarriers the producer arrives on after the clear, which orders it. The same chain keeps
// a row's mbarrier from running a phase ahead of the producer's wait: every consumer warp
// waits for its tile's Q (q_full) before votes_cast(), also on a row with no key tile,
// and the producer loads tile t+2's Q only after it has waited for tile t's votes. A
// fast path that skipped the Q wait for empty rows would break this.
//
// The margin form (x <= threshold / scale_log2 rather than x * scale_log2 <= threshold)
// rounds differently; the two can disagree only within float rounding of the threshold,
// inside the 1e-3 band the reference comparison excludes (DESIGN.md section 4).
#pragma once

#include <cmath>
#include <cstdint>

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

namespace liteattn {

// Where one query tile's votes go: its vote row and that row's mbarrier.
struct VoteTarget {
  bool enabled;  // false: no skip_out requested, every vote is a no-op
  uint32_t* veto_row;
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

  // Records this thread's view of `tile`: kept when one of its rows keeps it (tile_max
  // against the running maximum from before the tile), or when it is the first visited
  // tile. Written as !(x <= margin) so that threshold -inf keeps every tile. Called after
  // the exponentials, off the path from the row maxima to them. Tiles arrive in
  // descending order, so a new 32-tile word means the previous one is complete.
  CUTE_DEVICE void vote(int tile, bool first_visited, float const (&tile_max)[kRows],
                        float const (&running_max)[kRows]) {
    if (!kEnabled || !target_.enabled) return;
    bool keep = first_visited;
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) keep |= !(tile_max[r] - running_max[r] <= margin_[r]);
    int const word = tile >> 5;
    if (word != word_) {
      flush();
      word_ = word;
    }
    bits_ |= uint32_t(keep) << (tile & 31);
  }

  // After the last vote of the tile: publish the pending word, then arrive (lane 0, which
  // made the warp's atomics, so its arrival — a release — publishes them).
  CUTE_DEVICE void votes_cast() {
    if (!kEnabled || !target_.enabled) return;
    flush();
    if ((threadIdx.x & 31) == 0) target_.votes_in->arrive();
  }

 private:
  CUTE_DEVICE void flush() {
    uint32_t const warp_bits = __reduce_or_sync(0xffffffffu, bits_);
    if (warp_bits != 0u && (threadIdx.x & 31) == 0) atomicOr(target_.veto_row + word_, warp_bits);
    bits_ = 0u;
  }

  VoteTarget target_;
  float margin_[kRows];
  uint32_t bits_ = 0u;
  int word_ = -1;  // no word yet: the first vote's flush has no bits to publish
};

// The producer warp, once every consumer warp has arrived on the row's mbarrier:
// skip_out = (skip_in | marked) & ~must_compute, marked = computed & ~vetoed, bits past
// the last key tile zero. Clears the vote words it consumed for the tile after next.
CUTE_DEVICE void write_skip_row(uint32_t* veto_row, int32_t* skip_out_row,
                                const int32_t* skip_in_row, const int32_t* must_compute,
                                int num_key_tiles, int lane) {
  int const words = (num_key_tiles + 31) >> 5;
  for (int w = lane; w < words; w += 32) {
    int const tiles_here = num_key_tiles - (w << 5);
    uint32_t const valid = tiles_here >= 32 ? ~0u : ((1u << tiles_here) - 1u);
    uint32_t const in = skip_in_row ? static_cast<uint32_t>(skip_in_row[w]) : 0u;
    uint32_t const protect = must_compute ? static_cast<uint32_t>(must_compute[w]) : 0u;
    uint32_t const marked = ~in & valid & ~veto_row[w];
    skip_out_row[w] = static_cast<int32_t>(((in | marked) & valid) & ~protect);
    veto_row[w] = 0u;
  }
}

}  // namespace liteattn
