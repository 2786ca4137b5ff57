# Finds nvcc and checks it can build sm_90a (wgmma, setmaxnreg need CUDA >= 12.3);
# stops with a message that says what to do otherwise.
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(FATAL_ERROR
    "liteattn: no CUDA compiler (nvcc) found. Install the CUDA toolkit >= 12.3 "
    "(https://developer.nvidia.com/cuda-downloads) and put nvcc on PATH or set CUDACXX, "
    "or build the reference-only package with LITEATTN_CUDA=OFF "
    "(pip install . -Ccmake.define.LITEATTN_CUDA=OFF).")
endif()
# Architectures are passed explicitly below; keep CMake from adding its own -arch.
set(CMAKE_CUDA_ARCHITECTURES OFF)
enable_language(CUDA)
if(CMAKE_CUDA_COMPILER_VERSION VERSION_LESS 12.3)
  message(FATAL_ERROR
    "liteattn: nvcc ${CMAKE_CUDA_COMPILER_VERSION} is too old; the Hopper kernels need "
    "CUDA >= 12.3 for sm_90a. Install a newer CUDA toolkit or build with LITEATTN_CUDA=OFF.")
endif()
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)

# The -gencode form: -arch=sm_90a also runs a plain sm_90 pass that rejects wgmma.
set(LITEATTN_CUDA_ARCH_FLAGS -gencode=arch=compute_90a,code=sm_90a)
set(LITEATTN_CUDA_ARCH_LIST "sm_90a")
# No -DNDEBUG here: CMake's Release, RelWithDebInfo and MinSizeRel flags carry it
# already, and a Debug build keeps asserts, among them CuTe's on a TMA descriptor the
# driver refuses (fwd_launch.cuh also checks for one in every build).
set(LITEATTN_CUDA_FLAGS
  ${LITEATTN_CUDA_ARCH_FLAGS}
  --expt-relaxed-constexpr
  --use_fast_math
  -Xptxas=--warn-on-spills)
