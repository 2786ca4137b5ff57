// The compiled forward instantiations, by (dtype, head dim). Defined in
// kernel/fwd_launch.cuh and instantiated once each by cpp/instantiations/*.cu, so this
// declaration is all the dispatcher needs (no CuTe in plain C++ translation units).
#pragma once

#include <cuda_runtime.h>

#include "liteattn/api.h"

namespace liteattn {

template <DType kDType, int kHeadDim>
void run_fwd_instance(FwdParams const& params, cudaStream_t stream);

}  // namespace liteattn
