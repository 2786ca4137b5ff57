// The C++ API of liteattn: one plain parameter struct and one launch function.
// The pybind11 binding and the C++ microbenchmark are its only callers; neither links
// libtorch, so everything crosses this boundary as pointers, sizes and strides.
#pragma once

#include <cstdint>
#include <vector>

// Declared as the CUDA runtime does, so that callers without the toolkit (the
// reference-only binding) can include this header.
typedef struct CUstream_st* cudaStream_t;

namespace liteattn {

enum class DType : int { kBF16 = 0, kFP16 = 1 };

struct TileShape {
  int block_m;
  int block_n;
};

// Strides are in elements. q/out: [B, Sq, Hq, D], k/v: [B, Sk, Hkv, D], the last
// dimension contiguous. lse: [B, Hq, Sq] float32, contiguous. Masks: int32
// [B, Hq, Tm, W] contiguous (DESIGN.md section 3); must_compute: int32 [W].
struct FwdParams {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;
  float* lse = nullptr;

  int64_t q_batch_stride = 0, q_row_stride = 0, q_head_stride = 0;
  int64_t k_batch_stride = 0, k_row_stride = 0, k_head_stride = 0;
  int64_t v_batch_stride = 0, v_row_stride = 0, v_head_stride = 0;
  int64_t o_batch_stride = 0, o_row_stride = 0, o_head_stride = 0;

  int batch = 0;
  int seqlen_q = 0;
  int seqlen_k = 0;
  int heads_q = 0;
  int heads_kv = 0;
  int head_dim = 0;
  DType dtype = DType::kBF16;

  float softmax_scale = 0.f;

  // Temporal skipping (all optional). threshold is in log2 units of probability ratio.
  const int32_t* skip_in = nullptr;
  int32_t* skip_out = nullptr;
  const int32_t* must_compute = nullptr;
  float threshold = -10.f;

  // Device scratch of fwd_workspace_ints(params) int32s, owned by the caller (torch
  // allocates it in the op): the persistent scheduler's tile counter, which the launch
  // resets on the stream, and, when skip_in is given, the tile order's scratch (a ticket,
  // one slot a head, then the order: kernel/tile_order.h).
  int32_t* workspace = nullptr;
  int64_t workspace_ints = 0;  // its size, checked against fwd_workspace_ints
};

// Launches on `stream`; never synchronises. Throws std::invalid_argument for
// parameters the kernel cannot take and std::runtime_error for CUDA failures.
// Precondition, not checked: every pointer (and `stream`) belongs to the current device,
// which must be a compute capability 9.0 GPU (that much is checked). The torch op makes
// it so (it sets q's device current and validates that every tensor is on it).
void run_fwd(const FwdParams& params, cudaStream_t stream);

// Size of FwdParams::workspace in int32 elements for these parameters (pointers unused
// except whether skip_in is set).
int64_t fwd_workspace_ints(FwdParams const& params);

// The tile shape compiled for (head_dim, dtype); throws std::invalid_argument when
// that combination was not built.
TileShape tile_shape(int head_dim, DType dtype);

// Head dims built into this library (LITEATTN_HEAD_DIMS at configure time).
std::vector<int> compiled_head_dims();

// Architectures the kernels were compiled for, e.g. {"sm_90a"}.
std::vector<const char*> compiled_archs();

}  // namespace liteattn
