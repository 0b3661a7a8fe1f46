// Reference enumeration throughput (tasks/s): how fast the single-threaded oracle lists tasks,
// with views resolved, for a plain grid and for the ragged attention shape of example 01.
#include <benchmark/benchmark.h>

#include "pto/wsp/wsp.hpp"

namespace {

using namespace pto::wsp;

Kernel noop(std::string name, std::vector<ParamSpec> params) {
  return make_kernel(std::move(name), std::move(params), [](const TaskArgs&) {});
}

// A B x T grid of tasks, each with one read view and one written view.
void BM_Enumerate_Grid(benchmark::State& state) {
  const std::int64_t side = state.range(0);
  Kernel k = noop("k", {In("x", DType::f32, 1), Out("y", DType::f32, 1)});
  TensorRef X = tensor("X", DType::f32, 2), Y = tensor("Y", DType::f32, 2);
  Workload w = parallel_for(DenseDyn("B"), "b", [&](Var b) {
    return parallel_for(DenseDyn("T"), "t", [&](Var t) {
      return task(k, {b, t}, {X[b].slice(t * 4, t * 4 + 4), Y[b].slice(t * 4, t * 4 + 4)});
    });
  });
  Plan plan = lower(w);
  Bindings values;
  values.set("B", side)
      .set("T", side)
      .set_tensor("X", Tensor::zeros(DType::f32, {side, side * 4}))
      .set_tensor("Y", Tensor::zeros(DType::f32, {side, side * 4}));
  BoundValues bound = bind(plan, values);
  std::int64_t tasks = 0;
  for (auto _ : state) {
    enumerate_tasks(plan, bound, [&](const TaskInstance& t) {
      benchmark::DoNotOptimize(t.tensors[0].bytes());
      ++tasks;
    });
  }
  state.SetItemsProcessed(tasks);
}
BENCHMARK(BM_Enumerate_Grid)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// A grid of tasks without arguments: the cost of the loop walk alone.
void BM_Enumerate_GridNoArgs(benchmark::State& state) {
  const std::int64_t side = state.range(0);
  Kernel k = noop("k", {});
  Workload w = parallel_for(DenseDyn("B"), "b", [&](Var b) {
    return parallel_for(DenseDyn("T"), "t", [&](Var t) { return task(k, {b, t}, {}); });
  });
  Plan plan = lower(w);
  BoundValues bound = bind(plan, Bindings().set("B", side).set("T", side));
  std::int64_t tasks = 0;
  for (auto _ : state) {
    enumerate_tasks(plan, bound, [&](const TaskInstance&) { ++tasks; });
  }
  state.SetItemsProcessed(tasks);
}
BENCHMARK(BM_Enumerate_GridNoArgs)->Arg(1000)->Unit(benchmark::kMillisecond);

// Ragged attention: batch x heads, a for_each over each batch's KV tiles, then a normalisation.
void BM_Enumerate_RaggedAttention(benchmark::State& state) {
  const std::int64_t batch = state.range(0), heads = 8, tile = 64, dim = 64;
  Kernel attn =
      noop("attn", {In("q", DType::f32, 1), In("k", DType::f32, 2), InOut("o", DType::f32, 1)});
  Kernel norm = noop("norm", {InOut("o", DType::f32, 1)});
  TensorRef Q = tensor("Q", DType::f32, 3), K = tensor("K", DType::f32, 3),
            O = tensor("O", DType::f32, 3);
  ArrayRef kv_len = array("kv_len");
  Axis kv = Ragged(symbol("batch"), "kv_tiles");
  Workload w = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
    return parallel_for(Dense(heads), "h", [&](Var h) {
      return sequential(
          {for_each(row(kv, b), "t",
                    [&](Var t) {
                      return task(attn, {b, h, t},
                                  {Q[b][h], K[b].slice(t * tile, min(t * tile + tile, kv_len[b])),
                                   O[b][h]});
                    }),
           task(norm, {b, h}, {O[b][h]})});
    });
  });
  Plan plan = lower(w);
  std::vector<std::int64_t> lens, tiles;
  std::int64_t max_len = 0;
  for (std::int64_t b = 0; b < batch; ++b) {
    lens.push_back(512 + (b * 977) % 3584);  // 512 .. 4095
    tiles.push_back((lens.back() + tile - 1) / tile);
    max_len = std::max(max_len, lens.back());
  }
  Bindings values;
  values.set("batch", batch)
      .set_array("kv_len", lens)
      .set_array("kv_tiles", tiles)
      .set_tensor("Q", Tensor::zeros(DType::f32, {batch, heads, dim}))
      .set_tensor("K", Tensor::zeros(DType::f32, {batch, max_len, dim}))
      .set_tensor("O", Tensor::zeros(DType::f32, {batch, heads, dim}));
  BoundValues bound = bind(plan, values);
  std::int64_t tasks = 0;
  for (auto _ : state) {
    enumerate_tasks(plan, bound, [&](const TaskInstance& t) {
      benchmark::DoNotOptimize(t.tensors[0].bytes());
      ++tasks;
    });
  }
  state.SetItemsProcessed(tasks);
}
BENCHMARK(BM_Enumerate_RaggedAttention)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
