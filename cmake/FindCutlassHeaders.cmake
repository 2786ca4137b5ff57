# Locates the CuTe/CUTLASS headers, in order: CUTLASS_DIR, a populated
# third_party/cutlass, the nvidia-cutlass Python package (a pinned build requirement).
set(_liteattn_cutlass_include "")
if(CUTLASS_DIR)
  if(EXISTS "${CUTLASS_DIR}/include/cute/tensor.hpp")
    set(_liteattn_cutlass_include "${CUTLASS_DIR}/include")
  else()
    message(FATAL_ERROR "liteattn: CUTLASS_DIR=${CUTLASS_DIR} has no include/cute/tensor.hpp")
  endif()
elseif(EXISTS "${PROJECT_SOURCE_DIR}/third_party/cutlass/include/cute/tensor.hpp")
  set(_liteattn_cutlass_include "${PROJECT_SOURCE_DIR}/third_party/cutlass/include")
else()
  # find_spec locates the package without importing it (its __init__ pulls in more).
  execute_process(
    COMMAND "${Python3_EXECUTABLE}" -c
      "import importlib.util as u; s = u.find_spec('cutlass_library'); print(s.submodule_search_locations[0] if s else '')"
    OUTPUT_VARIABLE _liteattn_cutlass_pkg
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_liteattn_cutlass_pkg AND EXISTS "${_liteattn_cutlass_pkg}/source/include/cute/tensor.hpp")
    set(_liteattn_cutlass_include "${_liteattn_cutlass_pkg}/source/include")
  endif()
endif()
if(NOT _liteattn_cutlass_include)
  message(FATAL_ERROR
    "liteattn: CuTe/CUTLASS headers not found. pip install nvidia-cutlass==4.2.0.0 "
    "(a build requirement; with --no-build-isolation install it yourself), or set "
    "CUTLASS_DIR to a CUTLASS 4.2 checkout, or clone it into third_party/cutlass.")
endif()
message(STATUS "liteattn: CUTLASS headers from ${_liteattn_cutlass_include}")
set(LITEATTN_CUTLASS_INCLUDE "${_liteattn_cutlass_include}")
