// run_fwd: the checks only the C++ side can make (the current device's compute
// capability, pointers the kernel will dereference, alignment that TMA needs), then
// dispatch to the compiled instantiation. That every pointer belongs to the current
// device is the caller's precondition (api.h).
// LITEATTN_HEAD_DIM_<D> is defined by CMake for each head dim that was built.
#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <sstream>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include "liteattn/api.h"
#include "liteattn/cuda_check.h"
#include "liteattn/dispatch.h"
#include "liteattn/kernel/tile_order.h"
#include "liteattn/traits.h"

namespace liteattn {
namespace {

void check_device() {
  int device = 0;
  LITEATTN_CUDA_CHECK(cudaGetDevice(&device));
  int major = 0, minor = 0;
  LITEATTN_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  LITEATTN_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  if (major != 9 || minor != 0) {
    std::ostringstream msg;
    msg << "liteattn: the kernels are built for sm_90a (H100/H200); device " << device
        << " has compute capability " << major << "." << minor;
    throw std::runtime_error(msg.str());
  }
}

void check_aligned(const char* name, const void* ptr) {
  if (ptr == nullptr) throw std::invalid_argument(std::string("liteattn: ") + name + " is null");
  if (reinterpret_cast<uintptr_t>(ptr) % 16 != 0) {
    throw std::invalid_argument(std::string("liteattn: ") + name +
                                " must be 16-byte aligned for TMA");
  }
}

void check_stride(const char* name, int64_t stride) {
  if (stride % 8 != 0) {
    throw std::invalid_argument(std::string("liteattn: ") + name + "=" + std::to_string(stride) +
                                " is not a multiple of 8 elements (TMA needs 16-byte strides)");
  }
}

void check_params(FwdParams const& p) {
  check_aligned("q", p.q);
  check_aligned("k", p.k);
  check_aligned("v", p.v);
  check_aligned("out", p.out);
  if (p.lse == nullptr) throw std::invalid_argument("liteattn: lse is null");
  if (p.workspace == nullptr) throw std::invalid_argument("liteattn: workspace is null");
  if (p.workspace_ints < fwd_workspace_ints(p)) {
    throw std::invalid_argument("liteattn: workspace has " + std::to_string(p.workspace_ints) +
                                " int32s, these parameters need " +
                                std::to_string(fwd_workspace_ints(p)));
  }
  for (auto [name, stride] : {std::pair<const char*, int64_t>{"q_batch_stride", p.q_batch_stride},
                              {"q_row_stride", p.q_row_stride}, {"q_head_stride", p.q_head_stride},
                              {"k_batch_stride", p.k_batch_stride}, {"k_row_stride", p.k_row_stride},
                              {"k_head_stride", p.k_head_stride}, {"v_batch_stride", p.v_batch_stride},
                              {"v_row_stride", p.v_row_stride}, {"v_head_stride", p.v_head_stride},
                              {"o_batch_stride", p.o_batch_stride}, {"o_row_stride", p.o_row_stride},
                              {"o_head_stride", p.o_head_stride}}) {
    check_stride(name, stride);
  }
  if (p.batch < 1 || p.seqlen_q < 1 || p.seqlen_k < 1 || p.heads_q < 1 || p.heads_kv < 1) {
    throw std::invalid_argument("liteattn: batch, seqlen_q, seqlen_k, heads_q, heads_kv must be >= 1");
  }
  if (p.heads_q % p.heads_kv != 0) {
    throw std::invalid_argument("liteattn: heads_q=" + std::to_string(p.heads_q) +
                                " is not a multiple of heads_kv=" + std::to_string(p.heads_kv));
  }
  // The kernel multiplies the scale by log2(e) in float32: above FLT_MAX / 2 that is inf
  // and every row NaN (validation.py's MAX_SOFTMAX_SCALE says the same).
  if (!(p.softmax_scale > 0.f && p.softmax_scale <= FLT_MAX / 2)) {
    throw std::invalid_argument("liteattn: softmax_scale=" + std::to_string(p.softmax_scale) +
                                " must be in (0, FLT_MAX / 2]");
  }
  if (p.skip_out != nullptr && p.skip_out == p.skip_in) {
    throw std::invalid_argument("liteattn: skip_out must not alias skip_in");
  }
}

template <DType kDType>
void dispatch_head_dim(FwdParams const& p, cudaStream_t stream) {
  switch (p.head_dim) {
#ifdef LITEATTN_HEAD_DIM_64
    case 64:
      return run_fwd_instance<kDType, 64>(p, stream);
#endif
#ifdef LITEATTN_HEAD_DIM_128
    case 128:
      return run_fwd_instance<kDType, 128>(p, stream);
#endif
    default:
      throw std::invalid_argument("liteattn: head_dim=" + std::to_string(p.head_dim) +
                                  " was not compiled into this build (LITEATTN_HEAD_DIMS)");
  }
}

}  // namespace

void run_fwd(FwdParams const& params, cudaStream_t stream) {
  check_params(params);
  check_device();
  if (params.dtype == DType::kBF16) {
    dispatch_head_dim<DType::kBF16>(params, stream);
  } else {
    dispatch_head_dim<DType::kFP16>(params, stream);
  }
}

int64_t fwd_workspace_ints(FwdParams const& p) {
  TileShape shape{};
  if (!tile_shape_for(p.head_dim, p.dtype, &shape)) {
    throw std::invalid_argument("liteattn: head_dim=" + std::to_string(p.head_dim) +
                                " has no tile shape");
  }
  int64_t const num_m_blocks = (p.seqlen_q + shape.block_m - 1) / shape.block_m;
  // [0]: the scheduler's tile counter; then the heaviest-first order's scratch when skipping.
  return 1 + (p.skip_in != nullptr ? tile_order_ints(p.batch * p.heads_q, int(num_m_blocks)) : 0);
}

std::vector<int> compiled_head_dims() {
  std::vector<int> dims;
#ifdef LITEATTN_HEAD_DIM_64
  dims.push_back(64);
#endif
#ifdef LITEATTN_HEAD_DIM_128
  dims.push_back(128);
#endif
  return dims;
}

std::vector<const char*> compiled_archs() { return {"sm_90a"}; }

TileShape tile_shape(int head_dim, DType dtype) {
  TileShape shape{};
  std::vector<int> const dims = compiled_head_dims();
  bool const built = std::find(dims.begin(), dims.end(), head_dim) != dims.end();
  if (!built || !tile_shape_for(head_dim, dtype, &shape)) {
    throw std::invalid_argument("liteattn: head_dim=" + std::to_string(head_dim) +
                                " has no compiled kernel");
  }
  return shape;
}

}  // namespace liteattn
