// The benchmark workload shapes, shared by the engine and end-to-end benchmarks: n tasks that are
// independent, a chain, or two grids combined with tile-level read-after-write dependencies.
#pragma once

#include <algorithm>
#include <cstdint>

#include "pto/wsp/wsp.hpp"

namespace pto::wsp::bench {

enum class Shape { Independent, Chain, ChainNoData, DataChain, CombineRaw, Attention };

struct Instance {
  Workload workload;
  Bindings values;
  Tensor data;
};

inline Kernel empty_kernel(const char* name, std::vector<ParamSpec> params) {
  return make_kernel(name, std::move(params), [](const TaskArgs&) {});
}

/// n tasks (rounded to a 1024-wide grid). Independent: task (b, t) writes element t of row b.
/// Chain: a for_each over all n tasks, each writing its own element (the for_each orders them:
/// the engine tracks nothing). DataChain: the same order from data alone — a parallel_for whose
/// task i reads element i and writes element i + 1, so every order is found by region tracking.
/// CombineRaw: grid 1 writes element (b, t) of X, grid 2 reads it and writes Y: n/2 tasks each.
inline Instance make(Shape shape, std::int64_t n) {
  constexpr std::int64_t kCols = 1024;
  Kernel w = empty_kernel("w", {Out("y", DType::f32, 0)});
  Kernel rw = empty_kernel("rw", {In("x", DType::f32, 0), Out("y", DType::f32, 0)});
  TensorRef X = tensor("X", DType::f32, 2), Y = tensor("Y", DType::f32, 2);
  Bindings values;
  Tensor x, y;
  switch (shape) {
    case Shape::Independent: {
      const std::int64_t rows = n / kCols;
      y = Tensor::zeros(DType::f32, {rows, kCols});
      values.set("rows", rows).set_tensor("Y", y);
      Workload wl = parallel_for(DenseDyn("rows"), "b", [&](Var b) {
        return parallel_for(Dense(kCols), "t", [&](Var t) { return task(w, {b, t}, {Y[b][t]}); });
      });
      return Instance{wl, values, y};
    }
    case Shape::Chain: {
      const std::int64_t rows = n / kCols;
      y = Tensor::zeros(DType::f32, {rows, kCols});
      values.set("n", rows * kCols).set_tensor("Y", y);
      Workload wl = for_each(DenseDyn("n"), "i",
                             [&](Var i) { return task(w, {i}, {Y[i / kCols][i % kCols]}); });
      return Instance{wl, values, y};
    }
    case Shape::DataChain: {
      const std::int64_t tasks = n / kCols * kCols;
      y = Tensor::zeros(DType::f32, {tasks + 1});
      values.set("n", tasks).set_tensor("Y", y);
      TensorRef Y1 = tensor("Y", DType::f32, 1);
      Workload wl = parallel_for(DenseDyn("n"), "i", [&](Var i) {
        return task(rw, {i}, {Y1[i], Y1[i + 1]});
      });
      return Instance{wl, values, y};
    }
    case Shape::ChainNoData: {
      // The chain with no tensor arguments: structure only, as the peers' graphs are.
      Kernel k = empty_kernel("k", {});
      values.set("n", n / kCols * kCols);
      Workload wl = for_each(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {}); });
      return Instance{wl, values, y};
    }
    case Shape::CombineRaw: {
      const std::int64_t rows = n / 2 / kCols;
      x = Tensor::zeros(DType::f32, {rows, kCols});
      y = Tensor::zeros(DType::f32, {rows, kCols});
      values.set("rows", rows).set_tensor("X", x).set_tensor("Y", y);
      auto grid = [&](auto body) {
        return parallel_for(DenseDyn("rows"), "b", [&](Var b) {
          return parallel_for(Dense(kCols), "t", [&](Var t) { return body(b, t); });
        });
      };
      Workload wl = combine({grid([&](Var b, Var t) {
                               return task(w, {b, t}, {X[b][t]});
                             }),
                             grid([&](Var b, Var t) {
                               return task(rw, {b, t}, {X[b][t], Y[b][t]});
                             })});
      return Instance{wl, values, y};
    }
    case Shape::Attention: {
      // Ragged attention with three views per tile task: generation-heavy, all independent
      // across (b, h). n / 16 (b, h) pairs of 16 tiles each.
      constexpr std::int64_t kHeads = 8, kTiles = 16, kTile = 4;
      const std::int64_t batch = std::max<std::int64_t>(1, n / (kHeads * kTiles));
      Kernel tile = empty_kernel(
          "tile", {In("q", DType::f32, 1), In("k", DType::f32, 2), InOut("o", DType::f32, 1)});
      TensorRef Q = tensor("Q", DType::f32, 3), K = tensor("K", DType::f32, 3),
                O = tensor("O", DType::f32, 3);
      Axis tiles = Ragged(symbol("batch"), "tiles");
      values.set("batch", batch)
          .set_array("tiles", std::vector<std::int64_t>(static_cast<std::size_t>(batch), kTiles))
          .set_tensor("Q", Tensor::zeros(DType::f32, {batch, kHeads, 4}))
          .set_tensor("K", Tensor::zeros(DType::f32, {batch, kTiles * kTile, 4}))
          .set_tensor("O", y = Tensor::zeros(DType::f32, {batch, kHeads, 4}));
      Workload wl = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
        return parallel_for(Dense(kHeads), "h", [&](Var h) {
          return for_each(row(tiles, b), "t", [&](Var t) {
            return task(tile, {b, h, t},
                        {Q[b][h], K[b].slice(t * kTile, t * kTile + kTile), O[b][h]});
          });
        });
      });
      return Instance{wl, values, y};
    }
  }
  throw InternalError("unknown shape");
}

}  // namespace pto::wsp::bench
