// One warpgroup GEMM through wgmma: fence the operands, issue every k-block, commit them
// as one group, and optionally wait. kWait < 0 leaves the group in flight so the caller
// can overlap it (warpgroup_wait<N> later).
#pragma once

#include <type_traits>

#include <cute/tensor.hpp>

namespace liteattn {

using namespace cute;

template <bool kZeroInit, int kWait, class TiledMma, class TensorA, class TensorB, class TensorC>
CUTE_DEVICE void wgmma_gemm(TiledMma& tiled_mma, TensorA const& tA, TensorB const& tB, TensorC& tC) {
  // A held in registers (P of O += P V) must be fenced too: wgmma reads it asynchronously.
  // (Shared-memory operands arrive as GMMA descriptor iterators, which are not fenced.)
  constexpr bool kAInRegisters =
      !std::is_same_v<typename std::decay_t<TensorA>::iterator, GMMA::DescriptorIterator>;
  if constexpr (kAInRegisters) warpgroup_fence_operand(const_cast<TensorA&>(tA));
  warpgroup_fence_operand(tC);
  warpgroup_arrive();
  if constexpr (kZeroInit) tiled_mma.accumulate_ = GMMA::ScaleOut::Zero;
  CUTE_UNROLL
  for (int k = 0; k < size<2>(tA); ++k) {
    cute::gemm(tiled_mma, tA(_, _, k), tB(_, _, k), tC);
    tiled_mma.accumulate_ = GMMA::ScaleOut::One;
  }
  warpgroup_commit_batch();
  if constexpr (kWait >= 0) warpgroup_wait<kWait>();
  warpgroup_fence_operand(tC);
  if constexpr (kAInRegisters) warpgroup_fence_operand(const_cast<TensorA&>(tA));
}

}  // namespace liteattn
