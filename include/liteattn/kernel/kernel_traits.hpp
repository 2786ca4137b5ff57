// CuTe types of one forward instantiation: tiled MMAs, shared-memory layouts, pipelines
// and the shared-storage struct, built once here so the collectives only name them.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>
#include <cutlass/cutlass.h>
#include <cutlass/numeric_types.h>
#include <cutlass/pipeline/pipeline.hpp>

#include "liteattn/barriers.hpp"
#include "liteattn/kernel/tile_scheduler.hpp"
#include "liteattn/traits.h"

namespace liteattn {

using namespace cute;

template <typename Element_, int HeadDim>
struct FwdKernelTraits {
  using Element = Element_;
  using Config = FwdTileConfig<HeadDim>;

  static constexpr int kHeadDim = HeadDim;
  static constexpr int kBlockM = Config::kBlockM;
  static constexpr int kBlockN = Config::kBlockN;
  static constexpr int kStages = Config::kStages;
  static constexpr bool kMmaPingPong = Config::kMmaPingPong;

  // Warp roles: warpgroup 0 produces (one warp issues TMA, the rest idle), each of the
  // others owns 64 query rows of the tile.
  static constexpr int kNumConsumerWarpgroups = Config::kConsumerWarpgroups;
  static_assert(kNumConsumerWarpgroups == 2 || kNumConsumerWarpgroups == kMaxConsumerWarpgroups);
  // 160 registers a thread hold D = 64's accumulators (O 32 + S 64 + P 32), not D = 128's.
  static_assert(kNumConsumerWarpgroups == 2 || kHeadDim <= 64,
                "three consumer warpgroups (160 registers) only fit head dim 64");
  static constexpr int kRowsPerWarpgroup = 64;
  static constexpr int kNumMmaThreads = kNumConsumerWarpgroups * 128;
  static constexpr int kNumThreads = kNumMmaThreads + 128;
  static_assert(kBlockM == kNumConsumerWarpgroups * kRowsPerWarpgroup);

  // Register split (setmaxnreg). The pool is what the launch allocated, not the SM's
  // 65536: a 32/240 split with two consumer warpgroups asks for 1024 more than exist and
  // the consumers' setmaxnreg.inc waits forever (seen: every GPU test hung, 2026-11-29).
  // Two: 128 * 24 + 256 * 240 = 64512 = 168 * 384 (the launch's 168 a thread).
  // Three: 128 * 32 + 384 * 160 = 65536 = 128 * 512.
  static constexpr int kProducerRegisters = kNumConsumerWarpgroups == 2 ? 24 : 32;
  static constexpr int kConsumerRegisters = kNumConsumerWarpgroups == 2 ? 240 : 160;
  static_assert(kProducerRegisters * 128 + kConsumerRegisters * kNumMmaThreads <=
                (65536 / kNumThreads / 8 * 8) * kNumThreads);

  // One warpgroup's GEMMs: S = Q K^T with both operands in shared memory, and
  // O += P V with P straight from the softmax registers.
  using TileShapeQK = Shape<Int<kRowsPerWarpgroup>, Int<kBlockN>, Int<kHeadDim>>;
  using TileShapePV = Shape<Int<kRowsPerWarpgroup>, Int<kHeadDim>, Int<kBlockN>>;
  using TiledMmaQK = decltype(make_tiled_mma(
      GMMA::ss_op_selector<Element, Element, float, TileShapeQK>()));
  using TiledMmaPV = decltype(make_tiled_mma(
      GMMA::rs_op_selector<Element, Element, float, TileShapePV, GMMA::Major::K,
                           GMMA::Major::MN>()));

  // Q and O are kept per warpgroup ([64, D] each) so that each warpgroup loads, reads
  // and stores its rows without indexing into the other's swizzle pattern.
  // 128-byte swizzle: head dims are multiples of 64 two-byte elements, one swizzle row.
  static_assert(kHeadDim % 64 == 0);
  using SmemLayoutAtom = GMMA::Layout_K_SW128_Atom<Element>;
  using SmemLayoutQ = decltype(tile_to_shape(
      SmemLayoutAtom{}, Shape<Int<kRowsPerWarpgroup>, Int<kHeadDim>>{}));
  using SmemLayoutO = SmemLayoutQ;  // O is staged in the warpgroup's Q slot (SharedStorage)

  using SmemLayoutKV = decltype(tile_to_shape(
      SmemLayoutAtom{}, Shape<Int<kBlockN>, Int<kHeadDim>, Int<kStages>>{}));
  // V read as the MN-major B operand of P V: the same bytes, viewed as [D, BN].
  using SmemLayoutVt = decltype(composition(
      SmemLayoutKV{}, make_ordered_layout(Shape<Int<kHeadDim>, Int<kBlockN>, Int<kStages>>{},
                                          Step<_2, _1, _3>{})));

  using SmemCopyAtomO = Copy_Atom<SM90_U32x4_STSM_N, Element>;

  using PipelineKV = cutlass::PipelineTmaAsync<kStages>;
  using PipelineState = typename cutlass::PipelineState<kStages>;

  // Skip votes: one byte per key tile, double-buffered by tile parity (see decision.hpp).
  static constexpr int kMaxMaskWords = liteattn::kMaxMaskWords;
  static constexpr int kNumMmaWarps = kNumMmaThreads / 32;

  static constexpr int kTmaBytesQ = kRowsPerWarpgroup * kHeadDim * int(sizeof(Element));
  static constexpr int kTmaBytesKV = kBlockN * kHeadDim * int(sizeof(Element));

  struct SharedStorage {
    // Q of two tiles, by tile parity, so that tile t+1's Q loads while tile t runs. A
    // warpgroup stages tile t's O in its own Q slot of tile t (its Q is dead after its
    // last Q K^T); the slot takes tile t+2's Q once that store has read it. Same size as
    // one Q slot plus an O staging buffer a warpgroup, which this replaces.
    array_aligned<Element, cosize_v<SmemLayoutQ>, 128> smem_q[2][kNumConsumerWarpgroups];
    array_aligned<Element, cosize_v<SmemLayoutKV>, 128> smem_k;
    array_aligned<Element, cosize_v<SmemLayoutKV>, 128> smem_v;
    // Declared as words, written as bytes through an unsigned char pointer (which may
    // alias anything), read back by the producer as uint4 (16 bytes, four words: still a
    // reinterpretation, harmless here: writers and reader are other threads, ordered by
    // the votes_in mbarrier).
    alignas(16) uint32_t veto[2][kMaxMaskWords * 8];
    // One per vote row: every consumer warp arrives once it has voted on its tile.
    alignas(8) cutlass::arch::ClusterBarrier votes_in[2];
    typename PipelineKV::SharedStorage pipeline_k;
    typename PipelineKV::SharedStorage pipeline_v;
    alignas(8) cutlass::arch::ClusterTransactionBarrier q_full[2];
    alignas(8) cutlass::arch::ClusterBarrier q_empty[2];  // one arrival per consumer warp
    typename DynamicTileScheduler<kNumMmaThreads>::Handoff tile_handoff;
  };
  static constexpr int kSharedStorageBytes = int(sizeof(SharedStorage));
  static_assert(kSharedStorageBytes <= 227 * 1024, "shared storage exceeds sm_90's 227 KB");
};

}  // namespace liteattn
