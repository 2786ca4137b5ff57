// The heaviest-first tile order (see include/liteattn/kernel/tile_order.h): a counting
// sort of each (batch, head)'s query tiles by their number of computed key tiles.
#include "liteattn/kernel/tile_order.h"

#include "liteattn/collective/skip_iter.hpp"
#include "liteattn/grid_dependency.hpp"
#include "liteattn/cuda_check.h"

namespace liteattn {
namespace {

constexpr int kTileOrderThreads = 256;

// Bits past the key tiles are ignored, so a mask that breaks the contract cannot index
// past the histogram.
__device__ int computed_key_tiles(const int32_t* row, int words, int num_key_tiles) {
  int skipped = 0;
  for (int w = 0; w < words; ++w) {
    skipped += __popc(static_cast<uint32_t>(row[w]) & valid_key_tile_bits(w, num_key_tiles));
  }
  return num_key_tiles - skipped;
}

// One CTA per (batch, head): its query tiles keep their place as a block (consecutive
// CTAs keep sharing K and V in L2) but are reordered heaviest first inside it, so the
// tiles handed out last are the cheapest ones. hist: num_key_tiles + 1 buckets in
// dynamic shared memory, bucket b holding the tiles with num_key_tiles - b computed key
// tiles (bucket 0 = heaviest).
__global__ void __launch_bounds__(kTileOrderThreads)
    order_tiles_by_work(const int32_t* skip_in, int tiles_per_head, int words,
                        int num_key_tiles, int32_t* order, int32_t* tile_counter) {
  // The forward kernel waits for this whole grid before it reads the order or the counter.
  allow_dependent_launch();
  if (blockIdx.x == 0 && threadIdx.x == 0) *tile_counter = 0;
  extern __shared__ int hist[];
  int const first = blockIdx.x * tiles_per_head;
  int const buckets = num_key_tiles + 1;
  for (int b = threadIdx.x; b < buckets; b += blockDim.x) hist[b] = 0;
  __syncthreads();
  auto bucket_of = [&](int t) {
    return num_key_tiles - computed_key_tiles(skip_in + int64_t(t) * words, words, num_key_tiles);
  };
  for (int t = first + threadIdx.x; t < first + tiles_per_head; t += blockDim.x) {
    atomicAdd(&hist[bucket_of(t)], 1);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int running = first;
    for (int b = 0; b < buckets; ++b) {
      int const count = hist[b];
      hist[b] = running;
      running += count;
    }
  }
  __syncthreads();
  for (int t = first + threadIdx.x; t < first + tiles_per_head; t += blockDim.x) {
    order[atomicAdd(&hist[bucket_of(t)], 1)] = t;
  }
}

}  // namespace

void launch_order_tiles_by_work(const int32_t* skip_in, int num_heads, int tiles_per_head,
                                int words, int num_key_tiles, int32_t* order,
                                int32_t* tile_counter, cudaStream_t stream) {
  size_t const smem = size_t(num_key_tiles + 1) * sizeof(int);
  if (smem > 48 * 1024) {
    LITEATTN_CUDA_CHECK(cudaFuncSetAttribute(order_tiles_by_work,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  }
  order_tiles_by_work<<<num_heads, kTileOrderThreads, smem, stream>>>(
      skip_in, tiles_per_head, words, num_key_tiles, order, tile_counter);
  LITEATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace liteattn
