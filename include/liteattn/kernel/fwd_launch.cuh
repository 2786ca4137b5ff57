// Host-side launch of one (dtype, head dim) instantiation: builds the kernel parameters
// (TMA descriptors included), sizes the persistent grid and launches on the caller's
// stream. Included only by the generated cpp/instantiations/*.cu files.
#pragma once

#include <algorithm>
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
