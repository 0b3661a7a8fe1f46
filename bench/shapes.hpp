// The benchmark workload shapes, shared by the engine and end-to-end benchmarks: n tasks that are
// independent, a chain, or two grids combined with tile-level read-after-write dependencies.
#pragma once

#include <cstdint>

#include "pto/wsp/wsp.hpp"

namespace pto::wsp::bench {

enum class Shape { Independent, Chain, CombineRaw };

struct Instance {
  Workload workload;
  Bindings values;
  Tensor data;
};

inline Kernel empty_kernel(const char* name, std::vector<ParamSpec> params) {
  return make_kernel(name, std::move(params), [](const TaskArgs&) {});
}

/// n tasks (rounded to a 1024-wide grid). Independent: task (b, t) writes element t of row b.
/// Chain: a for_each over all n tasks, each writing its own element. CombineRaw: grid 1 writes
/// element (b, t) of X, grid 2 reads it and writes Y: n/2 tasks each.
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
  }
  throw InternalError("unknown shape");
}

}  // namespace pto::wsp::bench
