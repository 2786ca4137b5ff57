// Heaviest-first tile order for the persistent scheduler. With skipping, a query tile's
// cost is its number of computed key tiles, known before launch from the popcount of
// its mask row. Handing the heaviest tiles out first (longest-processing-time first)
// keeps every SM busy to the end instead of leaving a few long tiles for the last wave.
// One CTA counting-sorts the tiles by work into the workspace; only the scheduling
// order depends on it (ties land in any order), never a result.
#pragma once

#include <cstdint>

#include "liteattn/cuda_check.h"

namespace liteattn {

inline constexpr int kTileOrderThreads = 1024;

__device__ inline int computed_key_tiles(const int32_t* row, int words, int num_key_tiles) {
  int skipped = 0;
  for (int w = 0; w < words; ++w) skipped += __popc(static_cast<uint32_t>(row[w]));
  return num_key_tiles - skipped;
}

// hist: num_key_tiles + 1 buckets in dynamic shared memory, bucket b holding the tiles
// with num_key_tiles - b computed key tiles (bucket 0 = heaviest).
__global__ void __launch_bounds__(kTileOrderThreads)
    order_tiles_by_work(const int32_t* skip_in, int num_tiles, int words, int num_key_tiles,
                        int32_t* order) {
  extern __shared__ int hist[];
  int const buckets = num_key_tiles + 1;
  for (int b = threadIdx.x; b < buckets; b += blockDim.x) hist[b] = 0;
  __syncthreads();
  for (int t = threadIdx.x; t < num_tiles; t += blockDim.x) {
    atomicAdd(&hist[num_key_tiles - computed_key_tiles(skip_in + int64_t(t) * words, words, num_key_tiles)], 1);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int running = 0;
    for (int b = 0; b < buckets; ++b) {
      int const count = hist[b];
      hist[b] = running;
      running += count;
    }
  }
  __syncthreads();
  for (int t = threadIdx.x; t < num_tiles; t += blockDim.x) {
    int const bucket = num_key_tiles - computed_key_tiles(skip_in + int64_t(t) * words, words, num_key_tiles);
    order[atomicAdd(&hist[bucket], 1)] = t;
  }
}

inline void launch_order_tiles_by_work(const int32_t* skip_in, int num_tiles, int words,
                                       int num_key_tiles, int32_t* order, cudaStream_t stream) {
  size_t const smem = size_t(num_key_tiles + 1) * sizeof(int);
  if (smem > 48 * 1024) {
    LITEATTN_CUDA_CHECK(cudaFuncSetAttribute(order_tiles_by_work,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  }
  order_tiles_by_work<<<1, kTileOrderThreads, smem, stream>>>(skip_in, num_tiles, words,
                                                              num_key_tiles, order);
  LITEATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace liteattn
