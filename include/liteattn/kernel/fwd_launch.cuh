// Host-side launch of one (dtype, head dim) instantiation: builds the kernel parameters
// (TMA descriptors included), sizes the persistent grid and launches on the caller's
// stream. Included only by the generated cpp/instantiations/*.cu files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include <cutlass/numeric_types.h>

#include "liteattn/api.h"
#include "liteattn/cuda_check.h"
#include "liteattn/kernel/fwd_kernel.hpp"
#include "liteattn/kernel/kernel_traits.hpp"
#include "liteattn/kernel/tile_order.h"

namespace liteattn {

template <DType kDType>
struct ElementOf;
template <>
struct ElementOf<DType::kBF16> {
  using type = cutlass::bfloat16_t;
};
template <>
struct ElementOf<DType::kFP16> {
  using type = cutlass::half_t;
};

// Where the driver refuses a TMA descriptor (cuTensorMapEncodeTiled), CuTe's make_tma_copy
// prints its arguments on stderr and asserts; under NDEBUG the assert is gone and the
// descriptor stays zero, and a kernel launched with it would fault on its first copy. A
// descriptor of a real tensor is never all zero bytes (it holds the address and sizes).
inline void check_tma_descriptor(const char* tensor, cute::TmaDescriptor const* desc,
                                 const void* ptr, int batch, int seqlen, int heads,
                                 int head_dim, int64_t batch_stride, int64_t row_stride,
                                 int64_t head_stride) {
  auto const* bytes = reinterpret_cast<unsigned char const*>(desc);
  if (std::any_of(bytes, bytes + sizeof(*desc), [](unsigned char b) { return b != 0; })) return;
  std::ostringstream msg;
  msg << "liteattn: the CUDA driver refused the TMA descriptor of " << tensor
      << " ([B, S, H, D] = [" << batch << ", " << seqlen << ", " << heads << ", " << head_dim
      << "], strides [" << batch_stride << ", " << row_stride << ", " << head_stride
      << ", 1] elements, address " << ptr << "); cuTensorMapEncodeTiled's arguments are on stderr";
  throw std::runtime_error(msg.str());
}

template <DType kDType, int kHeadDim>
void run_fwd_instance(FwdParams const& p, cudaStream_t stream) {
  using Traits = FwdKernelTraits<typename ElementOf<kDType>::type, kHeadDim>;
  using Kernel = FwdKernel<Traits>;

  int const num_key_tiles = (p.seqlen_k + Traits::kBlockN - 1) / Traits::kBlockN;
  int const words = (num_key_tiles + 31) / 32;
  if ((p.skip_in || p.skip_out) && words > Traits::kMaxMaskWords) {
    throw std::invalid_argument("liteattn: seqlen_k=" + std::to_string(p.seqlen_k) +
                                " needs " + std::to_string(words) +
                                " mask words per row; this build supports at most " +
                                std::to_string(Traits::kMaxMaskWords));
  }

  typename Kernel::Params params = Kernel::make_params(p);
  check_tma_descriptor("q", params.mainloop.tma_q.get_tma_descriptor(), p.q, p.batch, p.seqlen_q,
                       p.heads_q, kHeadDim, p.q_batch_stride, p.q_row_stride, p.q_head_stride);
  check_tma_descriptor("k", params.mainloop.tma_k.get_tma_descriptor(), p.k, p.batch, p.seqlen_k,
                       p.heads_kv, kHeadDim, p.k_batch_stride, p.k_row_stride, p.k_head_stride);
  check_tma_descriptor("v", params.mainloop.tma_v.get_tma_descriptor(), p.v, p.batch, p.seqlen_k,
                       p.heads_kv, kHeadDim, p.v_batch_stride, p.v_row_stride, p.v_head_stride);
  check_tma_descriptor("out", params.epilogue.tma_o.get_tma_descriptor(), p.out, p.batch,
                       p.seqlen_q, p.heads_q, kHeadDim, p.o_batch_stride, p.o_row_stride,
                       p.o_head_stride);
  int device = 0;
  LITEATTN_CUDA_CHECK(cudaGetDevice(&device));
  int num_sms = 0;
  LITEATTN_CUDA_CHECK(cudaDeviceGetAttribute(&num_sms, cudaDevAttrMultiProcessorCount, device));

  auto kernel = fwd_kernel<Traits>;
  constexpr int kSmemBytes = Traits::kSharedStorageBytes;
  LITEATTN_CUDA_CHECK(
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  // workspace[0]: the scheduler's counter; with skip_in, the tile order's scratch follows
  // (fwd_workspace_ints), starting with the slots it needs zeroed: one memset for both.
  // After the order kernel the forward kernel starts as its dependent (grid_dependency.hpp).
  bool const after_order_kernel = p.skip_in != nullptr;
  int32_t* const order_scratch = Kernel::order_scratch(p);
  int64_t const zeroed = 1 + (after_order_kernel ? tile_order_zeroed_ints(p.batch * p.heads_q) : 0);
  LITEATTN_CUDA_CHECK(cudaMemsetAsync(p.workspace, 0, zeroed * sizeof(int32_t), stream));
  if (after_order_kernel) {
    launch_order_tiles_by_work(p.skip_in, p.batch * p.heads_q, params.scheduler.num_m_blocks,
                               words, num_key_tiles, order_scratch, stream);
  }

  cudaLaunchConfig_t config{};
  config.gridDim = dim3(std::min(params.scheduler.num_tiles, num_sms));
  config.blockDim = dim3(Traits::kNumThreads);
  config.dynamicSmemBytes = kSmemBytes;
  config.stream = stream;
  cudaLaunchAttribute early_start{};
  early_start.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  early_start.val.programmaticStreamSerializationAllowed = 1;
  config.attrs = &early_start;
  config.numAttrs = after_order_kernel ? 1 : 0;
  cudaError_t const err = cudaLaunchKernelEx(&config, kernel, params);
  if (err != cudaSuccess) {
    cudaGetLastError();  // taken here, so that no later check reports it against its own launch
    throw std::runtime_error(
        std::string("liteattn: fwd_kernel<hdim=") + std::to_string(kHeadDim) + "> launch failed for B=" +
        std::to_string(p.batch) + " Sq=" + std::to_string(p.seqlen_q) + " Sk=" +
        std::to_string(p.seqlen_k) + " Hq=" + std::to_string(p.heads_q) + " Hkv=" +
        std::to_string(p.heads_kv) + ": " + cudaGetErrorString(err));
  }
}

}  // namespace liteattn
