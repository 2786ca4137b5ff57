// The warp-specialized forward kernel: warp roles, the register split, and the
// persistent loop that composes the mainloop, the skip decision and the epilogue.
// It does not know how a tile is loaded, multiplied or stored.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>
#include <cutlass/arch/reg_reconfig.h>
#include <cutlass/pipeline/pipeline.hpp>

#include "liteattn/api.h"
#include "liteattn/barriers.hpp"
#include "liteattn/grid_dependency.hpp"
#include "liteattn/collective/decision.hpp"
#include "liteattn/collective/epilogue.hpp"
#include "liteattn/collective/mainloop.hpp"
#include "liteattn/collective/mma_turns.hpp"
#include "liteattn/collective/skip_iter.hpp"
#include "liteattn/collective/softmax.hpp"
#include "liteattn/kernel/kernel_traits.hpp"
#include "liteattn/kernel/tile_order.h"
#include "liteattn/kernel/tile_scheduler.hpp"

namespace liteattn {

using namespace cute;

template <class Traits>
struct FwdKernel {
  using Mainloop = FwdMainloop<Traits>;
  using Epilogue = FwdEpilogue<Traits>;
  using Scheduler = DynamicTileScheduler<Traits::kNumMmaThreads>;
  using SharedStorage = typename Traits::SharedStorage;

  // Skip-mask rows are [B, Hq, Tm, W] int32, one row per tile the scheduler hands out.
  struct MaskParams {
    const int32_t* skip_in;
    int32_t* skip_out;
    const int32_t* must_compute;
    float threshold;
    int words;
  };

  struct Params {
    typename Mainloop::Params mainloop;
    typename Epilogue::Params epilogue;
    typename Scheduler::Params scheduler;
    MaskParams masks;
  };

  // The workspace (run_fwd.cpp's fwd_workspace_ints): [0] the scheduler's tile counter,
  // then, with skip_in, the tile order's scratch (kernel/tile_order.h).
  static int32_t* order_scratch(FwdParams const& p) { return p.workspace + 1; }

  static Params make_params(FwdParams const& p) {
    int const num_m_blocks = (p.seqlen_q + Traits::kBlockM - 1) / Traits::kBlockM;
    int const num_key_tiles = (p.seqlen_k + Traits::kBlockN - 1) / Traits::kBlockN;
    return {Mainloop::make_params(p),
            Epilogue::make_params(p),
            {num_m_blocks * p.heads_q * p.batch, num_m_blocks, p.heads_q, p.workspace,
             p.skip_in != nullptr ? tile_order_of(order_scratch(p), p.batch * p.heads_q) : nullptr},
            {p.skip_in, p.skip_out, p.must_compute, p.threshold, (num_key_tiles + 31) / 32}};
  }
};

template <class Traits>
__global__ void __launch_bounds__(Traits::kNumThreads, 1)
    fwd_kernel(CUTE_GRID_CONSTANT typename FwdKernel<Traits>::Params const params) {
  using Kernel = FwdKernel<Traits>;
  using Mainloop = typename Kernel::Mainloop;
  using Epilogue = typename Kernel::Epilogue;
  using SharedStorage = typename Traits::SharedStorage;
  using PipelineKV = typename Traits::PipelineKV;
  using PipelineState = typename Traits::PipelineState;

  extern __shared__ char smem_buf[];
  SharedStorage& smem = *reinterpret_cast<SharedStorage*>(smem_buf);

  int const warp_group = cutlass::canonical_warp_group_idx();
  int const warp_idx = cutlass::canonical_warp_idx_sync();
  int const lane = threadIdx.x & 31;

  if (warp_idx == 0 && lane == 0) {
    Mainloop::prefetch_descriptors(params.mainloop);
    Epilogue::prefetch_descriptors(params.epilogue);
    for (int slot = 0; slot < 2; ++slot) {
      smem.q_full[slot].init(1);
      smem.q_empty[slot].init(Traits::kNumMmaWarps);
    }
    smem.votes_in[0].init(Traits::kNumMmaWarps);
    smem.votes_in[1].init(Traits::kNumMmaWarps);
    Kernel::Scheduler::init(smem.tile_handoff);
  }

  typename PipelineKV::Params pipeline_params;
  pipeline_params.transaction_bytes = Traits::kTmaBytesKV;
  pipeline_params.role = warp_group == 0 ? PipelineKV::ThreadCategory::Producer
                                         : PipelineKV::ThreadCategory::Consumer;
  pipeline_params.is_leader = threadIdx.x == 0;
  pipeline_params.num_consumers = Traits::kNumMmaThreads;
  PipelineKV pipeline_k(smem.pipeline_k, pipeline_params, Shape<_1, _1, _1>{});
  PipelineKV pipeline_v(smem.pipeline_v, pipeline_params, Shape<_1, _1, _1>{});

  for (auto& row : smem.veto) {
    for (int i = threadIdx.x; i < Traits::kMaxMaskWords * 8; i += blockDim.x) row[i] = 0u;
  }
  cutlass::arch::fence_barrier_init();
  // Everything above overlaps the tile order kernel; the scheduler's counter and
  // order (and skip_in, stream-ordered before those kernels) are read only below.
  wait_for_prerequisite_grids();
  __syncthreads();

  typename Kernel::Scheduler scheduler(params.scheduler, smem.tile_handoff);
  auto const& masks = params.masks;
  int const num_m_blocks = params.scheduler.num_m_blocks;
  int const num_key_tiles = params.mainloop.num_key_tiles;
  // A tile's row in the [B, Hq, Tm] grid of mask rows. An int: 2^31 rows would mean a Q
  // of 2^31 tiles of 64+ rows, far past any GPU's memory.
  auto row_of = [&](TileCoord c) {
    return (c.batch * params.scheduler.heads + c.head) * num_m_blocks + c.m_block;
  };
  auto mask_row_at = [&](const int32_t* mask, int row) -> const int32_t* {
    return mask == nullptr ? nullptr : mask + int64_t(row) * masks.words;
  };
  auto mask_row = [&](const int32_t* mask, TileCoord c) { return mask_row_at(mask, row_of(c)); };

  if (warp_group == 0) {
    cutlass::arch::warpgroup_reg_dealloc<Traits::kProducerRegisters>();
    if (warp_idx != 0) return;  // one producer warp is enough to issue TMA
    PipelineState write_k = cutlass::make_producer_start_state<PipelineKV>();
    PipelineState write_v = cutlass::make_producer_start_state<PipelineKV>();
    // The mask row of tile t is written once the consumers have voted on all of it, from
    // inside the loads of tile t+1 (after its first K, V pair: the warp would wait for a
    // stage there anyway) and before those of tile t+2, which reuse its vote row (see
    // decision.hpp).
    auto write_mask_row = [&](int row, int iter) {
      if (masks.skip_out == nullptr) return;
      smem.votes_in[iter & 1].wait((iter >> 1) & 1);
      write_skip_row(smem.veto[iter & 1], const_cast<int32_t*>(mask_row_at(masks.skip_out, row)),
                     mask_row_at(masks.skip_in, row), masks.must_compute, num_key_tiles, lane);
      __syncwarp();
    };
    auto key_tiles_of = [&](TileCoord c) {
      return KeyTileIterator(mask_row(masks.skip_in, c), num_key_tiles);
    };
    int tile = scheduler.first_tile();
    if (!scheduler.valid(tile)) return;
    TileCoord c = scheduler.decode(tile);
    KeyTileIterator key_tiles = key_tiles_of(c);
    int previous_row = 0;
    int tile_iter = 0;
    for (;; ++tile_iter) {
      int const drawn = scheduler.draw_next();
      // Under this tile's loads: the previous tile's mask row, which between two tiles'
      // loads would delay the next tile's first K.
      auto between_loads = [&] {
        if (tile_iter > 0) write_mask_row(previous_row, tile_iter - 1);
      };
      Mainloop::load(params.mainloop, smem, pipeline_k, pipeline_v, write_k, write_v, c.m_block,
                     c.head, c.batch, key_tiles, tile_iter, lane == 0, between_loads);
      previous_row = row_of(c);
      tile = scheduler.drawn_index(drawn);
      if (scheduler.valid(tile)) {
        c = scheduler.decode(tile);
        key_tiles = key_tiles_of(c);
      }
      scheduler.publish(tile, tile_iter);
      if (!scheduler.valid(tile)) {  // c is still this tile: it moves only to a valid one
        write_mask_row(row_of(c), tile_iter);
        break;
      }
    }
  } else {
    cutlass::arch::warpgroup_reg_alloc<Traits::kConsumerRegisters>();
    int const wg = warp_group - 1;
    int const thread_in_wg = threadIdx.x & 127;
    PipelineState read_k;
    PipelineState read_v;
    typename Traits::TiledMmaPV mma_pv;
    Tensor tOrO = partition_fragment_C(mma_pv, select<0, 1>(typename Traits::TileShapePV{}));
    Tensor output = rowcol_view(tOrO);

    MmaTurns<Traits::kMmaPingPong, Traits::kNumConsumerWarpgroups> const turns(wg);
    turns.start();
    typename Epilogue::FinishedRows finished;  // the previous tile's rows, not yet stored
    int tile_iter = 0;
    int staged_slot = -1;  // the Q slot a store has staged O in, not yet handed back
    // Called under tile tile_iter's first Q K^T, and once after the last tile: the rows
    // held are tile_iter - 1's, staged in that tile's Q slot.
    auto store_finished = [&] {
      int const slot = (tile_iter - 1) & 1;
      if (Epilogue::store(params.epilogue, smem, finished, scheduler, slot, wg, thread_in_wg)) {
        staged_slot = slot;
      }
    };
    // After the tile's first softmax (the store's reads have had the Q K^T and the softmax
    // to finish), and once after the last tile.
    auto release_staged_slot = [&] {
      if (staged_slot >= 0) Epilogue::release_q_slot(smem, staged_slot, thread_in_wg);
      staged_slot = -1;
    };
    for (int tile = scheduler.first_tile(); scheduler.valid(tile); ++tile_iter) {
      TileCoord const c = scheduler.decode(tile);
      int const valid_rows = params.epilogue.seqlen_q -
                             (c.m_block * Traits::kBlockM + wg * Traits::kRowsPerWarpgroup);
      VoteTarget const vote_target{masks.skip_out != nullptr, smem.veto[tile_iter & 1],
                                   &smem.votes_in[tile_iter & 1], masks.threshold};

      OnlineSoftmax<2> softmax(params.mainloop.scale_log2);
      // Two copies of the mainloop: with votes, and without any (decision.hpp says why).
      auto mainloop = [&](auto with_votes) {
        Mainloop::template mma<decltype(with_votes)::value>(
            params.mainloop, smem, pipeline_k, pipeline_v, read_k, read_v,
            KeyTileIterator(mask_row(masks.skip_in, c), num_key_tiles), tile_iter, wg,
            thread_in_wg, valid_rows, turns, tOrO, softmax, vote_target, store_finished,
            release_staged_slot);
      };
      if (vote_target.enabled) {
        mainloop(cute::true_type{});
      } else {
        mainloop(cute::false_type{});
      }
      float lse[2];
      softmax.finalize(output, lse);
      Epilogue::finish(tOrO, lse, tile, finished);
      tile = scheduler.receive(tile_iter);
    }
    turns.finish();
    store_finished();
    release_staged_slot();
    Epilogue::drain(thread_in_wg);
  }
}

}  // namespace liteattn
