// The heaviest-first tile order (see include/liteattn/kernel/tile_order.h) in one kernel,
// one CTA per (batch, head): each CTA counts its tiles' work once, publishes how many of
// them are heavy, sums what the heads before it published (their CTAs started first, so
// the wait ends), and sorts its tiles by exact work into its two runs of the order.
// One kernel instead of a counting pass, a last-CTA scan and a sorting pass: the call's
// fixed cost at keep 0.1 was ~2% of CogVideoX's time (bench/profile_call.py, round 30:
// 3.9 + 9.4 us of kernels, the second mostly one thread walking the histogram).
#include "liteattn/kernel/tile_order.h"

#include <stdexcept>
#include <string>

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include "liteattn/collective/skip_iter.hpp"
#include "liteattn/cuda_check.h"
#include "liteattn/grid_dependency.hpp"

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

// A tile is light when it computes less than a quarter of its head's heaviest tile. Half
// (round 21) also split random masks at keep 0.1 (a head's counts there spread 2-3x)
// and, in simulation, lengthened their tail; a quarter still separates skewed masks' 9x.
__device__ bool is_heavy(int computed, int head_max) { return 4 * computed >= head_max; }

// Sum over the CTA, to every thread (synchronises the CTA).
template <class Op>
__device__ int block_all_reduce(int value, Op op) {
  using Reduce = cub::BlockReduce<int, kTileOrderThreads>;
  __shared__ typename Reduce::TempStorage storage;
  __shared__ int result;
  int const total = Reduce(storage).Reduce(value, op);
  if (threadIdx.x == 0) result = total;
  __syncthreads();
  int const out = result;
  __syncthreads();  // storage and result are reused by the next call
  return out;
}

struct Max {
  __device__ int operator()(int a, int b) const { return a > b ? a : b; }
};
struct Sum {
  __device__ int operator()(int a, int b) const { return a + b; }
};

// A CTA's head is a ticket taken as it starts, not its blockIdx: CUDA does not promise to
// start CTAs in blockIdx order, and when the grid does not fit at once (MIG slices, MPS
// limits, more heads than resident CTAs) a CTA waiting for a lower blockIdx that has not
// started could hold the SM that CTA needs. With tickets, every head a CTA waits for was
// taken by a CTA already running, whose own waits end by the same argument.
__device__ int take_head(int32_t* ticket) {
  __shared__ int head;
  if (threadIdx.x == 0) head = atomicAdd(ticket, 1);
  __syncthreads();
  return head;
}

// A head's heavy count as published to the heads after it: heavy + 1, so that the zero
// the launch's memset left means "not yet".
__device__ void publish_heavy(int32_t* slot, int heavy) {
  asm volatile("st.release.gpu.global.b32 [%0], %1;" ::"l"(slot), "r"(heavy + 1) : "memory");
}

__device__ int wait_for_heavy(const int32_t* slot) {
  int value;
  do {
    asm volatile("ld.acquire.gpu.global.b32 %0, [%1];" : "=r"(value) : "l"(slot) : "memory");
  } while (value == 0);
  return value - 1;
}

// The hand-out order: every head's heavy run, heads ascending, then every light run,
// heads descending (the light runs fill the order from its end, so a head's light run
// starts at what the heads before it left, and the first light tiles handed out are those
// of the head whose heavy tiles went out last: its K and V are still in L2). Within a run
// a head's tiles go heaviest first (a counting sort by exact work; ties in any order).
//
// Shared memory: the head's computed counts (tiles_per_head) and one bucket per possible
// count (num_key_tiles + 1; bucket b holds tiles computing num_key_tiles - b).
__global__ void __launch_bounds__(kTileOrderThreads)
    order_tiles_by_work(const int32_t* skip_in, int tiles_per_head, int words, int num_key_tiles,
                        int32_t* scratch) {
  // The forward kernel waits for this whole grid before it reads the order.
  allow_dependent_launch();
  extern __shared__ int smem[];
  int* const computed = smem;
  int* const bucket = smem + tiles_per_head;
  int const num_heads = gridDim.x;
  int const head = take_head(tile_order_ticket(scratch));
  int const buckets = num_key_tiles + 1;
  int32_t* const published = tile_order_published(scratch);
  int32_t* const order = tile_order_of(scratch, num_heads);

  int local_max = 0;
  for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) {
    int const c = computed_key_tiles(skip_in + (int64_t(head) * tiles_per_head + m) * words, words,
                                     num_key_tiles);
    computed[m] = c;
    local_max = max(local_max, c);
  }
  for (int b = threadIdx.x; b < buckets; b += blockDim.x) bucket[b] = 0;
  int const head_max = block_all_reduce(local_max, Max{});  // also publishes computed[], bucket[]

  int local_heavy = 0;
  for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) {
    local_heavy += is_heavy(computed[m], head_max);
    atomicAdd(&bucket[num_key_tiles - computed[m]], 1);
  }
  int const heavy = block_all_reduce(local_heavy, Sum{});
  if (threadIdx.x == 0) publish_heavy(published + head, heavy);

  // Where this head's runs start: the heavy and light tiles of the heads before it.
  int heavy_before_local = 0;
  for (int h = threadIdx.x; h < head; h += blockDim.x) heavy_before_local += wait_for_heavy(published + h);
  int const heavy_before = block_all_reduce(heavy_before_local, Sum{});
  int const light_before = head * tiles_per_head - heavy_before;
  int const light = tiles_per_head - heavy;
  int const heavy_start = heavy_before;
  int const light_start = num_heads * tiles_per_head - light_before - light;

  // Buckets ascend from the heaviest, so the heavy ones come first: an exclusive scan
  // over all buckets gives each heavy bucket its place in the heavy run, and each light
  // one its place in the light run once the heavy tiles before it are taken off.
  using Scan = cub::BlockScan<int, kTileOrderThreads>;
  __shared__ typename Scan::TempStorage scan_storage;
  int carry = 0;
  for (int base = 0; base < buckets; base += blockDim.x) {
    int const b = base + threadIdx.x;
    int const count = b < buckets ? bucket[b] : 0;
    int before, chunk_total;
    Scan(scan_storage).ExclusiveSum(count, before, chunk_total);
    if (b < buckets) {
      int const position = carry + before;
      bucket[b] = is_heavy(num_key_tiles - b, head_max) ? heavy_start + position
                                                         : light_start + position - heavy;
    }
    carry += chunk_total;
    __syncthreads();  // scan_storage is reused by the next chunk; bucket[] is read below
  }

  int const first_tile = head * tiles_per_head;
  for (int m = threadIdx.x; m < tiles_per_head; m += blockDim.x) {
    order[atomicAdd(&bucket[num_key_tiles - computed[m]], 1)] = first_tile + m;
  }
}

}  // namespace

int64_t tile_order_ints(int num_heads, int tiles_per_head) {
  return tile_order_zeroed_ints(num_heads) + int64_t(num_heads) * tiles_per_head;
}

void launch_order_tiles_by_work(const int32_t* skip_in, int num_heads, int tiles_per_head,
                                int words, int num_key_tiles, int32_t* scratch,
                                cudaStream_t stream) {
  size_t const smem = size_t(tiles_per_head + num_key_tiles + 1) * sizeof(int);
  if (smem > 48 * 1024) {
    LITEATTN_CUDA_CHECK(cudaFuncSetAttribute(order_tiles_by_work,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  }
  order_tiles_by_work<<<num_heads, kTileOrderThreads, smem, stream>>>(
      skip_in, tiles_per_head, words, num_key_tiles, scratch);
  cudaError_t const err = cudaGetLastError();
  if (err != cudaSuccess) {
    throw std::runtime_error(
        "liteattn: order_tiles_by_work launch failed for grid " + std::to_string(num_heads) +
        " (B*Hq) x " + std::to_string(kTileOrderThreads) + " threads, " + std::to_string(smem) +
        " bytes of shared memory (tiles_per_head=" + std::to_string(tiles_per_head) +
        ", num_key_tiles=" + std::to_string(num_key_tiles) + "): " + cudaGetErrorString(err));
  }
}

}  // namespace liteattn
