// C++ microbenchmark of liteattn::run_fwd: no torch, no Python, only the C++ API.
//
// For each shape it times the dense forward (skip_in = nullptr) and, with --keep, the
// forward under host-built skip masks (DESIGN.md section 3). Inputs are rotated over
// enough sets that their total exceeds twice the L2 size, so every timed call reads
// q/k/v from HBM as it would inside a model. Each timed call has its own event pair;
// the table reports the median (and min/max) and the JSON keeps every number.
//
//   liteattn_bench --shapes 1x40x32760x128 --keep 1,0.5,0.25 --mask random,skewed
//   liteattn_bench --help

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "liteattn/api.h"

namespace {

// Throws instead of exiting so one failing configuration (out of memory, a shape the
// kernel rejects) is reported and the sweep goes on.
#define CUDA_CHECK(call)                                                          \
  do {                                                                            \
    cudaError_t err_ = (call);                                                    \
    if (err_ != cudaSuccess) {                                                    \
      throw std::runtime_error(std::string(#call) + " failed at " __FILE__ ":" +  \
                               std::to_string(__LINE__) + ": " +                  \
                               cudaGetErrorString(err_));                         \
    }                                                                             \
  } while (0)

// ---------------------------------------------------------------------------------
// Options

struct Shape {
  int batch, heads, seqlen, head_dim;
};

struct Options {
  std::vector<Shape> shapes;
  int seqlen_k = 0;  // 0: same as the shape's S
  int heads_kv = 0;  // 0: same as the shape's H
  liteattn::DType dtype = liteattn::DType::kBF16;
  std::vector<double> keeps;  // empty: dense only
  std::vector<std::string> masks{"random"};
  bool decisions = false;
  bool adjacent_dense = false;
  float threshold = -10.f;
  int warmup = 5;
  double settle_ms = 500.0;
  int iters = 30;
  int min_sets = 2;
  uint64_t seed = 1;
  int device = 0;
  std::string json_path;
};

const std::vector<Shape> kDefaultShapes = {
    {1, 16, 16384, 128},  // square reference point
    {1, 40, 32760, 128},  // Wan 2.1 480p
    {1, 48, 17776, 64},   // CogVideoX
    {1, 40, 75600, 128},  // Wan 2.1 720p
};

void print_usage(const char* argv0) {
  std::printf(
      "usage: %s [options]\n"
      "  --shape B,H,S,D        add a shape (repeatable)\n"
      "  --shapes BxHxSxD,...   add shapes (default: 1x16x16384x128,1x40x32760x128,\n"
      "                         1x48x17776x64,1x40x75600x128)\n"
      "  --sk N                 key length (default: S of each shape)\n"
      "  --hkv N                key/value heads (default: H; must divide H)\n"
      "  --dtype bf16|fp16      (default bf16)\n"
      "  --keep F,...           also time skip masks keeping fraction F of the key tiles\n"
      "  --mask random|skewed   mask pattern(s), comma separated (default random)\n"
      "                         random: each tile kept with probability F;\n"
      "                         skewed: half the query tiles (chosen at random) keep 9x\n"
      "                         as many key tiles as the other half, mean F\n"
      "                         (F = 0.5: 90%% and 10%%)\n"
      "  --decisions            pass a skip_out buffer (the kernel writes decisions)\n"
      "  --adjacent-dense       time the dense call again right before every masked row\n"
      "                         and take eff against that time: the board's clock drifts\n"
      "                         over seconds (it is power-limited), so a dense row timed\n"
      "                         long before can bias eff by 1-3%%\n"
      "  --threshold T          decision threshold, log2 units (default -10)\n"
      "  --warmup N             untimed calls per configuration (default 5)\n"
      "  --settle-ms MS         then untimed calls for about MS ms more (default 500): the\n"
      "                         GPU's clock follows the power of the last ~0.1 s, so a\n"
      "                         row timed right after a lighter one reads fast\n"
      "  --iters N              timed calls per configuration (default 30)\n"
      "  --sets N               at least N input sets to rotate (default 2; more are\n"
      "                         used when needed to exceed 2x the L2 size)\n"
      "  --seed N               input and mask seed (default 1)\n"
      "  --device N             CUDA device (default 0)\n"
      "  --json PATH            write every result as JSON\n",
      argv0);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    if (!item.empty()) parts.push_back(item);
  }
  return parts;
}

long parse_int(const std::string& s, const char* what) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') {
    throw std::invalid_argument(std::string(what) + ": expected an integer, got '" + s + "'");
  }
  return v;
}

double parse_double(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') {
    throw std::invalid_argument(std::string(what) + ": expected a number, got '" + s + "'");
  }
  return v;
}

Shape parse_shape(const std::string& s, char sep) {
  std::vector<std::string> dims = split(s, sep);
  if (dims.size() != 4) {
    throw std::invalid_argument("shape '" + s + "': expected B" + sep + "H" + sep + "S" + sep +
                                "D");
  }
  Shape shape{int(parse_int(dims[0], "B")), int(parse_int(dims[1], "H")),
              int(parse_int(dims[2], "S")), int(parse_int(dims[3], "D"))};
  if (shape.batch <= 0 || shape.heads <= 0 || shape.seqlen <= 0 || shape.head_dim <= 0) {
    throw std::invalid_argument("shape '" + s + "': every dimension must be positive");
  }
  return shape;
}

Options parse_args(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline_value = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    auto next = [&]() -> std::string {
      if (has_inline_value) return value;
      if (i + 1 >= argc) throw std::invalid_argument(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      print_usage(argv[0]);
      std::exit(0);
    } else if (arg == "--shape") {
      opt.shapes.push_back(parse_shape(next(), ','));
    } else if (arg == "--shapes") {
      for (const std::string& s : split(next(), ',')) opt.shapes.push_back(parse_shape(s, 'x'));
    } else if (arg == "--sk") {
      opt.seqlen_k = int(parse_int(next(), "--sk"));
    } else if (arg == "--hkv") {
      opt.heads_kv = int(parse_int(next(), "--hkv"));
    } else if (arg == "--dtype") {
      std::string d = next();
      if (d == "bf16") {
        opt.dtype = liteattn::DType::kBF16;
      } else if (d == "fp16") {
        opt.dtype = liteattn::DType::kFP16;
      } else {
        throw std::invalid_argument("--dtype: expected bf16 or fp16, got '" + d + "'");
      }
    } else if (arg == "--keep") {
      for (const std::string& f : split(next(), ',')) {
        double keep = parse_double(f, "--keep");
        if (keep < 0.0 || keep > 1.0) {
          throw std::invalid_argument("--keep: fractions must be in [0, 1], got " + f);
        }
        opt.keeps.push_back(keep);
      }
    } else if (arg == "--mask") {
      opt.masks = split(next(), ',');
      for (const std::string& m : opt.masks) {
        if (m != "random" && m != "skewed") {
          throw std::invalid_argument("--mask: expected random or skewed, got '" + m + "'");
        }
      }
    } else if (arg == "--decisions") {
      opt.decisions = true;
    } else if (arg == "--adjacent-dense") {
      opt.adjacent_dense = true;
    } else if (arg == "--threshold") {
      opt.threshold = float(parse_double(next(), "--threshold"));
    } else if (arg == "--warmup") {
      opt.warmup = int(parse_int(next(), "--warmup"));
    } else if (arg == "--settle-ms") {
      opt.settle_ms = parse_double(next(), "--settle-ms");
    } else if (arg == "--iters") {
      opt.iters = int(parse_int(next(), "--iters"));
    } else if (arg == "--sets") {
      opt.min_sets = int(parse_int(next(), "--sets"));
    } else if (arg == "--seed") {
      opt.seed = uint64_t(parse_int(next(), "--seed"));
    } else if (arg == "--device") {
      opt.device = int(parse_int(next(), "--device"));
    } else if (arg == "--json") {
      opt.json_path = next();
    } else {
      throw std::invalid_argument("unknown option '" + arg + "' (see --help)");
    }
  }
  if (opt.shapes.empty()) opt.shapes = kDefaultShapes;
  if (opt.iters < 1) throw std::invalid_argument("--iters must be at least 1");
  if (opt.warmup < 0) throw std::invalid_argument("--warmup must be non-negative");
  if (opt.settle_ms < 0) throw std::invalid_argument("--settle-ms must be non-negative");
  if (opt.min_sets < 1) throw std::invalid_argument("--sets must be at least 1");
  return opt;
}

const char* dtype_name(liteattn::DType d) { return d == liteattn::DType::kBF16 ? "bf16" : "fp16"; }

// ---------------------------------------------------------------------------------
// Device memory and inputs

// Owns one cudaMalloc so an exception in the middle of a configuration frees it.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) { CUDA_CHECK(cudaMalloc(&ptr_, bytes)); }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

class Event {
 public:
  Event() { CUDA_CHECK(cudaEventCreate(&event_)); }
  ~Event() { cudaEventDestroy(event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

__host__ __device__ inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Explicit intrinsics: the implicit float conversions vanish under
// __CUDA_NO_HALF_CONVERSIONS__ / __CUDA_NO_BFLOAT16_CONVERSIONS__, which builds often set.
__device__ inline void store_float(__nv_bfloat16* p, float x) { *p = __float2bfloat16_rn(x); }
__device__ inline void store_float(__half* p, float x) { *p = __float2half_rn(x); }

// Uniform values in [-1, 1): zeros would let the tensor cores and the softmax take
// shortcuts real activations never allow.
template <class T>
__global__ void fill_uniform_kernel(T* data, size_t n, uint64_t seed) {
  size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    uint64_t bits = splitmix64(seed ^ splitmix64(i));
    float u = float(bits >> 40) * (1.0f / 16777216.0f);  // 24 random bits -> [0, 1)
    store_float(data + i, 2.0f * u - 1.0f);
  }
}

void fill_uniform(void* data, size_t n, liteattn::DType dtype, uint64_t seed,
                  cudaStream_t stream) {
  const int threads = 256;
  const int blocks = int(std::min<size_t>((n + threads - 1) / threads, 8192));
  if (dtype == liteattn::DType::kBF16) {
    fill_uniform_kernel<<<blocks, threads, 0, stream>>>(static_cast<__nv_bfloat16*>(data), n,
                                                        seed);
  } else {
    fill_uniform_kernel<<<blocks, threads, 0, stream>>>(static_cast<__half*>(data), n, seed);
  }
  CUDA_CHECK(cudaGetLastError());
}

// ---------------------------------------------------------------------------------
// Skip masks (DESIGN.md section 3): int32 [B, Hq, Tm, W], bit j%32 of word j/32 is key
// tile j of a query tile, 1 = skip, bits at j >= Tn are 0.

struct MaskGeometry {
  int tiles_m, tiles_n, words;
};

struct HostMask {
  std::vector<int32_t> words;
  // Fraction of the Sq x Sk score matrix inside kept tiles: the share of the dense
  // FLOPs the kernel actually has to do (tail tiles count for their valid part only).
  double kept_fraction = 0.0;
};

// Per-row keep probabilities. "skewed" puts 9x more kept tiles in one half of the
// query tiles than in the other at the same mean, clamped to [0, 1]: 0.9/0.1 at 0.5.
void row_keep_probabilities(const std::string& pattern, double keep, double* heavy,
                            double* light) {
  if (pattern == "random") {
    *heavy = *light = keep;
    return;
  }
  *heavy = std::min(1.0, 1.8 * keep);
  *light = 2.0 * keep - *heavy;
}

HostMask build_mask(const std::string& pattern, double keep, int batch, int heads_q,
                    int seqlen_q, int seqlen_k, const liteattn::TileShape& tile,
                    const MaskGeometry& g, uint64_t seed) {
  double heavy = 0.0, light = 0.0;
  row_keep_probabilities(pattern, keep, &heavy, &light);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  HostMask mask;
  mask.words.assign(size_t(batch) * heads_q * g.tiles_m * g.words, 0);
  std::vector<int> order(g.tiles_m);
  double kept_elements = 0.0;
  for (int bh = 0; bh < batch * heads_q; ++bh) {
    // Which query tiles are heavy is drawn per (b, h) so the heavy rows do not line up
    // with any particular scheduling order.
    for (int m = 0; m < g.tiles_m; ++m) order[m] = m;
    std::shuffle(order.begin(), order.end(), rng);
    for (int rank = 0; rank < g.tiles_m; ++rank) {
      const int m = order[rank];
      const double p = rank < g.tiles_m / 2 ? heavy : light;
      const int rows = std::min(tile.block_m, seqlen_q - m * tile.block_m);
      int32_t* row = mask.words.data() + (size_t(bh) * g.tiles_m + m) * g.words;
      for (int j = 0; j < g.tiles_n; ++j) {
        if (uniform(rng) < p) {
          const int cols = std::min(tile.block_n, seqlen_k - j * tile.block_n);
          kept_elements += double(rows) * cols;
        } else {
          row[j / 32] |= int32_t(1u << (j % 32));
        }
      }
    }
  }
  mask.kept_fraction = kept_elements / (double(batch) * heads_q * seqlen_q * seqlen_k);
  return mask;
}

// ---------------------------------------------------------------------------------
// One configuration

struct Result {
  Shape shape;
  int seqlen_k = 0, heads_kv = 0;
  liteattn::TileShape tile{0, 0};
  std::string mask = "none";
  double keep_target = 1.0;
  double keep_actual = 1.0;
  bool decisions = false;
  int sets = 0;
  std::vector<float> times_ms;
  double median_ms = 0.0, min_ms = 0.0, max_ms = 0.0;
  double tflops = 0.0;        // useful FLOPs (kept tiles only) per second
  double tflops_dense = 0.0;  // the dense problem's FLOPs per second
  double skip_efficiency = -1.0;  // keep * t(dense) / t(keep); < 0 when not measured
  std::string error;
};

struct Inputs {
  std::vector<std::unique_ptr<DeviceBuffer>> q, k, v;
};

class ShapeBench {
 public:
  ShapeBench(const Options& opt, const Shape& shape, const cudaDeviceProp& prop)
      : opt_(opt), shape_(shape) {
    seqlen_k_ = opt.seqlen_k > 0 ? opt.seqlen_k : shape.seqlen;
    heads_kv_ = opt.heads_kv > 0 ? opt.heads_kv : shape.heads;
    if (shape.heads % heads_kv_ != 0) {
      throw std::invalid_argument("--hkv " + std::to_string(heads_kv_) +
                                  " does not divide H = " + std::to_string(shape.heads));
    }
    tile_ = liteattn::tile_shape(shape.head_dim, opt.dtype);
    geometry_.tiles_m = (shape.seqlen + tile_.block_m - 1) / tile_.block_m;
    geometry_.tiles_n = (seqlen_k_ + tile_.block_n - 1) / tile_.block_n;
    geometry_.words = (geometry_.tiles_n + 31) / 32;

    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    allocate(prop);
  }
  ~ShapeBench() { cudaStreamDestroy(stream_); }
  ShapeBench(const ShapeBench&) = delete;
  ShapeBench& operator=(const ShapeBench&) = delete;

  // mask == "none": skip_in = nullptr.
  Result run(const std::string& mask_pattern, double keep, uint64_t mask_seed) {
    Result r = blank_result();
    r.mask = mask_pattern;
    r.keep_target = keep;
    std::unique_ptr<DeviceBuffer> skip_in;
    if (mask_pattern != "none") {
      HostMask host = build_mask(mask_pattern, keep, shape_.batch, shape_.heads, shape_.seqlen,
                                 seqlen_k_, tile_, geometry_, mask_seed);
      r.keep_actual = host.kept_fraction;
      skip_in = std::make_unique<DeviceBuffer>(host.words.size() * sizeof(int32_t));
      CUDA_CHECK(cudaMemcpyAsync(skip_in->as<int32_t>(), host.words.data(), skip_in->bytes(),
                                 cudaMemcpyHostToDevice, stream_));
      CUDA_CHECK(cudaStreamSynchronize(stream_));  // `host` dies at the end of this block
    }

    liteattn::FwdParams p = base_params();
    if (skip_in) p.skip_in = skip_in->as<int32_t>();
    if (skip_out_) p.skip_out = skip_out_->as<int32_t>();

    const int sets = int(inputs_.q.size());
    auto launch = [&](int call) {
      const int s = call % sets;
      p.q = inputs_.q[s]->as<void>();
      p.k = inputs_.k[s]->as<void>();
      p.v = inputs_.v[s]->as<void>();
      liteattn::run_fwd(p, stream_);
    };

    try {
      for (int i = 0; i < opt_.warmup; ++i) launch(i);
      int first_timed = opt_.warmup;
      if (opt_.settle_ms > 0.0) {
        // One timed probe sizes the settling run: the steady state, not the boost right
        // after the previous (lighter) row, is what a denoising loop sees.
        Event a, b;
        CUDA_CHECK(cudaEventRecord(a.get(), stream_));
        launch(first_timed++);
        CUDA_CHECK(cudaEventRecord(b.get(), stream_));
        CUDA_CHECK(cudaEventSynchronize(b.get()));
        float probe_ms = 0.f;
        CUDA_CHECK(cudaEventElapsedTime(&probe_ms, a.get(), b.get()));
        double const calls = std::ceil(opt_.settle_ms / std::max(double(probe_ms), 1e-3));
        int const settle = int(std::min(calls, 1e6));
        for (int i = 0; i < settle; ++i) launch(first_timed++);
      }
      std::vector<Event> start(opt_.iters), stop(opt_.iters);
      for (int i = 0; i < opt_.iters; ++i) {
        CUDA_CHECK(cudaEventRecord(start[i].get(), stream_));
        launch(first_timed + i);
        CUDA_CHECK(cudaEventRecord(stop[i].get(), stream_));
      }
      CUDA_CHECK(cudaStreamSynchronize(stream_));
      CUDA_CHECK(cudaGetLastError());
      r.times_ms.resize(opt_.iters);
      for (int i = 0; i < opt_.iters; ++i) {
        CUDA_CHECK(cudaEventElapsedTime(&r.times_ms[i], start[i].get(), stop[i].get()));
      }
    } catch (const std::exception& e) {
      r.error = e.what();
      return r;
    }

    std::vector<float> sorted = r.times_ms;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    r.median_ms = n % 2 ? sorted[n / 2] : 0.5 * (double(sorted[n / 2 - 1]) + sorted[n / 2]);
    r.min_ms = sorted.front();
    r.max_ms = sorted.back();
    const double dense_flops = 4.0 * shape_.batch * shape_.heads * double(shape_.seqlen) *
                               double(seqlen_k_) * shape_.head_dim;
    r.tflops = dense_flops * r.keep_actual / (r.median_ms * 1e-3) / 1e12;
    r.tflops_dense = dense_flops / (r.median_ms * 1e-3) / 1e12;
    return r;
  }

  Result failed(const std::string& mask_pattern, double keep, const std::string& error) const {
    Result r = blank_result();
    r.mask = mask_pattern;
    r.keep_target = keep;
    r.error = error;
    return r;
  }

 private:
  Result blank_result() const {
    Result r;
    r.shape = shape_;
    r.seqlen_k = seqlen_k_;
    r.heads_kv = heads_kv_;
    r.tile = tile_;
    r.decisions = opt_.decisions;
    r.sets = int(inputs_.q.size());
    return r;
  }

  void allocate(const cudaDeviceProp& prop) {
    const size_t elem = 2;
    const size_t q_elems = size_t(shape_.batch) * shape_.seqlen * shape_.heads * shape_.head_dim;
    const size_t kv_elems = size_t(shape_.batch) * seqlen_k_ * heads_kv_ * shape_.head_dim;
    const size_t set_bytes = (q_elems + 2 * kv_elems) * elem;
    const size_t l2 = size_t(std::max(prop.l2CacheSize, 0));
    // Capped so a toy shape does not allocate thousands of sets; any cap this size still
    // exceeds 2x L2 for every shape worth timing.
    const size_t needed = std::min<size_t>((2 * l2 + set_bytes - 1) / set_bytes, 1024);
    int sets = std::max<int>(opt_.min_sets, int(needed));

    size_t free_bytes = 0, total_bytes = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    const size_t fixed = q_elems * elem + size_t(shape_.batch) * shape_.heads * shape_.seqlen * 4;
    const size_t budget = size_t(0.85 * double(free_bytes));
    if (fixed + size_t(sets) * set_bytes > budget && budget > fixed) {
      const int fit = int((budget - fixed) / set_bytes);
      if (fit < sets) {
        std::fprintf(stderr,
                     "note: %d input sets of %.1f MB do not fit in free memory; using %d\n",
                     sets, set_bytes / 1e6, std::max(fit, 1));
        sets = std::max(fit, 1);
      }
    }

    for (int s = 0; s < sets; ++s) {
      inputs_.q.push_back(std::make_unique<DeviceBuffer>(q_elems * elem));
      inputs_.k.push_back(std::make_unique<DeviceBuffer>(kv_elems * elem));
      inputs_.v.push_back(std::make_unique<DeviceBuffer>(kv_elems * elem));
      const uint64_t set_seed = splitmix64(opt_.seed * 1000003ull + uint64_t(s));
      fill_uniform(inputs_.q[s]->as<void>(), q_elems, opt_.dtype, set_seed ^ 0x51ull, stream_);
      fill_uniform(inputs_.k[s]->as<void>(), kv_elems, opt_.dtype, set_seed ^ 0x4Bull, stream_);
      fill_uniform(inputs_.v[s]->as<void>(), kv_elems, opt_.dtype, set_seed ^ 0x56ull, stream_);
    }
    out_ = std::make_unique<DeviceBuffer>(q_elems * elem);
    lse_ = std::make_unique<DeviceBuffer>(size_t(shape_.batch) * shape_.heads * shape_.seqlen *
                                          sizeof(float));
    // Sized for the largest need (skip_in given), by the library's own rule.
    liteattn::FwdParams sizing = base_params();
    static const int32_t kAnyMask = 0;
    sizing.skip_in = &kAnyMask;
    workspace_ints_ = liteattn::fwd_workspace_ints(sizing);
    workspace_ = std::make_unique<DeviceBuffer>(size_t(workspace_ints_) * sizeof(int32_t));
    if (opt_.decisions) {
      skip_out_ = std::make_unique<DeviceBuffer>(size_t(shape_.batch) * shape_.heads *
                                                 geometry_.tiles_m * geometry_.words *
                                                 sizeof(int32_t));
    }
    CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  liteattn::FwdParams base_params() const {
    liteattn::FwdParams p;
    const int64_t d = shape_.head_dim;
    p.q_batch_stride = int64_t(shape_.seqlen) * shape_.heads * d;
    p.q_row_stride = int64_t(shape_.heads) * d;
    p.q_head_stride = d;
    p.k_batch_stride = int64_t(seqlen_k_) * heads_kv_ * d;
    p.k_row_stride = int64_t(heads_kv_) * d;
    p.k_head_stride = d;
    p.v_batch_stride = p.k_batch_stride;
    p.v_row_stride = p.k_row_stride;
    p.v_head_stride = p.k_head_stride;
    p.o_batch_stride = p.q_batch_stride;
    p.o_row_stride = p.q_row_stride;
    p.o_head_stride = p.q_head_stride;
    p.out = out_->as<void>();
    p.lse = lse_->as<float>();
    p.batch = shape_.batch;
    p.seqlen_q = shape_.seqlen;
    p.seqlen_k = seqlen_k_;
    p.heads_q = shape_.heads;
    p.heads_kv = heads_kv_;
    p.head_dim = shape_.head_dim;
    p.dtype = opt_.dtype;
    p.softmax_scale = float(1.0 / std::sqrt(double(shape_.head_dim)));
    p.threshold = opt_.threshold;
    p.workspace = workspace_ ? workspace_->as<int32_t>() : nullptr;  // null while sizing it
    p.workspace_ints = workspace_ints_;
    return p;
  }

  const Options& opt_;
  Shape shape_;
  int seqlen_k_ = 0, heads_kv_ = 0;
  liteattn::TileShape tile_{0, 0};
  MaskGeometry geometry_{0, 0, 0};
  cudaStream_t stream_ = nullptr;
  Inputs inputs_;
  std::unique_ptr<DeviceBuffer> out_, lse_, workspace_, skip_out_;
  int64_t workspace_ints_ = 0;
};

// ---------------------------------------------------------------------------------
// Reporting

void print_header() {
  std::printf("%3s %4s %4s %7s %7s %4s %6s %7s %5s %6s %4s %5s %9s %9s %9s %8s %8s %6s\n",
              "B", "Hq", "Hkv", "Sq", "Sk", "D", "tile", "mask", "keep", "actual", "dec",
              "sets", "median_ms", "min_ms", "max_ms", "TFLOP/s", "dense-eq", "eff");
}

void print_row(const Result& r) {
  char tile[16];
  std::snprintf(tile, sizeof(tile), "%dx%d", r.tile.block_m, r.tile.block_n);
  std::printf("%3d %4d %4d %7d %7d %4d %6s %7s %5.2f %6.3f %4s %5d ", r.shape.batch,
              r.shape.heads, r.heads_kv, r.shape.seqlen, r.seqlen_k, r.shape.head_dim, tile,
              r.mask.c_str(), r.keep_target, r.keep_actual, r.decisions ? "yes" : "no", r.sets);
  if (!r.error.empty()) {
    std::printf("failed: %s\n", r.error.c_str());
    return;
  }
  std::printf("%9.3f %9.3f %9.3f %8.1f %8.1f ", r.median_ms, r.min_ms, r.max_ms, r.tflops,
              r.tflops_dense);
  if (r.skip_efficiency >= 0.0) {
    std::printf("%6.3f\n", r.skip_efficiency);
  } else {
    std::printf("%6s\n", "-");
  }
  std::fflush(stdout);
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

void write_json(const std::string& path, const Options& opt, const cudaDeviceProp& prop,
                const std::string& command_line, const std::vector<Result>& results) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot open --json path '" + path + "' for writing");
  std::fprintf(f, "{\n");
  std::fprintf(f, "  \"device\": \"%s\",\n", json_escape(prop.name).c_str());
  std::fprintf(f, "  \"compute_capability\": \"%d.%d\",\n", prop.major, prop.minor);
  std::fprintf(f, "  \"l2_bytes\": %d,\n", prop.l2CacheSize);
  std::fprintf(f, "  \"command\": \"%s\",\n", json_escape(command_line).c_str());
  std::fprintf(f, "  \"dtype\": \"%s\",\n", dtype_name(opt.dtype));
  std::fprintf(f, "  \"threshold\": %.6g,\n", opt.threshold);
  std::fprintf(f, "  \"warmup\": %d,\n  \"settle_ms\": %g,\n  \"iters\": %d,\n", opt.warmup,
               opt.settle_ms, opt.iters);
  std::fprintf(f, "  \"results\": [");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    std::fprintf(f, "%s\n    {", i ? "," : "");
    std::fprintf(f,
                 "\"batch\": %d, \"heads_q\": %d, \"heads_kv\": %d, \"seqlen_q\": %d, "
                 "\"seqlen_k\": %d, \"head_dim\": %d, \"block_m\": %d, \"block_n\": %d, "
                 "\"mask\": \"%s\", \"keep_target\": %.6g, \"keep_actual\": %.6g, "
                 "\"decisions\": %s, \"sets\": %d",
                 r.shape.batch, r.shape.heads, r.heads_kv, r.shape.seqlen, r.seqlen_k,
                 r.shape.head_dim, r.tile.block_m, r.tile.block_n,
                 json_escape(r.mask).c_str(), r.keep_target, r.keep_actual,
                 r.decisions ? "true" : "false", r.sets);
    if (!r.error.empty()) {
      std::fprintf(f, ", \"error\": \"%s\"}", json_escape(r.error).c_str());
      continue;
    }
    std::fprintf(f,
                 ", \"median_ms\": %.6g, \"min_ms\": %.6g, \"max_ms\": %.6g, "
                 "\"tflops\": %.6g, \"tflops_dense_equiv\": %.6g, \"skip_efficiency\": ",
                 r.median_ms, r.min_ms, r.max_ms, r.tflops, r.tflops_dense);
    if (r.skip_efficiency >= 0.0) {
      std::fprintf(f, "%.6g", r.skip_efficiency);
    } else {
      std::fprintf(f, "null");
    }
    std::fprintf(f, ", \"times_ms\": [");
    for (size_t t = 0; t < r.times_ms.size(); ++t) {
      std::fprintf(f, "%s%.6g", t ? ", " : "", r.times_ms[t]);
    }
    std::fprintf(f, "]}");
  }
  std::fprintf(f, "\n  ]\n}\n");
  if (std::fclose(f) != 0) throw std::runtime_error("error writing '" + path + "'");
}

int run(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);

  CUDA_CHECK(cudaSetDevice(opt.device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, opt.device));
  std::printf("device %d: %s (sm_%d%d, %d SMs, L2 %.1f MB)\n", opt.device, prop.name,
              prop.major, prop.minor, prop.multiProcessorCount, prop.l2CacheSize / 1e6);
  std::printf("liteattn built for:");
  for (const char* arch : liteattn::compiled_archs()) std::printf(" %s", arch);
  std::printf("; head dims:");
  for (int d : liteattn::compiled_head_dims()) std::printf(" %d", d);
  std::printf("\ndtype %s, threshold %g, %d warm-up calls + %g ms settling + %d timed calls per row%s\n\n",
              dtype_name(opt.dtype), opt.threshold, opt.warmup, opt.settle_ms, opt.iters,
              opt.decisions ? ", skip_out written" : "");
  print_header();

  std::vector<Result> results;
  int failures = 0;
  for (size_t si = 0; si < opt.shapes.size(); ++si) {
    const Shape& shape = opt.shapes[si];
    std::unique_ptr<ShapeBench> bench;
    try {
      bench = std::make_unique<ShapeBench>(opt, shape, prop);
    } catch (const std::exception& e) {
      Result r;
      r.shape = shape;
      r.seqlen_k = opt.seqlen_k > 0 ? opt.seqlen_k : shape.seqlen;
      r.heads_kv = opt.heads_kv > 0 ? opt.heads_kv : shape.heads;
      r.decisions = opt.decisions;
      r.error = e.what();
      print_row(r);
      results.push_back(r);
      ++failures;
      continue;
    }

    Result dense = bench->run("none", 1.0, 0);
    print_row(dense);
    results.push_back(dense);
    failures += !dense.error.empty();

    for (const std::string& pattern : opt.masks) {
      for (size_t ki = 0; ki < opt.keeps.size(); ++ki) {
        const double keep = opt.keeps[ki];
        const uint64_t pattern_id = pattern == "skewed" ? 2 : 1;
        const uint64_t mask_seed =
            splitmix64(opt.seed ^ (uint64_t(si) << 40) ^ (uint64_t(ki) << 20) ^ pattern_id);
        Result reference = dense;
        if (opt.adjacent_dense) {  // "none*": the dense call again, just before this row
          reference = bench->run("none", 1.0, 0);
          reference.mask = "none*";
          print_row(reference);
          results.push_back(reference);
          failures += !reference.error.empty();
        }
        Result r;
        try {
          r = bench->run(pattern, keep, mask_seed);
        } catch (const std::exception& e) {
          r = bench->failed(pattern, keep, e.what());
        }
        if (r.error.empty() && reference.error.empty() && r.median_ms > 0.0) {
          r.skip_efficiency = r.keep_actual * reference.median_ms / r.median_ms;
        }
        print_row(r);
        results.push_back(r);
        failures += !r.error.empty();
      }
    }
  }

  if (!opt.keeps.empty()) {
    std::printf(
        "\nactual: share of the Sq x Sk scores in kept tiles; TFLOP/s counts only those;\n"
        "dense-eq: the dense problem's FLOPs over the same time; eff: actual * t(none) / t\n"
        "%s", opt.adjacent_dense ? "(t(none): the none* row timed right before each row)\n" : "");
  }
  if (!opt.json_path.empty()) {
    write_json(opt.json_path, opt, prop, command_line, results);
    std::printf("wrote %s\n", opt.json_path.c_str());
  }
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "liteattn_bench: %s\n", e.what());
    return 2;
  }
}
