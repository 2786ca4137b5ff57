// The forward mainloop: the producer side issues TMA loads of Q (once per tile) and of
// K, V (per key tile, into a multi-stage pipeline); the consumer side runs, per
// warpgroup, S = Q K^T, the online softmax and O += P V. Both sides take their key tiles
// from a KeyTileIterator built from the same mask row, so a skipped tile is neither
// loaded nor multiplied. Inside a warpgroup the GEMMs S_{i+1} = Q K_{i+1}^T and
// O += P_i V_i are issued together, and the softmax of tile i+1 waits only for S_{i+1},
// so P_i V_i runs under it. The consumer warpgroups may take turns issuing their GEMMs
// (MmaTurns, where traits.h says it pays), so one warpgroup's softmax runs under the
// others' GEMMs.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/collective/decision.hpp"
#include "liteattn/collective/fragment_views.hpp"
#include "liteattn/collective/mma_turns.hpp"
#include "liteattn/collective/skip_iter.hpp"
#include "liteattn/collective/softmax.hpp"
#include "liteattn/collective/wgmma.hpp"
#include "liteattn/kernel/kernel_traits.hpp"

namespace liteattn {

using namespace cute;

// Global tensors as (sequence, head dim, heads, batch), head dim contiguous; the other
// strides are free, which is what lets [B, H, S, D] views through without a copy.
using GmemShape = Shape<int32_t, int32_t, int32_t, int32_t>;
using GmemStride = Stride<int64_t, _1, int64_t, int64_t>;

template <typename Element>
inline auto make_gmem_tensor(Element* ptr, int seqlen, int head_dim, int heads, int batch,
                             int64_t row_stride, int64_t head_stride, int64_t batch_stride) {
  return make_tensor(make_gmem_ptr(ptr),
                     make_layout(make_shape(seqlen, head_dim, heads, batch),
                                 make_stride(row_stride, _1{}, head_stride, batch_stride)));
}

template <class Traits>
struct FwdMainloop {
  using Element = typename Traits::Element;
  using TiledMmaQK = typename Traits::TiledMmaQK;
  using TiledMmaPV = typename Traits::TiledMmaPV;
  using SmemLayoutQ = typename Traits::SmemLayoutQ;
  using SmemLayoutKV = typename Traits::SmemLayoutKV;
  using SmemLayoutVt = typename Traits::SmemLayoutVt;
  using PipelineKV = typename Traits::PipelineKV;
  using PipelineState = typename Traits::PipelineState;
  using SharedStorage = typename Traits::SharedStorage;

  static constexpr int kBlockN = Traits::kBlockN;
  static constexpr int kHeadDim = Traits::kHeadDim;
  static constexpr int kRows = Traits::kRowsPerWarpgroup;

  using TileQ = Shape<Int<kRows>, Int<kHeadDim>>;
  using TileKV = Shape<Int<kBlockN>, Int<kHeadDim>>;
  using GmemTensorIn = decltype(make_gmem_tensor(static_cast<Element const*>(nullptr), 0, 0, 0, 0, 0, 0, 0));
  using TmaQ = decltype(make_tma_copy(SM90_TMA_LOAD{}, GmemTensorIn{}, SmemLayoutQ{}, TileQ{}, _1{}));
  using TmaKV = decltype(make_tma_copy(SM90_TMA_LOAD{}, GmemTensorIn{},
                                       take<0, 2>(SmemLayoutKV{}), TileKV{}, _1{}));

  struct Params {
    TmaQ tma_q;
    TmaKV tma_k;
    TmaKV tma_v;
    GmemShape shape_q;
    GmemShape shape_kv;
    int seqlen_k;
    int num_key_tiles;
    int heads_per_kv;
    float scale_log2;
  };

  static Params make_params(FwdParams const& p) {
    auto q = make_gmem_tensor(static_cast<Element const*>(p.q), p.seqlen_q, kHeadDim, p.heads_q,
                              p.batch, p.q_row_stride, p.q_head_stride, p.q_batch_stride);
    auto k = make_gmem_tensor(static_cast<Element const*>(p.k), p.seqlen_k, kHeadDim, p.heads_kv,
                              p.batch, p.k_row_stride, p.k_head_stride, p.k_batch_stride);
    auto v = make_gmem_tensor(static_cast<Element const*>(p.v), p.seqlen_k, kHeadDim, p.heads_kv,
                              p.batch, p.v_row_stride, p.v_head_stride, p.v_batch_stride);
    return {make_tma_copy(SM90_TMA_LOAD{}, q, SmemLayoutQ{}, TileQ{}, _1{}),
            make_tma_copy(SM90_TMA_LOAD{}, k, take<0, 2>(SmemLayoutKV{}), TileKV{}, _1{}),
            make_tma_copy(SM90_TMA_LOAD{}, v, take<0, 2>(SmemLayoutKV{}), TileKV{}, _1{}),
            q.shape(),
            k.shape(),
            p.seqlen_k,
            (p.seqlen_k + kBlockN - 1) / kBlockN,
            p.heads_q / p.heads_kv,
            static_cast<float>(p.softmax_scale * M_LOG2E)};
  }

  CUTE_DEVICE static void prefetch_descriptors(Params const& params) {
    cute::prefetch_tma_descriptor(params.tma_q.get_tma_descriptor());
    cute::prefetch_tma_descriptor(params.tma_k.get_tma_descriptor());
    cute::prefetch_tma_descriptor(params.tma_v.get_tma_descriptor());
  }

  // Producer: every load of one (batch, head, query tile). The whole warp walks the key
  // tiles and waits for the stages; `leader` (one lane) issues the loads. `between_loads`
  // runs once, warp-wide, after the first K, V pair is issued (in a row with one key tile,
  // between its K and its V; in one with none, at once): work that would otherwise sit
  // between this tile's last load and the next tile's first, where the consumers may be
  // waiting for it, here runs while the warp would wait for a free stage anyway.
  template <class BetweenLoads>
  CUTE_DEVICE static void load(Params const& params, SharedStorage& smem, PipelineKV& pipeline_k,
                               PipelineKV& pipeline_v, PipelineState& write_k,
                               PipelineState& write_v, int m_block, int head, int batch,
                               KeyTileIterator key_tiles, int tile_iter, bool leader,
                               BetweenLoads&& between_loads) {
    Tensor mQ = params.tma_q.get_tma_tensor(params.shape_q);
    Tensor mK = params.tma_k.get_tma_tensor(params.shape_kv);
    Tensor mV = params.tma_v.get_tma_tensor(params.shape_kv);
    int const kv_head = head / params.heads_per_kv;
    Tensor gQ = local_tile(mQ(_, _, head, batch), TileQ{}, make_coord(_, _0{}));     // (64, D, m64)
    Tensor gK = local_tile(mK(_, _, kv_head, batch), TileKV{}, make_coord(_, _0{}));  // (BN, D, n)
    Tensor gV = local_tile(mV(_, _, kv_head, batch), TileKV{}, make_coord(_, _0{}));

    Tensor sK = make_tensor(make_smem_ptr(smem.smem_k.data()), SmemLayoutKV{});
    Tensor sV = make_tensor(make_smem_ptr(smem.smem_v.data()), SmemLayoutKV{});

    auto tma_q = params.tma_q.get_slice(_0{});
    auto tma_k = params.tma_k.get_slice(_0{});
    auto tma_v = params.tma_v.get_slice(_0{});
    Tensor tQgQ = tma_q.partition_S(gQ);
    Tensor tKgK = tma_k.partition_S(gK);
    Tensor tKsK = tma_k.partition_D(sK);
    Tensor tVgV = tma_v.partition_S(gV);
    Tensor tVsV = tma_v.partition_D(sV);

    // Q into the tile-parity slot once every consumer warp has released it: tile t-2's
    // O, staged there, has been read by its TMA store (a fresh slot counts as released).
    int const q_slot = tile_iter & 1;
    smem.q_empty[q_slot].wait(((tile_iter >> 1) & 1) ^ 1);
    if (leader) {
      smem.q_full[q_slot].arrive_and_expect_tx(Traits::kNumConsumerWarpgroups * Traits::kTmaBytesQ);
      CUTE_UNROLL
      for (int wg = 0; wg < Traits::kNumConsumerWarpgroups; ++wg) {
        Tensor sQ = make_tensor(make_smem_ptr(smem.smem_q[q_slot][wg].data()), SmemLayoutQ{});
        copy(params.tma_q.with(reinterpret_cast<uint64_t&>(smem.q_full[q_slot]), 0),
             tQgQ(_, _, _, m_block * Traits::kNumConsumerWarpgroups + wg), tma_q.partition_D(sQ));
      }
    }

    // producer_acquire's expect-tx arrival comes from the pipeline's leader thread only
    // (threadIdx.x == 0, this warp's lane 0), so every lane may wait through it.
    auto load_kv = [&](auto const& tma, auto const& src, auto& dst, PipelineKV& pipeline,
                       PipelineState& state, int n_block) {
      pipeline.producer_acquire(state);
      if (leader) {
        copy(tma.with(*pipeline.producer_get_barrier(state), 0), src(_, _, _, n_block),
             dst(_, _, _, state.index()));
      }
      ++state;
    };

    // K runs one tile ahead of V, in the order the consumers use them: K_0, then
    // (K_i, V_{i-1}) pairs, then the last V.
    int prev;
    if (!key_tiles.next(prev)) {
      between_loads();
      return;
    }
    load_kv(params.tma_k, tKgK, tKsK, pipeline_k, write_k, prev);
    int tile;
    bool more = key_tiles.next(tile);
    if (more) {
      load_kv(params.tma_k, tKgK, tKsK, pipeline_k, write_k, tile);
      load_kv(params.tma_v, tVgV, tVsV, pipeline_v, write_v, prev);
      prev = tile;
    }
    between_loads();
    while (more && key_tiles.next(tile)) {
      load_kv(params.tma_k, tKgK, tKsK, pipeline_k, write_k, tile);
      load_kv(params.tma_v, tVgV, tVsV, pipeline_v, write_v, prev);
      prev = tile;
    }
    load_kv(params.tma_v, tVgV, tVsV, pipeline_v, write_v, prev);
  }

  // Consumer: one warpgroup's rows of one tile. tOrO ends holding the unnormalised
  // output; `softmax` holds the row statistics; `vote_target` receives one vote per
  // computed key tile from each warp (nothing when skip_out is not requested), all cast
  // before the last P V. `under_first_gemm` runs once, while the tile's first Q K^T is on
  // the tensor cores (or at once if every key tile is skipped): the previous tile's stores.
  // `after_first_softmax` runs once, after the first tile's softmax (or right after
  // under_first_gemm): handing that tile's Q slot back once its store has read it, which
  // under the Q K^T alone could hold the warpgroup's next GEMM.
  template <bool kVotes, class FragO, class Turns, class UnderFirstGemm, class AfterFirstSoftmax>
  CUTE_DEVICE static void mma(Params const& params, SharedStorage& smem, PipelineKV& pipeline_k,
                              PipelineKV& pipeline_v, PipelineState& read_k,
                              PipelineState& read_v, KeyTileIterator key_tiles, int tile_iter,
                              int wg, int thread_in_wg, int valid_rows, Turns const& turns,
                              FragO& tOrO, OnlineSoftmax<2>& softmax,
                              VoteTarget const& vote_target, UnderFirstGemm&& under_first_gemm,
                              AfterFirstSoftmax&& after_first_softmax) {
    TiledMmaQK mma_qk;
    TiledMmaPV mma_pv;
    auto thr_qk = mma_qk.get_thread_slice(thread_in_wg);
    auto thr_pv = mma_pv.get_thread_slice(thread_in_wg);

    Tensor sQ = make_tensor(make_smem_ptr(smem.smem_q[tile_iter & 1][wg].data()), SmemLayoutQ{});
    Tensor sK = make_tensor(make_smem_ptr(smem.smem_k.data()), SmemLayoutKV{});
    Tensor sVt = make_tensor(make_smem_ptr(smem.smem_v.data()), SmemLayoutVt{});
    Tensor tSrQ = thr_qk.partition_fragment_A(sQ);
    Tensor tSrK = thr_qk.partition_fragment_B(sK);
    Tensor tOrV = thr_pv.partition_fragment_B(sVt);

    Tensor tSrS = partition_fragment_C(mma_qk, select<0, 1>(typename Traits::TileShapeQK{}));
    Tensor tOrP = make_tensor<Element>(acc_as_a_operand_layout(tSrS.layout()));
    Tensor scores = rowcol_view(tSrS);
    Tensor output = rowcol_view(tOrO);

    // (row, column) of each score this thread holds, within the warpgroup's 64 x BN tile.
    Tensor coords = rowcol_view(thr_qk.partition_C(
        make_identity_tensor(select<0, 1>(typename Traits::TileShapeQK{}))));
    bool row_valid[2];
    CUTE_UNROLL
    for (int r = 0; r < 2; ++r) row_valid[r] = get<0>(coords(r, 0)) < valid_rows;
    SkipVotes<2, kVotes> votes(vote_target, params.scale_log2, row_valid);

    auto mask_tail_columns = [&](int n_block) {
      int const valid_cols = params.seqlen_k - n_block * kBlockN;
      if (valid_cols >= kBlockN) return;
      CUTE_UNROLL
      for (int c = 0; c < size<1>(scores); ++c) {
        if (get<1>(coords(0, c)) >= valid_cols) {
          CUTE_UNROLL
          for (int r = 0; r < 2; ++r) scores(r, c) = -INFINITY;
        }
      }
    };

    // Tile max, vote, and the softmax update of one freshly computed score tile. Only the
    // last key tile can be partial, and tiles come in descending order, so only the first
    // visited tile needs its tail masked: the loop's steps carry no per-column selects
    // (96 instructions a tile at BN = 128, on the softmax's critical path).
    auto softmax_step = [&](int n_block, bool first_visited, float (&rescale)[2]) {
      if (first_visited) mask_tail_columns(n_block);
      float tile_max[2];
      softmax.tile_row_max(scores, tile_max);
      float const running_max[2] = {softmax.row_max[0], softmax.row_max[1]};
      softmax.update(scores, tile_max, rescale);
      votes.vote(n_block, first_visited, tile_max, running_max);
    };

    clear(tOrO);
    smem.q_full[tile_iter & 1].wait((tile_iter >> 1) & 1);

    int tile;
    if (!key_tiles.next(tile)) {
      votes.votes_cast();
      under_first_gemm();
      after_first_softmax();
      return;
    }
    float rescale[2];
    pipeline_k.consumer_wait(read_k);
    turns.wait();
    wgmma_gemm<true, -1>(mma_qk, tSrQ, tSrK(_, _, _, read_k.index()), tSrS);
    turns.pass();
    under_first_gemm();
    warpgroup_wait<0>();
    warpgroup_fence_operand(tSrS);
    pipeline_k.consumer_release(read_k);
    ++read_k;
    softmax_step(tile, true, rescale);
    convert_fragment(tSrS, tOrP);
    after_first_softmax();

    while (key_tiles.next(tile)) {
      pipeline_k.consumer_wait(read_k);
      turns.wait();
      wgmma_gemm<true, -1>(mma_qk, tSrQ, tSrK(_, _, _, read_k.index()), tSrS);
      pipeline_v.consumer_wait(read_v);
      wgmma_gemm<false, -1>(mma_pv, tOrP, tOrV(_, _, _, read_v.index()), tOrO);
      turns.pass();
      warpgroup_wait<1>();
      warpgroup_fence_operand(tSrS);
      pipeline_k.consumer_release(read_k);
      ++read_k;
      softmax_step(tile, false, rescale);
      warpgroup_wait<0>();
      warpgroup_fence_operand(tOrO);
      pipeline_v.consumer_release(read_v);
      ++read_v;
      softmax.rescale_output(output, rescale);
      convert_fragment(tSrS, tOrP);
    }
    // Every Q K^T of this tile is done: the producer may write this tile's mask row.
    votes.votes_cast();
    pipeline_v.consumer_wait(read_v);
    turns.wait();
    wgmma_gemm<false, -1>(mma_pv, tOrP, tOrV(_, _, _, read_v.index()), tOrO);
    turns.pass();
    warpgroup_wait<0>();
    warpgroup_fence_operand(tOrO);
    pipeline_v.consumer_release(read_v);
    ++read_v;
  }
};

}  // namespace liteattn
