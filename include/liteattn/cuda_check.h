// Every CUDA runtime call is checked; a failure becomes std::runtime_error naming the
// call and where it was made.
#pragma once

#include <stdexcept>
#include <string>

#include <cuda_runtime.h>

#define LITEATTN_CUDA_CHECK(call)                                                          \
  do {                                                                                     \
    cudaError_t const liteattn_err_ = (call);                                              \
    if (liteattn_err_ != cudaSuccess) {                                                    \
      throw std::runtime_error(std::string("liteattn: ") + #call + " failed at " +         \
                               __FILE__ + ":" + std::to_string(__LINE__) + ": " +          \
                               cudaGetErrorString(liteattn_err_));                         \
    }                                                                                      \
  } while (0)
