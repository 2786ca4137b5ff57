// Heaviest-first tile order for the persistent scheduler. With skipping, a query tile's
// cost is its number of computed key tiles, known before launch from the popcount of
// its mask row. The scheduler hands tiles out in an order that ends with cheap ones
// (longest-processing-time first), so every SM stays busy to the end, while CTAs running
// side by side keep reading the same K and V from L2:
//   - a tile is heavy when it computes at least a quarter as many key tiles as its
//     head's heaviest one, light otherwise; every heavy tile goes out before every light one;
//   - heavy tiles go out (batch, head) ascending, light ones (batch, head) descending (so
//     the first light tiles are those of the head whose heavy tiles went out last, whose
//     K and V are still in L2), and a head's tiles heaviest first.
// Random masks have no light tiles (a head's counts are within ~2-3x of each other), so
// their order is the per-head one: heads in order, each heaviest first. Skewed masks
// (half the tiles 9x lighter) end with light tiles of every head instead of the last
// heads' heavy ones running alone.
// Measured history (bench/RESULTS.md): one exact sort over all tiles scattered the
// tiles in flight over every head and thrashed L2 (skip efficiency at keep 0.5: 0.94 ->
// 0.86 on an H200); classes by the bit width of the computed count split random masks'
// heads into two runs and cost Wan 480p 1.5-3% (fifth session).
// Only the scheduling order depends on it (ties land in any order), never a result.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace liteattn {

// int32 scratch the order needs: a ticket (the next head to give a starting CTA) and one
// slot a head (its heavy count, published to the heads after it), both zeroed before the
// launch, then the order itself (num_heads * tiles_per_head).
int64_t tile_order_ints(int num_heads, int tiles_per_head);
// The layout is spelled out here only: the order starts where the zeroed ints end.
__host__ __device__ inline int64_t tile_order_zeroed_ints(int num_heads) { return 1 + int64_t(num_heads); }

__host__ __device__ inline int32_t* tile_order_ticket(int32_t* scratch) { return scratch; }
__host__ __device__ inline int32_t* tile_order_published(int32_t* scratch) { return scratch + 1; }

// The tile order inside `scratch`: tile indices, heaviest class first (read by the
// scheduler's parameters on the host, written by the order kernel).
__host__ __device__ inline const int32_t* tile_order_of(const int32_t* scratch, int num_heads) {
  return scratch + tile_order_zeroed_ints(num_heads);
}
__host__ __device__ inline int32_t* tile_order_of(int32_t* scratch, int num_heads) {
  return scratch + tile_order_zeroed_ints(num_heads);
}

// Fills tile_order_of(scratch) from the skip_in rows ([num_heads, tiles_per_head, words]
// int32), with the first tile_order_zeroed_ints(num_heads) of scratch zero on entry. One
// small kernel on `stream`, letting the next kernel start early (programmatic dependent
// launch, grid_dependency.hpp); defined once, in cpp/tile_order.cu.
void launch_order_tiles_by_work(const int32_t* skip_in, int num_heads, int tiles_per_head,
                                int words, int num_key_tiles, int32_t* scratch,
                                cudaStream_t stream);

}  // namespace liteattn
