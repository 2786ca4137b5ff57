// The forward epilogue of one warpgroup's 64 rows: O goes registers -> shared memory
// (stmatrix) -> global (TMA store, which clips rows past seqlen_q), lse goes straight to
// global from the threads that own each row.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

#include "liteattn/barriers.hpp"
#include "liteattn/collective/fragment_views.hpp"
#include "liteattn/collective/mainloop.hpp"
#include "liteattn/kernel/tile_scheduler.hpp"

namespace liteattn {

using namespace cute;

template <class Traits>
struct FwdEpilogue {
  using Element = typename Traits::Element;
  using SmemLayoutO = typename Traits::SmemLayoutO;
  using TiledMmaPV = typename Traits::TiledMmaPV;
  using SharedStorage = typename Traits::SharedStorage;
  static constexpr int kRows = Traits::kRowsPerWarpgroup;
  static constexpr int kHeadDim = Traits::kHeadDim;

  using TileO = Shape<Int<kRows>, Int<kHeadDim>>;
  using GmemTensorOut = decltype(make_gmem_tensor(static_cast<Element*>(nullptr), 0, 0, 0, 0, 0, 0, 0));
  using TmaO = decltype(make_tma_copy(SM90_TMA_STORE{}, GmemTensorOut{}, SmemLayoutO{}, TileO{}, _1{}));

  struct Params {
    TmaO tma_o;
    GmemShape shape_o;
    float* lse;
    int seqlen_q;
    int heads_q;
  };

  static Params make_params(FwdParams const& p) {
    auto o = make_gmem_tensor(static_cast<Element*>(p.out), p.seqlen_q, kHeadDim, p.heads_q,
                              p.batch, p.o_row_stride, p.o_head_stride, p.o_batch_stride);
    return {make_tma_copy(SM90_TMA_STORE{}, o, SmemLayoutO{}, TileO{}, _1{}), o.shape(), p.lse,
            p.seqlen_q, p.heads_q};
  }

  CUTE_DEVICE static void prefetch_descriptors(Params const& params) {
    cute::prefetch_tma_descriptor(params.tma_o.get_tma_descriptor());
  }

  // One warpgroup's finished rows, held in registers until they are stored: the output
  // already normalised and converted to the element type, its log-sum-exp, and where it
  // goes. The kernel stores a tile's rows under the next tile's first Q K^T, so that the
  // stores do not stand between two tiles' GEMMs on the tensor cores.
  struct FinishedRows {
    using Fragment = decltype(make_tensor<Element>(
        partition_fragment_C(TiledMmaPV{}, select<0, 1>(typename Traits::TileShapePV{})).layout()));
    Fragment out;
    float lse[2];
    int tile = -1;  // the scheduler's index (decoded when stored); -1: nothing pending
  };

  // tOrO holds the normalised output rows; lse their log-sum-exp.
  template <class FragO>
  CUTE_DEVICE static void finish(FragO const& tOrO, float const (&lse)[2], int tile,
                                 FinishedRows& rows) {
    convert_fragment(tOrO, rows.out);
    rows.lse[0] = lse[0];
    rows.lse[1] = lse[1];
    rows.tile = tile;
  }

  // Stores `rows` if they are pending, staging O in this warpgroup's Q slot of their tile
  // (`slot`, the tile's parity); every thread of the warpgroup calls it. Returns whether
  // it did: the slot then goes back to the producer through release_q_slot.
  template <class Scheduler>
  CUTE_DEVICE static bool store(Params const& params, SharedStorage& smem, FinishedRows& rows,
                                Scheduler const& scheduler, int slot, int wg, int thread_in_wg) {
    if (rows.tile < 0) return false;
    TileCoord const c = scheduler.decode(rows.tile);
    rows.tile = -1;
    int const row_block = c.m_block * Traits::kNumConsumerWarpgroups + wg;
    if (row_block * kRows < params.seqlen_q) {  // else this warpgroup's rows are all padding
      store_rows(params, smem.smem_q[slot][wg].data(), rows, c, row_block, wg, thread_in_wg);
    }
    return true;
  }

  // After its store has read the slot, the slot may take the Q of the tile two ahead. Lane
  // 0 of every consumer warp arrives (the storing thread once its store's reads are done),
  // also where the warpgroup's rows were all padding: an arrival per warp, made after
  // that warp waited for the next tile's Q (and with its lanes reconverged since, at the
  // scheduler's shuffle), proves every warp is past this slot's q_full phase. With one
  // arrival per warpgroup, a warp of an all-padding warpgroup on an all-skipped row (no
  // wgmma, no epilogue barrier to hold it) could still be waiting on this slot's phase
  // when the producer refilled it, and then wait for a phase that never comes (found in
  // review of the first version, fourth session).
  CUTE_DEVICE static void release_q_slot(SharedStorage& smem, int slot, int thread_in_wg) {
    if (thread_in_wg == 0) tma_store_wait<0>();
    if ((thread_in_wg & 31) == 0) smem.q_empty[slot].arrive();
  }

 private:
  CUTE_DEVICE static void store_rows(Params const& params, Element* staging, FinishedRows const& rows,
                                     TileCoord c, int row_block, int wg, int thread_in_wg) {
    int const head = c.head;
    int const batch = c.batch;
    int const first_row = row_block * kRows;

    TiledMmaPV mma_pv;
    auto const& tOrO_out = rows.out;
    auto const& lse = rows.lse;

    // The slot held this tile's Q, which every warp of the warpgroup is done with (its
    // last Q K^T was waited for before the tile ended); the slot's previous store (tile
    // t-2's) was waited for before the producer refilled it with this tile's Q.
    Tensor sO = make_tensor(make_smem_ptr(staging), SmemLayoutO{});
    auto smem_copy = make_tiled_copy_C(typename Traits::SmemCopyAtomO{}, mma_pv);
    auto thr_copy = smem_copy.get_thread_slice(thread_in_wg);
    int const barrier = static_cast<int>(FwdBarrier::kEpilogueWg0) + wg;

    cutlass::arch::NamedBarrier::sync(128, barrier);
    copy(smem_copy, thr_copy.retile_S(tOrO_out), thr_copy.partition_D(sO));
    // stmatrix writes go through the generic proxy; TMA reads through the async one.
    tma_store_fence();
    cutlass::arch::NamedBarrier::sync(128, barrier);
    if (thread_in_wg == 0) {
      Tensor mO = params.tma_o.get_tma_tensor(params.shape_o);
      Tensor gO = local_tile(mO(_, _, head, batch), TileO{}, make_coord(row_block, _0{}));
      auto tma_o = params.tma_o.get_slice(_0{});
      copy(params.tma_o, tma_o.partition_S(sO), tma_o.partition_D(gO));
      tma_store_arrive();
    }

    // The four threads of a quad share a row; its first lane writes the lse.
    if ((thread_in_wg & 3) == 0) {
      Tensor coords = rowcol_view(mma_pv.get_thread_slice(thread_in_wg).partition_C(
          make_identity_tensor(TileO{})));
      float* lse_row = params.lse + (int64_t(batch) * params.heads_q + head) * params.seqlen_q;
      CUTE_UNROLL
      for (int r = 0; r < 2; ++r) {
        int const row = first_row + get<0>(coords(r, 0));
        if (row < params.seqlen_q) lse_row[row] = lse[r];
      }
    }
  }

 public:
  // Shared memory must outlive the last TMA store's reads.
  CUTE_DEVICE static void drain(int thread_in_wg) {
    if (thread_in_wg == 0) tma_store_wait<0>();
  }
};

}  // namespace liteattn
