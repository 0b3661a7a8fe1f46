// The ready-made workloads: synthetic shapes and variable-length attention.
#include "workloads/workloads.hpp"

#include "pto/wsp/tile/ops.hpp"
#include "pto/wsp/tile/tile_kernel.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

namespace pto::wsp::workloads {
namespace {

// Busy-waits: a synthetic task stands for a kernel that keeps its core busy for `ns`.
void spin_for(std::int64_t ns) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
  while (std::chrono::steady_clock::now() < until) {
  }
}

// A tile value that depends on the task's position: results are comparable bit for bit.
float tile_value(std::int64_t b, std::int64_t t, int i) {
  return static_cast<float>((b * 131 + t * 17 + i * 7) % 1009) / 1009.0f + 0.25f;
}

// On the NPU model a synthetic task costs its cost_ns on a vector core.
Kernel with_scalar_cost(const Kernel& k) {
  return k.with_cost(CoreKind::Vector, param("cost_ns"));
}

Kernel make_work() {
  return with_scalar_cost(
      make_kernel("work", {Out("out", DType::f32, 1), Scalar("cost_ns")}, [](const TaskArgs& a) {
        spin_for(a.scalar("cost_ns").as_int());
        float* o = a.tensor("out").data<float>();
        const std::int64_t b = a.axis("b"), t = a.axis("t");
        for (int i = 0; i < 4; ++i) o[i] = std::sqrt(tile_value(b, t, i));
      }));
}

Kernel make_step() {
  return with_scalar_cost(make_kernel(
      "step", {Out("out", DType::f32, 1), InOut("acc", DType::f32, 1), Scalar("cost_ns")},
      [](const TaskArgs& a) {
        spin_for(a.scalar("cost_ns").as_int());
        float* acc = a.tensor("acc").data<float>();
        float* o = a.tensor("out").data<float>();
        const std::int64_t b = a.axis("b"), t = a.axis("t");
        for (int i = 0; i < 4; ++i) {
          acc[i] = acc[i] * 0.999f + tile_value(b, t, i);
          o[i] = acc[i];
        }
      }));
}

Kernel make_consume() {
  return with_scalar_cost(make_kernel(
      "consume", {In("in", DType::f32, 1), Out("out", DType::f32, 1), Scalar("cost_ns")},
      [](const TaskArgs& a) {
        spin_for(a.scalar("cost_ns").as_int());
        const float* x = a.tensor("in").data<float>();
        float* o = a.tensor("out").data<float>();
        for (int i = 0; i < 4; ++i) o[i] = x[i] * 1.5f + 0.125f / (1.0f + x[i]);
      }));
}

}  // namespace

Instance synthetic(const SyntheticOptions& o) {
  if (o.batch < 1 || o.tasks < o.batch || o.tasks % o.batch != 0) {
    throw CompileError(fmt::format(
        "synthetic: --tasks ({}) must be a positive multiple of --batch ({})", o.tasks, o.batch));
  }
  if (!(o.cost_us >= 0.0) || o.cost_us > 1e9) {
    throw CompileError(fmt::format("synthetic: --cost-us ({}) must be in [0, 1e9]", o.cost_us));
  }
  const std::int64_t per_b = o.tasks / o.batch;
  const auto cost_ns = static_cast<std::int64_t>(std::llround(o.cost_us * 1000.0));
  TensorRef Out0 = tensor("out", DType::f32, 3);
  Axis B = DenseDyn("B"), T = DenseDyn("T");
  Expr cost = symbol("cost_ns");
  Bindings bindings;
  std::vector<std::pair<std::string, Tensor>> outputs;
  Tensor out = Tensor::zeros(DType::f32, {o.batch, per_b, 4});
  bindings.set("B", o.batch).set("T", per_b).set("cost_ns", cost_ns).set_tensor("out", out);
  outputs.emplace_back("out", out);
  const Kernel work = make_work();
  auto build = [&]() -> Workload {
    if (o.shape == "grid" || o.shape == "imbalanced") {
      const bool imbalanced = o.shape == "imbalanced";
      return parallel_for(B, "b", [&](Var b) {
        return parallel_for(T, "t", [&](Var t) {
          return task(work, {b, t}, {Out0[b][t], imbalanced ? cost * (1 + 4 * b) : cost});
        });
      });
    }
    if (o.shape == "chain") {
      TensorRef Acc = tensor("acc", DType::f32, 1);
      Tensor acc = Tensor::zeros(DType::f32, {4});
      bindings.set_tensor("acc", acc);
      outputs.emplace_back("acc", acc);
      const Kernel step = make_step();
      return for_each(B, "b", [&](Var b) {
        return for_each(T, "t", [&](Var t) { return task(step, {b, t}, {Out0[b][t], Acc, cost}); });
      });
    }
    if (o.shape == "layers") {
      TensorRef Mid = tensor("mid", DType::f32, 3);
      Tensor mid = Tensor::zeros(DType::f32, {o.batch, per_b, 4});
      bindings.set_tensor("mid", mid);
      outputs.emplace_back("mid", mid);
      const Kernel consume = make_consume();
      return combine({
          parallel_for(B, "b",
                       [&](Var b) {
                         return parallel_for(T, "t", [&](Var t) {
                           return task(work, {b, t}, {Mid[b][t], cost});
                         });
                       }),
          parallel_for(B, "b",
                       [&](Var b) {
                         return parallel_for(T, "t", [&](Var t) {
                           return task(consume, {b, t}, {Mid[b][t], Out0[b][t], cost});
                         });
                       }),
      });
    }
    throw CompileError(fmt::format(
        "synthetic: unknown shape '{}' (expected grid, chain, layers or imbalanced)", o.shape));
  };
  Workload w = build();
  return Instance{std::move(w), std::move(bindings), std::move(outputs)};
}

namespace {

// Vector-core costs of the attention kernels on the NPU model: 64 f32 lanes per cycle, a fixed
// ~32-cycle launch, and K/V tiles streamed from HBM at this core's share of ~1.6 TB/s
// (≈ 33 bytes/ns with 48 vector cores busy).
constexpr double kLanes = 64.0, kLaunchCycles = 32.0, kHbmBytesPerNs = 33.0;

Kernel make_init() {
  return make_kernel("attn_init", {Out("acc", DType::f32, 1), Out("stats", DType::f32, 1)},
                     [](const TaskArgs& a) {
                       const Tensor& acc = a.tensor("acc");
                       float* o = acc.data<float>();
                       for (std::int64_t d = 0; d < acc.size(0); ++d) o[d] = 0.0f;
                       float* st = a.tensor("stats").data<float>();
                       st[0] = -std::numeric_limits<float>::infinity();
                       st[1] = 0.0f;
                     })
      .with_cost([](const TaskArgs& a) {
        return KernelCost{CoreKind::Vector,
                          kLaunchCycles + static_cast<double>(a.tensor("acc").size(0)) / kLanes,
                          0.0};
      });
}

// One online-softmax step: fold the scores of this tile's KV rows into acc.
Kernel make_tile() {
  return make_kernel("attn_tile",
                     {In("q", DType::f32, 1), In("k", DType::f32, 2), In("v", DType::f32, 2),
                      InOut("acc", DType::f32, 1), InOut("stats", DType::f32, 1),
                      Scalar("scale", DType::f32)},
                     [](const TaskArgs& a) {
                       const Tensor &q = a.tensor("q"), &k = a.tensor("k"), &v = a.tensor("v");
                       const Tensor& acc = a.tensor("acc");
                       const std::int64_t rows = k.size(0), dim = q.size(0);
                       const float scale = static_cast<float>(a.scalar("scale").f);
                       const float* qp = q.data<float>();
                       float* o = acc.data<float>();
                       float* st = a.tensor("stats").data<float>();
                       std::vector<float> s(static_cast<std::size_t>(rows));
                       float m_new = st[0];
                       for (std::int64_t j = 0; j < rows; ++j) {
                         const float* kj = k.data<float>() + j * k.stride(0);
                         float dot = 0.0f;
                         for (std::int64_t d = 0; d < dim; ++d) dot += qp[d] * kj[d];
                         s[j] = dot * scale;
                         m_new = std::max(m_new, s[j]);
                       }
                       const float correction = std::exp(st[0] - m_new);
                       float sum = st[1] * correction;
                       for (std::int64_t d = 0; d < dim; ++d) o[d] *= correction;
                       for (std::int64_t j = 0; j < rows; ++j) {
                         const float p = std::exp(s[j] - m_new);
                         sum += p;
                         const float* vj = v.data<float>() + j * v.stride(0);
                         for (std::int64_t d = 0; d < dim; ++d) o[d] += p * vj[d];
                       }
                       st[0] = m_new;
                       st[1] = sum;
                     })
      .with_cost([](const TaskArgs& a) {
        const auto rows = static_cast<double>(a.tensor("k").size(0));
        const auto dim = static_cast<double>(a.tensor("q").size(0));
        // q·k for every row, exp, then p·v: ~4 element operations per (row, dim).
        return KernelCost{CoreKind::Vector, kLaunchCycles + 4.0 * rows * dim / kLanes,
                          2.0 * rows * dim * 4.0 / kHbmBytesPerNs};
      });
}

Kernel make_norm() {
  return make_kernel("attn_norm", {InOut("acc", DType::f32, 1), In("stats", DType::f32, 1)},
                     [](const TaskArgs& a) {
                       const Tensor& acc = a.tensor("acc");
                       float* o = acc.data<float>();
                       const float sum = a.tensor("stats").data<float>()[1];
                       for (std::int64_t d = 0; d < acc.size(0); ++d) o[d] /= sum;
                     })
      .with_cost([](const TaskArgs& a) {
        return KernelCost{CoreKind::Vector,
                          kLaunchCycles + static_cast<double>(a.tensor("acc").size(0)) / kLanes,
                          0.0};
      });
}

// The same three kernels in the tile language. One KV tile of kAttentionTile rows (the last one
// of a batch entry is ragged: its rows past the KV length are not valid and take no part).
Kernel make_tile_init() {
  return pto::make_tile_kernel(
      "attn_init", {Out("acc", DType::f32, 1), Out("stats", DType::f32, 1)}, [](pto::KernelIO& io) {
        io.store("acc", io.full(pto::TileType{1, kAttentionDim, DType::f32}, 0.0));
        io.store("stats",
                 io.full(pto::TileType{1, 1, DType::f32}, -std::numeric_limits<double>::infinity()),
                 0, 0);
        io.store("stats", io.full(pto::TileType{1, 1, DType::f32}, 0.0), 0, 1);
      });
}

Kernel make_tile_step() {
  using pto::DynTile;
  return pto::make_tile_kernel(
      "attn_tile",
      {In("q", DType::f32, 1), In("k", DType::f32, 2), In("v", DType::f32, 2),
       InOut("acc", DType::f32, 1), InOut("stats", DType::f32, 1), Scalar("scale", DType::f32)},
      [](pto::KernelIO& io) {
        const int rows = static_cast<int>(kAttentionTile), dim = static_cast<int>(kAttentionDim);
        const DynTile q = io.load("q", 1, dim);
        const DynTile k = io.load("k", rows, dim);
        const DynTile v = io.load("v", rows, dim);
        const DynTile m_old = io.load("stats", 1, 1, 0, 0);
        const DynTile l_old = io.load("stats", 1, 1, 0, 1);
        const DynTile s =
            pto::mul(pto::matmul(q, k, pto::MatmulOptions{false, true}), io.scalar("scale"));
        const DynTile m_new = pto::max(m_old, pto::rowmax(s));
        const DynTile correction = pto::exp(pto::sub(m_old, m_new));
        const DynTile p = pto::exp(pto::rowsub(s, m_new));
        const DynTile l_new = pto::add(pto::mul(l_old, correction), pto::rowsum(p));
        const DynTile acc =
            pto::add(pto::rowmul(io.load("acc", 1, dim), correction), pto::matmul(p, v));
        io.store("acc", acc);
        io.store("stats", m_new, 0, 0);
        io.store("stats", l_new, 0, 1);
      });
}

Kernel make_tile_norm() {
  return pto::make_tile_kernel(
      "attn_norm", {InOut("acc", DType::f32, 1), In("stats", DType::f32, 1)},
      [](pto::KernelIO& io) {
        io.store("acc", pto::rowdiv(io.load("acc", 1, static_cast<int>(kAttentionDim)),
                                    io.load("stats", 1, 1, 0, 1)));
      });
}

Tensor binding(const Instance& inst, const std::string& name) {
  const Tensor* t = inst.bindings.tensor(name);
  if (t == nullptr) throw ExecutionError(fmt::format("attention: no tensor '{}' bound", name));
  return *t;
}

}  // namespace

Instance attention(const AttentionOptions& options) {
  const std::vector<std::int64_t>& kv_lengths = options.kv_lengths;
  if (kv_lengths.empty()) throw CompileError("attention: at least one KV length is needed");
  std::int64_t max_len = 1;
  for (std::int64_t len : kv_lengths) {
    if (len < 1) throw CompileError(fmt::format("attention: KV length {} must be positive", len));
    max_len = std::max(max_len, len);
  }
  const auto batch = static_cast<std::int64_t>(kv_lengths.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(kAttentionDim));

  const Kernel init = options.tile_kernels ? make_tile_init() : make_init();
  const Kernel tile = options.tile_kernels ? make_tile_step() : make_tile();
  const Kernel norm = options.tile_kernels ? make_tile_norm() : make_norm();
  TensorRef Q = tensor("Q", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef K = tensor("K", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef V = tensor("V", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef O = tensor("O", DType::f32, 3);
  TensorRef S = tensor("S", DType::f32, 3);
  ArrayRef kv_len = array("kv_len");
  Axis kv_tiles = Ragged(symbol("batch"), "kv_tiles");

  Instance inst{
      parallel_for(DenseDyn("batch"), "b",
                   [&](Var b) {
                     return parallel_for(Dense<kAttentionHeads>(), "h", [&](Var h) {
                       return sequential({
                           task(init, {b, h}, {O[b][h], S[b][h]}),
                           for_each(row(kv_tiles, b), "t",
                                    [&](Var t) {
                                      Expr lo = t * kAttentionTile;
                                      Expr hi = min(lo + kAttentionTile, kv_len[b]);
                                      return task(tile, {b, h, t},
                                                  {Q[b][h], K[b].slice(lo, hi), V[b].slice(lo, hi),
                                                   O[b][h], S[b][h], static_cast<double>(scale)});
                                    }),
                           task(norm, {b, h}, {O[b][h], S[b][h]}),
                       });
                     });
                   }),
      Bindings{},
      {}};

  std::mt19937 rng(options.seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random_tensor = [&](const Shape& shape) {
    Tensor t = Tensor::zeros(DType::f32, shape);
    float* p = t.data<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
    return t;
  };
  Tensor q = random_tensor({batch, kAttentionHeads, kAttentionDim});
  Tensor k = random_tensor({batch, max_len, kAttentionDim});
  Tensor v = random_tensor({batch, max_len, kAttentionDim});
  Tensor o = Tensor::zeros(DType::f32, {batch, kAttentionHeads, kAttentionDim});
  Tensor s = Tensor::zeros(DType::f32, {batch, kAttentionHeads, 2});
  std::vector<std::int64_t> tiles;
  for (std::int64_t len : kv_lengths) tiles.push_back((len + kAttentionTile - 1) / kAttentionTile);
  inst.bindings.set("batch", batch)
      .set_array("kv_len", kv_lengths)
      .set_array("kv_tiles", tiles)
      .set_tensor("Q", q)
      .set_tensor("K", k)
      .set_tensor("V", v)
      .set_tensor("O", o)
      .set_tensor("S", s);
  inst.outputs.emplace_back("O", o);
  return inst;
}

double attention_max_error(const Instance& inst, const AttentionOptions& options) {
  const Tensor q = binding(inst, "Q"), k = binding(inst, "K"), v = binding(inst, "V");
  const Tensor o = binding(inst, "O");
  const float scale = 1.0f / std::sqrt(static_cast<float>(kAttentionDim));
  double max_err = 0;
  std::vector<double> s, out;
  for (std::size_t b = 0; b < options.kv_lengths.size(); ++b) {
    const std::int64_t len = options.kv_lengths[b];
    const auto bi = static_cast<std::int64_t>(b);
    for (std::int64_t h = 0; h < kAttentionHeads; ++h) {
      // Plain softmax attention for (b, h), in double.
      s.assign(static_cast<std::size_t>(len), 0.0);
      double m = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < len; ++j) {
        double dot = 0;
        for (std::int64_t d = 0; d < kAttentionDim; ++d) {
          dot += double(q.at<float>({bi, h, d})) * k.at<float>({bi, j, d});
        }
        s[j] = dot * scale;
        m = std::max(m, s[j]);
      }
      double sum = 0;
      out.assign(kAttentionDim, 0.0);
      for (std::int64_t j = 0; j < len; ++j) {
        const double p = std::exp(s[j] - m);
        sum += p;
        for (std::int64_t d = 0; d < kAttentionDim; ++d) out[d] += p * v.at<float>({bi, j, d});
      }
      for (std::int64_t d = 0; d < kAttentionDim; ++d) {
        max_err = std::max(max_err, std::abs(out[d] / sum - o.at<float>({bi, h, d})));
      }
    }
  }
  return max_err;
}

void reset_outputs(const Instance& instance) {
  for (const auto& [name, t] : instance.outputs) {
    if (!t.is_contiguous()) throw ExecutionError("reset_outputs: outputs must be contiguous");
    std::fill(t.bytes(), t.bytes() + t.numel() * static_cast<std::int64_t>(size_of(t.dtype())),
              std::byte{0});
  }
}

std::uint64_t checksum(const Tensor& t) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  const std::int64_t n = t.numel();
  const std::size_t item = size_of(t.dtype());
  if (!t.is_contiguous()) throw ExecutionError("checksum: the tensor must be contiguous");
  const std::byte* p = t.bytes();
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) * item; ++i) {
    h ^= static_cast<std::uint64_t>(p[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace pto::wsp::workloads
