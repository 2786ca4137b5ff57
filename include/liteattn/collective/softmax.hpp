// Online softmax over one warpgroup's rows, in registers. Scores arrive unscaled; the
// softmax scale is folded into exp2 (one FFMA per element). Each thread holds kRows rows
// whose columns are spread over the 4 threads of a quad, so row reductions are two
// shuffles. Row sums stay thread-partial until finalize().
#pragma once

#include <cmath>

#include <cute/tensor.hpp>

#include "liteattn/collective/fragment_views.hpp"

namespace liteattn {

using namespace cute;

template <int kRows>
struct OnlineSoftmax {
  // Row maxima and sums run as this many independent chains combined at the end: a
  // single chain is 32 dependent FMNMX / FADD a row at BN = 128, and with two warps a
  // scheduler their latency, not the ALU, bounds the softmax (Nsight Compute, 2026-11-29:
  // "wait" the first stall reason at D = 64). Changes the summation order, not the result
  // beyond float rounding; still deterministic.
  static constexpr int kChains = 4;
  float row_max[kRows];
  float row_sum[kRows];
  float const scale_log2;

  CUTE_DEVICE explicit OnlineSoftmax(float softmax_scale_log2) : scale_log2(softmax_scale_log2) {
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      row_max[r] = -INFINITY;
      row_sum[r] = 0.f;
    }
  }

  CUTE_DEVICE static float quad_max(float x) {
    x = fmaxf(x, __shfl_xor_sync(0xffffffff, x, 1));
    return fmaxf(x, __shfl_xor_sync(0xffffffff, x, 2));
  }

  CUTE_DEVICE static float quad_sum(float x) {
    x += __shfl_xor_sync(0xffffffff, x, 1);
    return x + __shfl_xor_sync(0xffffffff, x, 2);
  }

  // Per-row maximum of a score tile (rowcol view), complete across the quad.
  template <class TensorS>
  CUTE_DEVICE void tile_row_max(TensorS const& s, float (&tile_max)[kRows]) const {
    static_assert(decltype(size<0>(s))::value == kRows);
    static_assert(decltype(size<1>(s))::value % kChains == 0 && kChains == 4);
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      float m[kChains];
      CUTE_UNROLL
      for (int j = 0; j < kChains; ++j) m[j] = s(r, j);
      CUTE_UNROLL
      for (int c = kChains; c < size<1>(s); ++c) m[c % kChains] = fmaxf(m[c % kChains], s(r, c));
      tile_max[r] = quad_max(fmaxf(fmaxf(m[0], m[1]), fmaxf(m[2], m[3])));
    }
  }

  // Folds a tile with known row maxima into the running state and turns its scores into
  // unnormalised probabilities in place. Returns, in `rescale`, the factor by which the
  // output accumulated so far must be multiplied.
  template <class TensorS>
  CUTE_DEVICE void update(TensorS& s, float const (&tile_max)[kRows], float (&rescale)[kRows]) {
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      float const new_max = fmaxf(row_max[r], tile_max[r]);
      // exp2(-inf) = 0 takes care of the first tile, where row_max is -inf.
      rescale[r] = exp2f((row_max[r] - new_max) * scale_log2);
      row_max[r] = new_max;
      float const shift = new_max * scale_log2;
      float sum[kChains] = {};
      CUTE_UNROLL
      for (int c = 0; c < size<1>(s); ++c) {
        s(r, c) = exp2f(fmaf(s(r, c), scale_log2, -shift));
        sum[c % kChains] += s(r, c);
      }
      row_sum[r] = row_sum[r] * rescale[r] + ((sum[0] + sum[1]) + (sum[2] + sum[3]));
    }
  }

  template <class TensorO>
  CUTE_DEVICE static void rescale_output(TensorO& o, float const (&rescale)[kRows]) {
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      CUTE_UNROLL
      for (int c = 0; c < size<1>(o); ++c) o(r, c) *= rescale[r];
    }
  }

  // Normalises the output rows and returns their natural-log softmax denominators;
  // a row that saw no key (every tile skipped) gets out = 0 and lse = -inf.
  template <class TensorO>
  CUTE_DEVICE void finalize(TensorO& o, float (&lse)[kRows]) {
    CUTE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      float const sum = quad_sum(row_sum[r]);
      bool const empty = !(sum > 0.f);
      float const inv = empty ? 0.f : 1.f / sum;
      CUTE_UNROLL
      for (int c = 0; c < size<1>(o); ++c) o(r, c) *= inv;
      lse[r] = empty ? -INFINITY : (row_max[r] * scale_log2 + __log2f(sum)) * float(M_LN2);
    }
  }
};

}  // namespace liteattn
