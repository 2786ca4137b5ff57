// pybind11 binding of the C++ API: integers in (pointers, sizes, strides, the CUDA
// stream), a launch, C++ exceptions out as Python exceptions. Does not link libtorch,
// so one build serves every torch version. Built without kernels
// (LITEATTN_WITH_KERNELS=0), it still reports tile shapes from traits.h.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "liteattn/api.h"
#include "liteattn/traits.h"

namespace py = pybind11;

namespace {

liteattn::DType parse_dtype(std::string const& name) {
  if (name == "bf16") return liteattn::DType::kBF16;
  if (name == "fp16") return liteattn::DType::kFP16;
  throw std::invalid_argument("dtype: expected 'bf16' or 'fp16', got '" + name + "'");
}

std::tuple<int, int> tile_shape(int head_dim, std::string const& dtype) {
  liteattn::TileShape shape{};
  if (!liteattn::tile_shape_for(head_dim, parse_dtype(dtype), &shape)) {
    throw std::invalid_argument("head_dim: expected 64 or 128, got " + std::to_string(head_dim));
  }
  return {shape.block_m, shape.block_n};
}

#if LITEATTN_WITH_KERNELS
using Strides = std::array<int64_t, 3>;  // (batch, row, head), in elements

template <typename T>
T* as_ptr(uint64_t address) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(address));
}

void forward(uint64_t q, uint64_t k, uint64_t v, uint64_t out, uint64_t lse, Strides q_strides,
             Strides k_strides, Strides v_strides, Strides o_strides, int batch, int seqlen_q,
             int seqlen_k, int heads_q, int heads_kv, int head_dim, std::string const& dtype,
             float softmax_scale, uint64_t skip_in, uint64_t skip_out, uint64_t must_compute,
             float threshold, uint64_t workspace, int64_t workspace_ints, uint64_t stream) {
  liteattn::FwdParams p;
  p.q = as_ptr<const void>(q);
  p.k = as_ptr<const void>(k);
  p.v = as_ptr<const void>(v);
  p.out = as_ptr<void>(out);
  p.lse = as_ptr<float>(lse);
  std::tie(p.q_batch_stride, p.q_row_stride, p.q_head_stride) = std::tuple_cat(q_strides);
  std::tie(p.k_batch_stride, p.k_row_stride, p.k_head_stride) = std::tuple_cat(k_strides);
  std::tie(p.v_batch_stride, p.v_row_stride, p.v_head_stride) = std::tuple_cat(v_strides);
  std::tie(p.o_batch_stride, p.o_row_stride, p.o_head_stride) = std::tuple_cat(o_strides);
  p.batch = batch;
  p.seqlen_q = seqlen_q;
  p.seqlen_k = seqlen_k;
  p.heads_q = heads_q;
  p.heads_kv = heads_kv;
  p.head_dim = head_dim;
  p.dtype = parse_dtype(dtype);
  p.softmax_scale = softmax_scale;
  p.skip_in = as_ptr<const int32_t>(skip_in);
  p.skip_out = as_ptr<int32_t>(skip_out);
  p.must_compute = as_ptr<const int32_t>(must_compute);
  p.threshold = threshold;
  p.workspace = as_ptr<int32_t>(workspace);
  p.workspace_ints = workspace_ints;
  liteattn::run_fwd(p, reinterpret_cast<cudaStream_t>(static_cast<uintptr_t>(stream)));
}
#endif

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "liteattn kernels (raw pointers in; see python/liteattn/ops.py for the torch op)";
  m.attr("max_mask_words") = liteattn::kMaxMaskWords;
  m.def("tile_shape", &tile_shape, py::arg("head_dim"), py::arg("dtype"),
        "(block_m, block_n) of the kernel for this head dim and dtype ('bf16' or 'fp16')");
#if LITEATTN_WITH_KERNELS
  m.attr("has_kernels") = true;
  m.def("compiled_head_dims", &liteattn::compiled_head_dims);
  m.def(
      "workspace_ints",
      [](int batch, int seqlen_q, int heads_q, int head_dim, std::string const& dtype,
         bool has_skip_in) {
        liteattn::FwdParams p;
        p.batch = batch;
        p.seqlen_q = seqlen_q;
        p.heads_q = heads_q;
        p.head_dim = head_dim;
        p.dtype = parse_dtype(dtype);
        static int32_t const marker = 0;
        p.skip_in = has_skip_in ? &marker : nullptr;
        return liteattn::fwd_workspace_ints(p);
      },
      py::arg("batch"), py::arg("seqlen_q"), py::arg("heads_q"), py::arg("head_dim"),
      py::arg("dtype"), py::arg("has_skip_in"),
      "int32 elements of scratch one forward call needs (its `workspace` argument)");
  m.def("compiled_archs", []() {
    std::vector<std::string> archs;
    for (const char* a : liteattn::compiled_archs()) archs.emplace_back(a);
    return archs;
  });
  m.def("forward", &forward, py::kw_only(), py::arg("q"), py::arg("k"), py::arg("v"),
        py::arg("out"), py::arg("lse"), py::arg("q_strides"), py::arg("k_strides"),
        py::arg("v_strides"), py::arg("o_strides"), py::arg("batch"), py::arg("seqlen_q"),
        py::arg("seqlen_k"), py::arg("heads_q"), py::arg("heads_kv"), py::arg("head_dim"),
        py::arg("dtype"), py::arg("softmax_scale"), py::arg("skip_in"), py::arg("skip_out"),
        py::arg("must_compute"), py::arg("threshold"), py::arg("workspace"), py::arg("workspace_ints"),
        py::arg("stream"), py::call_guard<py::gil_scoped_release>());
#else
  m.attr("has_kernels") = false;
  m.def("compiled_head_dims", []() { return std::vector<int>{}; });
  m.def("compiled_archs", []() { return std::vector<std::string>{}; });
#endif
}
