// Tile shapes and pipeline depths per (dtype, head dim): the single source of truth.
// Python reads them through _C.tile_shape; python/liteattn/tiles.py keeps a copy for
// reference-only installs, and tests/test_tiles.py checks that the two agree.
#pragma once

#include "liteattn/api.h"

namespace liteattn {

// Longest mask row the kernel takes, in 32-bit words: the skip votes of a row live in
// shared memory (two rows of this many words), so skip masks cover up to
// 256 * 32 key tiles (1M keys at BN = 128).
inline constexpr int kMaxMaskWords = 256;

// Each consumer warpgroup owns 64 query rows: BM = 64 * warpgroups. D = 64 runs three
// (BM = 192, FlashAttention-3's choice there): its softmax, not the tensor cores, bounds
// the loop, and it is latency- rather than throughput-bound (Nsight Compute, 2026-11-29:
// MUFU and tensor pipes both ~50% busy, "wait" the first stall reason), so a third warp
// per scheduler hides more of it: measured +13.9% (457 -> 521 TFLOP/s at CogVideoX's
// shape, bench/RESULTS.md). The cost is 160 registers a consumer thread instead of 240
// (kernel_traits.hpp) and a 1.5x coarser query tile in the skip mask.
// BN and the stage count trade registers (S accumulator: BN/2 floats a thread) and
// shared memory (stages * BN * D * 2 bytes each for K and V) against per-tile overhead.
//
// kMmaPingPong: the consumer warpgroups take turns on the tensor cores, in a ring
// (collective/mma_turns.hpp). On at D = 64 (three warpgroups): dense the same, sparse rows
// at small keep fractions 2-4% faster and the decision overhead 4.6% -> 1.9% (C++ bench,
// CogVideoX shape, H200, 2026-11-29, bench/RESULTS.md "Fifth session"). Off at D = 128,
// where two warpgroups taking turns measured slower (round 6).
//
// LITEATTN_TUNE_{WARPGROUPS,BLOCK_N,STAGES,PINGPONG}_<D> override a config for tuning
// builds only (bench/gpu_round.sh's `variants` stage); a shipped build never sets them
// (tests/test_tiles.py would catch a WARPGROUPS or BLOCK_N override, which changes
// tile_shape; the STAGES and PINGPONG overrides change no result and nothing checks for
// them).
#ifndef LITEATTN_TUNE_WARPGROUPS_64
#define LITEATTN_TUNE_WARPGROUPS_64 3
#endif
#ifndef LITEATTN_TUNE_BLOCK_N_64
#define LITEATTN_TUNE_BLOCK_N_64 128
#endif
#ifndef LITEATTN_TUNE_STAGES_64
#define LITEATTN_TUNE_STAGES_64 2
#endif
#ifndef LITEATTN_TUNE_PINGPONG_64
#define LITEATTN_TUNE_PINGPONG_64 1
#endif
#ifndef LITEATTN_TUNE_WARPGROUPS_128
#define LITEATTN_TUNE_WARPGROUPS_128 2
#endif
#ifndef LITEATTN_TUNE_BLOCK_N_128
#define LITEATTN_TUNE_BLOCK_N_128 128
#endif
#ifndef LITEATTN_TUNE_STAGES_128
#define LITEATTN_TUNE_STAGES_128 2
#endif
#ifndef LITEATTN_TUNE_PINGPONG_128
#define LITEATTN_TUNE_PINGPONG_128 0
#endif

template <int HeadDim>
struct FwdTileConfig;

template <>
struct FwdTileConfig<64> {
  static constexpr int kConsumerWarpgroups = LITEATTN_TUNE_WARPGROUPS_64;
  static constexpr int kBlockM = 64 * kConsumerWarpgroups;
  static constexpr int kBlockN = LITEATTN_TUNE_BLOCK_N_64;
  static constexpr int kStages = LITEATTN_TUNE_STAGES_64;
  static constexpr bool kMmaPingPong = LITEATTN_TUNE_PINGPONG_64 != 0;
};

template <>
struct FwdTileConfig<128> {
  static constexpr int kConsumerWarpgroups = LITEATTN_TUNE_WARPGROUPS_128;
  static constexpr int kBlockM = 64 * kConsumerWarpgroups;
  static constexpr int kBlockN = LITEATTN_TUNE_BLOCK_N_128;
  static constexpr int kStages = LITEATTN_TUNE_STAGES_128;
  static constexpr bool kMmaPingPong = LITEATTN_TUNE_PINGPONG_128 != 0;
};

// Host-side lookup; dtype does not change the shape today but stays in the key so a
// future fp8 config can.
inline bool tile_shape_for(int head_dim, DType /*dtype*/, TileShape* out) {
  switch (head_dim) {
    case 64:
      *out = {FwdTileConfig<64>::kBlockM, FwdTileConfig<64>::kBlockN};
      return true;
    case 128:
      *out = {FwdTileConfig<128>::kBlockM, FwdTileConfig<128>::kBlockN};
      return true;
    default:
      return false;
  }
}

}  // namespace liteattn
