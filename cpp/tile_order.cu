// The heaviest-first tile order (see include/liteattn/kernel/tile_order.h) in two passes,
// one CTA per (batch, head) each: the first counts each head's heavy and light tiles and
// the last CTA to finish turns the counts into the offsets of every (class, head) run;
// the second sorts each head's tiles by their exact work into those runs.
#include "liteattn/kernel/tile_order.h"

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include "liteattn/collective/skip_iter.hpp"
#include "liteattn/cuda_check.h"
#include "liteattn/grid_dependency.hpp"

namespace liteattn {
namespace {

constexpr int kTileOrderThreads = 256;
constexpr int kWorkClasses = 2;  // 1: heavy, 0: light; handed out heavy first

// Bits past the key tiles are ignored, so a mask that breaks the contract cannot index
// past the histogram.
__device__ int computed_key_tiles(const int32_t* row, int words, int num_key_tiles) {
  int skipped = 0;
  for (int w = 0; w < words; ++w) {
    skipped += __popc(static_cast<uint32_t>(row[w]) & valid_key_tile_bits(w, num_key_tiles));
  }
  return num_key_tiles - skipped;
}

// A tile is light when it computes less than a quarter of its head's heaviest tile. Half
// (round 21) also split random masks at keep 0.1 (a head's counts there spread 2-3x)
// and, in simulation, lengthened their tail; a quarter still separates skewed masks' 9x.
__device__ int work_class(int computed, int head_max) { return 4 * computed >= head_max ? 1 : 0; }

// Where the pieces live in the scratch (tile_order.h).
struct OrderScratch {
  int32_t* finished;      // CTAs of the counting pass that are done
  int32_t* order;         // num_heads * tiles_per_head
  int32_t* class_counts;  // [kWorkClasses][num_heads]; offsets after the counting pass

  __device__ OrderScratch(int32_t* scratch, int num_heads, int tiles_per_head)
      : finished(scratch),
        order(scratch + 1),
        class_counts(scratch + 1 + int64_t(num_heads) * tiles_per_head) {}
};

// The computed counts of this CTA's head (thread-strided) and their maximum, to every thread.
struct HeadWork {
  const int32_t* skip_in;
  int first, tiles_per_head, words, num_key_tiles;

  __device__ int computed(int m) const {
    return computed_key_tiles(skip_in + int64_t(first + m) * words, words, num_key_tiles);
  }

  __device__ int max_computed() const {
    using Reduce = cub::BlockReduce<int, kTileOrderThreads>;
    __shared__ typename Reduce::TempStorage storage;
    __shared__ int result;
    int local = 0;
    for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) local = max(local, computed(m));
    int const total = Reduce(storage).Reduce(local, [](int a, int b) { return a > b ? a : b; });
    if (threadIdx.x == 0) result = total;
    __syncthreads();
    return result;
  }
};

// Pass 1: per head, how many heavy and light tiles. The last CTA then scans the counts in
// hand-out order (heavy before light, heads in order within a class) into offsets; the
// __threadfence before each CTA's arrival publishes its counts to that CTA.
__global__ void __launch_bounds__(kTileOrderThreads)
    count_work_classes(const int32_t* skip_in, int tiles_per_head, int words, int num_key_tiles,
                       int32_t* scratch) {
  __shared__ int counts[kWorkClasses];
  __shared__ bool last;
  int const num_heads = gridDim.x;
  int const head = blockIdx.x;
  OrderScratch const s(scratch, num_heads, tiles_per_head);
  HeadWork const work{skip_in, head * tiles_per_head, tiles_per_head, words, num_key_tiles};
  if (threadIdx.x < kWorkClasses) counts[threadIdx.x] = 0;
  int const head_max = work.max_computed();  // synchronises the CTA
  for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) {
    atomicAdd(&counts[work_class(work.computed(m), head_max)], 1);
  }
  __syncthreads();
  if (threadIdx.x < kWorkClasses) s.class_counts[threadIdx.x * num_heads + head] = counts[threadIdx.x];
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) last = atomicAdd(s.finished, 1) == num_heads - 1;
  __syncthreads();
  if (!last) return;
  __threadfence();

  using Scan = cub::BlockScan<int, kTileOrderThreads>;
  __shared__ typename Scan::TempStorage scan_storage;
  __shared__ int carry;
  if (threadIdx.x == 0) carry = 0;
  int const n = kWorkClasses * num_heads;
  for (int base = 0; base < n; base += blockDim.x) {
    // Hand-out position i: class kWorkClasses - 1 - i / num_heads, head i % num_heads.
    int const i = base + threadIdx.x;
    int64_t const at = i < n ? int64_t(kWorkClasses - 1 - i / num_heads) * num_heads + i % num_heads : 0;
    int const count = i < n ? __ldcg(s.class_counts + at) : 0;
    int offset, chunk_total;
    Scan(scan_storage).ExclusiveSum(count, offset, chunk_total);
    __syncthreads();  // carry is read below, before thread 0 moves it on
    if (i < n) s.class_counts[at] = carry + offset;
    __syncthreads();
    if (threadIdx.x == 0) carry += chunk_total;
  }
}

// Pass 2: per head, a counting sort of its tiles by exact work (bucket b: num_key_tiles - b
// computed, bucket 0 the heaviest). Buckets ascend from the heavy class into the light
// one, so each class's buckets fill that class's run from its offset.
__global__ void __launch_bounds__(kTileOrderThreads)
    scatter_by_work(const int32_t* skip_in, int tiles_per_head, int words, int num_key_tiles,
                    int32_t* scratch) {
  // The forward kernel waits for this whole grid before it reads the order.
  allow_dependent_launch();
  extern __shared__ int hist[];
  int const num_heads = gridDim.x;
  int const head = blockIdx.x;
  OrderScratch const s(scratch, num_heads, tiles_per_head);
  HeadWork const work{skip_in, head * tiles_per_head, tiles_per_head, words, num_key_tiles};
  int const buckets = num_key_tiles + 1;
  for (int b = threadIdx.x; b < buckets; b += blockDim.x) hist[b] = 0;
  int const head_max = work.max_computed();  // synchronises the CTA
  for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) {
    atomicAdd(&hist[num_key_tiles - work.computed(m)], 1);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int current_class = -1;
    int running = 0;
    for (int b = 0; b < buckets; ++b) {
      int const cls = work_class(num_key_tiles - b, head_max);
      if (cls != current_class) {
        current_class = cls;
        running = s.class_counts[cls * num_heads + head];
      }
      int const count = hist[b];
      hist[b] = running;
      running += count;
    }
  }
  __syncthreads();
  for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) {
    s.order[atomicAdd(&hist[num_key_tiles - work.computed(m)], 1)] = work.first + m;
  }
}

}  // namespace

int64_t tile_order_ints(int num_heads, int tiles_per_head) {
  return 1 + int64_t(num_heads) * tiles_per_head + int64_t(kWorkClasses) * num_heads;
}

void launch_order_tiles_by_work(const int32_t* skip_in, int num_heads, int tiles_per_head,
                                int words, int num_key_tiles, int32_t* scratch,
                                cudaStream_t stream) {
  count_work_classes<<<num_heads, kTileOrderThreads, 0, stream>>>(skip_in, tiles_per_head, words,
                                                                   num_key_tiles, scratch);
  LITEATTN_CUDA_CHECK(cudaGetLastError());
  size_t const smem = size_t(num_key_tiles + 1) * sizeof(int);
  if (smem > 48 * 1024) {
    LITEATTN_CUDA_CHECK(cudaFuncSetAttribute(scatter_by_work,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  }
  scatter_by_work<<<num_heads, kTileOrderThreads, smem, stream>>>(skip_in, tiles_per_head, words,
                                                                  num_key_tiles, scratch);
  LITEATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace liteattn
