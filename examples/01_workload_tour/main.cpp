// Example 01 — a workload is data: build variable-length attention as an IR tree, bind run-time
// sizes, and list its tasks; then bind other sizes to the same Plan without rebuilding it.
//
//   parallel_for b in DenseDyn(batch)            (one body per batch entry)
//     parallel_for h in Dense[4]                 (one body per head)
//       sequential
//         for_each t in Ragged(kv_tiles).row(b)  (KV tiles of batch b, in order)
//           task attn_tile[b, h, t]
//         task attn_norm[b, h]                   (after every tile of (b, h))
#include <cstdio>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/wsp.hpp"

using namespace pto::wsp;

int main() {
  constexpr std::int64_t kTile = 64, kHeads = 4, kDim = 16, kMaxKv = 256;

  // Kernels: a name, a typed signature, an implementation (unused here: nothing runs yet).
  Kernel attn_tile =
      make_kernel("attn_tile",
                  {In("q", DType::f32, 1), In("k", DType::f32, 2), In("v", DType::f32, 2),
                   InOut("acc", DType::f32, 1), InOut("stats", DType::f32, 1)},
                  [](const TaskArgs&) {});
  Kernel attn_norm =
      make_kernel("attn_norm", {InOut("acc", DType::f32, 1), In("stats", DType::f32, 1)},
                  [](const TaskArgs&) {});

  // Tensor parameters and run-time values are declared by name; nothing is bound yet.
  TensorRef Q = tensor("Q", DType::f32, 3, TensorAccess::ReadOnly);  // [batch, heads, dim]
  TensorRef K = tensor("K", DType::f32, 3, TensorAccess::ReadOnly);  // [batch, kv, dim]
  TensorRef V = tensor("V", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef O = tensor("O", DType::f32, 3);  // [batch, heads, dim]
  TensorRef S = tensor("S", DType::f32, 3);  // [batch, heads, 2]
  ArrayRef kv_len = array("kv_len");
  Axis batch = DenseDyn("batch");
  Axis kv_tiles = Ragged(symbol("batch"), "kv_tiles");

  Workload attention = parallel_for(batch, "b", [&](Var b) {
    return parallel_for(Dense<kHeads>(), "h", [&](Var h) {
      return sequential({
          for_each(row(kv_tiles, b), "t",
                   [&](Var t) {
                     Expr lo = t * kTile, hi = min(lo + kTile, kv_len[b]);
                     return task(attn_tile, {b, h, t},
                                 {{"q", Q[b][h]},
                                  {"k", K[b].slice(lo, hi)},
                                  {"v", V[b].slice(lo, hi)},
                                  {"acc", O[b][h]},
                                  {"stats", S[b][h]}});
                   }),
          task(attn_norm, {b, h}, {{"acc", O[b][h]}, {"stats", S[b][h]}}),
      });
    });
  });

  std::printf("%s\n\n%s\n", attention.type_string().c_str(), attention.tree_string().c_str());

  Plan plan = lower(attention);  // checked and compiled once
  Tensor q = Tensor::zeros(DType::f32, {3, kHeads, kDim});
  Tensor k = Tensor::zeros(DType::f32, {3, kMaxKv, kDim});
  Tensor v = Tensor::zeros(DType::f32, {3, kMaxKv, kDim});
  Tensor o = Tensor::zeros(DType::f32, {3, kHeads, kDim});
  Tensor s = Tensor::zeros(DType::f32, {3, kHeads, 2});

  auto run = [&](std::vector<std::int64_t> lengths, bool print) {
    std::vector<std::int64_t> tiles;
    for (std::int64_t len : lengths) tiles.push_back((len + kTile - 1) / kTile);
    Bindings values;
    values.set("batch", static_cast<std::int64_t>(lengths.size()))
        .set_array("kv_len", lengths)
        .set_array("kv_tiles", tiles)
        .set_tensor("Q", q.slice(0, static_cast<std::int64_t>(lengths.size())))
        .set_tensor("K", k)
        .set_tensor("V", v)
        .set_tensor("O", o)
        .set_tensor("S", s);
    std::size_t count = 0;
    enumerate_tasks(plan, bind(plan, values), [&](const TaskInstance& t) {
      if (print) std::printf("  %s\n", t.to_string().c_str());
      ++count;
    });
    std::printf("kv lengths [%s]: %zu tasks\n\n",
                fmt::format("{}", fmt::join(lengths, ", ")).c_str(), count);
    return count;
  };

  const std::size_t first = run({100, 20}, true);
  const std::size_t second = run({256, 64, 130}, false);  // same Plan, new sizes and tables
  // Self-check: tiles per (b, h) plus one normalisation each.
  const bool ok = first == kHeads * (2 + 1 + 2) && second == kHeads * (4 + 1 + 3 + 3);
  std::printf("%s\n", ok ? "OK" : "MISMATCH");
  return ok ? 0 : 1;
}
