// Example 02 — variable-length attention on the cpu backend: every batch entry has its own KV
// length (a Ragged axis), each (b, h) walks its KV tiles in order with an online-softmax update,
// then normalises. The result is checked against a plain softmax attention.
//
//   parallel_for b in DenseDyn(batch)
//     parallel_for h in Dense[heads]
//       sequential
//         task attn_init[b, h]                    acc = 0, max = -inf, sum = 0
//         for_each t in Ragged(kv_tiles).row(b)   (tile t after tile t-1)
//           task attn_tile[b, h, t]               online-softmax update with K/V rows of tile t
//         task attn_norm[b, h]                    acc /= sum
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "pto/wsp/wsp.hpp"

using namespace pto::wsp;

namespace {

constexpr std::int64_t kHeads = 8, kDim = 64, kTile = 64;

Kernel make_init() {
  return make_kernel("attn_init", {Out("acc", DType::f32, 1), Out("stats", DType::f32, 1)},
                     [](const TaskArgs& a) {
                       const Tensor& acc = a.tensor("acc");
                       float* o = acc.data<float>();
                       for (std::int64_t d = 0; d < acc.size(0); ++d) o[d] = 0.0f;
                       float* st = a.tensor("stats").data<float>();
                       st[0] = -std::numeric_limits<float>::infinity();
                       st[1] = 0.0f;
                     });
}

// One online-softmax step: fold the scores of KV rows [t*64, min(t*64+64, len)) into acc.
Kernel make_tile() {
  return make_kernel(
      "attn_tile",
      {In("q", DType::f32, 1), In("k", DType::f32, 2), In("v", DType::f32, 2),
       InOut("acc", DType::f32, 1), InOut("stats", DType::f32, 1), Scalar("scale", DType::f32)},
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
      });
}

Kernel make_norm() {
  return make_kernel("attn_norm", {InOut("acc", DType::f32, 1), In("stats", DType::f32, 1)},
                     [](const TaskArgs& a) {
                       const Tensor& acc = a.tensor("acc");
                       float* o = acc.data<float>();
                       const float sum = a.tensor("stats").data<float>()[1];
                       for (std::int64_t d = 0; d < acc.size(0); ++d) o[d] /= sum;
                     });
}

// Plain attention for one (b, h), in double.
void reference(const Tensor& q, const Tensor& k, const Tensor& v, std::int64_t len, float scale,
               std::vector<double>& out) {
  std::vector<double> s(static_cast<std::size_t>(len));
  double m = -std::numeric_limits<double>::infinity();
  for (std::int64_t j = 0; j < len; ++j) {
    double dot = 0;
    for (std::int64_t d = 0; d < kDim; ++d) dot += double(q.at<float>({d})) * k.at<float>({j, d});
    s[j] = dot * scale;
    m = std::max(m, s[j]);
  }
  double sum = 0;
  out.assign(kDim, 0.0);
  for (std::int64_t j = 0; j < len; ++j) {
    const double p = std::exp(s[j] - m);
    sum += p;
    for (std::int64_t d = 0; d < kDim; ++d) out[d] += p * v.at<float>({j, d});
  }
  for (double& x : out) x /= sum;
}

}  // namespace

int main() {
  const std::vector<std::int64_t> kv_lengths = {1000, 37, 4096, 513, 64, 2500, 1, 777};
  const auto batch = static_cast<std::int64_t>(kv_lengths.size());
  const std::int64_t max_len = 4096;
  const float scale = 1.0f / std::sqrt(static_cast<float>(kDim));

  Kernel init = make_init(), tile = make_tile(), norm = make_norm();
  TensorRef Q = tensor("Q", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef K = tensor("K", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef V = tensor("V", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef O = tensor("O", DType::f32, 3);
  TensorRef S = tensor("S", DType::f32, 3);
  ArrayRef kv_len = array("kv_len");
  Axis kv_tiles = Ragged(symbol("batch"), "kv_tiles");

  Workload attention = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
    return parallel_for(Dense<kHeads>(), "h", [&](Var h) {
      return sequential({
          task(init, {b, h}, {O[b][h], S[b][h]}),
          for_each(row(kv_tiles, b), "t",
                   [&](Var t) {
                     Expr lo = t * kTile, hi = min(lo + kTile, kv_len[b]);
                     return task(tile, {b, h, t},
                                 {Q[b][h], K[b].slice(lo, hi), V[b].slice(lo, hi), O[b][h], S[b][h],
                                  static_cast<double>(scale)});
                   }),
          task(norm, {b, h}, {O[b][h], S[b][h]}),
      });
    });
  });
  std::printf("%s\n", attention.type_string().c_str());

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random_tensor = [&](const Shape& shape) {
    Tensor t = Tensor::zeros(DType::f32, shape);
    float* p = t.data<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
    return t;
  };
  Tensor q = random_tensor({batch, kHeads, kDim});
  Tensor k = random_tensor({batch, max_len, kDim});
  Tensor v = random_tensor({batch, max_len, kDim});
  Tensor o = Tensor::zeros(DType::f32, {batch, kHeads, kDim});
  Tensor s = Tensor::zeros(DType::f32, {batch, kHeads, 2});
  std::vector<std::int64_t> tiles;
  for (std::int64_t len : kv_lengths) tiles.push_back((len + kTile - 1) / kTile);

  Program program = compile(attention);
  Bindings values;
  values.set("batch", batch)
      .set_array("kv_len", kv_lengths)
      .set_array("kv_tiles", tiles)
      .set_tensor("Q", q)
      .set_tensor("K", k)
      .set_tensor("V", v)
      .set_tensor("O", o)
      .set_tensor("S", s);
  program.execute(values);
  program.synchronize();

  double max_err = 0;
  std::vector<double> expected;
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t h = 0; h < kHeads; ++h) {
      reference(q[b][h], k[b], v[b], kv_lengths[b], scale, expected);
      for (std::int64_t d = 0; d < kDim; ++d) {
        max_err = std::max(max_err, std::abs(expected[d] - o.at<float>({b, h, d})));
      }
    }
  }
  std::printf("max abs error vs reference: %.3g\n%s\n", max_err,
              program.stats().to_string().c_str());
  const bool ok = max_err <= 1e-4;
  std::printf("%s\n", ok ? "OK" : "FAILED: error above 1e-4");
  return ok ? 0 : 1;
}
