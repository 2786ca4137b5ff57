// Views of wgmma accumulator fragments: by (row, column) for the softmax, and as the
// register A operand of the next GEMM. Both only reinterpret the same registers.
#pragma once

#include <type_traits>

#include <cute/tensor.hpp>
#include <cutlass/numeric_conversion.h>

namespace liteattn {

using namespace cute;

// sm90 accumulator ((2 cols, 2 rows, N/8 col groups), MMA_M, MMA_N) ->
// ((2 rows, MMA_M), (2 cols, N/8, MMA_N)): each thread holds two rows, eight apart.
template <class Layout>
CUTE_HOST_DEVICE constexpr auto rowcol_layout(Layout acc) {
  static_assert(decltype(rank<0>(acc))::value == 3);
  auto v = get<0>(acc);
  return make_layout(make_layout(get<1>(v), get<1>(acc)),
                     make_layout(get<0>(v), get<2>(v), get<2>(acc)));
}

template <class Tensor>
CUTE_HOST_DEVICE constexpr auto rowcol_view(Tensor&& t) {
  return make_tensor(t.data(), rowcol_layout(t.layout()));
}

// The accumulator of S = Q K^T, N columns wide, read as the A operand of O += P V with
// K = N: pairs of 8-column groups make one 16-deep k-block,
// ((2, 2, N/8), M, 1) -> ((2, 2, 2), M, N/16).
template <class Layout>
CUTE_HOST_DEVICE constexpr auto acc_as_a_operand_layout(Layout acc) {
  auto groups = logical_divide(get<0, 2>(acc), Tile<_2>{});
  return make_layout(make_layout(get<0, 0>(acc), get<0, 1>(acc), get<0, 0>(groups)),
                     get<1>(acc),
                     coalesce(make_layout(get<0, 1>(groups), get<2>(acc))));
}

// Element-type conversion between two compact register fragments of equal size, element
// i to element i whatever their layouts; the array converter packs pairs
// (cvt.rn.bf16x2.f32 / f16x2).
template <class TensorSrc, class TensorDst>
CUTE_DEVICE void convert_fragment(TensorSrc const& src, TensorDst& dst) {
  using From = typename std::decay_t<TensorSrc>::value_type;
  using To = typename std::decay_t<TensorDst>::value_type;
  constexpr int kNumel = decltype(size(src))::value;
  static_assert(kNumel == decltype(size(dst))::value);
  cutlass::NumericArrayConverter<To, From, kNumel> convert;
  *reinterpret_cast<cutlass::Array<To, kNumel>*>(dst.data()) =
      convert(*reinterpret_cast<const cutlass::Array<From, kNumel>*>(src.data()));
}

}  // namespace liteattn
