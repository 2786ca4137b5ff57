// Heaviest-first tile order for the persistent scheduler. With skipping, a query tile's
// cost is its number of computed key tiles, known before launch from the popcount of
// its mask row. Within each (batch, head) the tiles are handed out heaviest first
// (longest-processing-time first), so the last tiles of the launch are the short ones
// and every SM stays busy to the end; (batch, head) blocks stay in order, which keeps
// the CTAs running side by side on the same K and V in L2 (a global sort by work
// scattered them over heads: skip efficiency at keep 0.5 fell from 0.94 to 0.86 on an
// H200). Only the scheduling order depends on it (ties land in any order), never a
// result.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace liteattn {

// Writes into `order` (num_heads * tiles_per_head int32) the tile indices, each
// (batch, head) block sorted by descending number of computed key tiles of their skip_in
// rows, and zeroes the scheduler's `tile_counter` (one launch instead of a memset and a
// launch). The kernel allows the next one on the stream to start early (programmatic
// dependent launch, grid_dependency.hpp). Defined once, in cpp/tile_order.cu.
void launch_order_tiles_by_work(const int32_t* skip_in, int num_heads, int tiles_per_head,
                                int words, int num_key_tiles, int32_t* order,
                                int32_t* tile_counter, cudaStream_t stream);

}  // namespace liteattn
