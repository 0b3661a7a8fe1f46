// The engine driven by hand in random orders: small windows, small generation budgets, ready
// tasks completed in random order. Every run must finish, every task must start after the tasks
// it waits for, and nothing may be released twice.
#include <random>

#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

using testing::noop_kernel;

// Attention-shaped: per (b, h) an init task, a for_each of single-task bodies over a ragged row,
// and a norm task, all touching O[b][h]; plus a second parallel layer reading what the first
// wrote, so data edges, task gates and group gates mix.
Workload stress_workload(bool second_layer) {
  Kernel init = noop_kernel("init", {Out("acc", DType::f32, 1), Out("st", DType::f32, 1)});
  Kernel tile = noop_kernel(
      "tile", {In("k", DType::f32, 2), InOut("acc", DType::f32, 1), InOut("st", DType::f32, 1)});
  Kernel norm = noop_kernel("norm", {InOut("acc", DType::f32, 1), In("st", DType::f32, 1)});
  Kernel use = noop_kernel("use", {In("acc", DType::f32, 1), Out("y", DType::f32, 1)});
  TensorRef K = tensor("K", DType::f32, 3), O = tensor("O", DType::f32, 3),
            S = tensor("S", DType::f32, 3), Y = tensor("Y", DType::f32, 3);
  Axis tiles = Ragged(symbol("B"), "tiles");
  Workload attention = parallel_for(DenseDyn("B"), "b", [&](Var b) {
    return parallel_for(Dense(4), "h", [&](Var h) {
      return sequential(
          {task(init, {b, h}, {O[b][h], S[b][h]}),
           for_each(row(tiles, b), "t",
                    [&](Var t) {
                      return task(tile, {b, h, t}, {K[b].slice(t, t + 1), O[b][h], S[b][h]});
                    }),
           task(norm, {b, h}, {O[b][h], S[b][h]})});
    });
  });
  if (!second_layer) return attention;
  return combine({attention, parallel_for(DenseDyn("B"), "b", [&](Var b) {
                    return parallel_for(Dense(4), "h", [&](Var h) {
                      return task(use, {b, h}, {O[b][h], Y[b][h]});
                    });
                  })});
}

TEST(EngineStress, RandomCompletionOrdersSmallWindowsAndBudgetsAlwaysFinish) {
  for (bool second_layer : {false, true}) {
    Workload w = stress_workload(second_layer);
    Plan plan = lower(w);
    Bindings b;
    b.set("B", 6)
        .set_array("tiles", {3, 1, 5, 2, 4, 1})
        .set_tensor("K", Tensor::zeros(DType::f32, {6, 8, 2}))
        .set_tensor("O", Tensor::zeros(DType::f32, {6, 4, 2}))
        .set_tensor("S", Tensor::zeros(DType::f32, {6, 4, 2}))
        .set_tensor("Y", Tensor::zeros(DType::f32, {6, 4, 2}));
    BoundValues v = bind(plan, b);
    const std::size_t expected = enumerate_tasks(plan, v).size();
    for (int seed = 0; seed < 600; ++seed) {
      std::mt19937 rng(static_cast<std::uint32_t>(seed));
      engine::Engine e(plan, engine::EngineOptions{1 + static_cast<std::int64_t>(rng() % 20),
                                                   WindowMode::Stall, 1});
      e.start(v);
      std::vector<std::uint32_t> ready;
      std::vector<std::uint64_t> finished;  // ids in completion order
      std::vector<bool> seen(expected, false);
      bool exhausted = false;
      for (int step = 0; step < 100000; ++step) {
        if (!exhausted && (ready.empty() || rng() % 3 == 0)) {
          e.reclaim();
          exhausted = e.generate(1 + static_cast<std::int64_t>(rng() % 5), 0, ready).exhausted;
        }
        if (ready.empty()) {
          if (exhausted) break;
          continue;
        }
        const std::size_t k = rng() % ready.size();
        const std::uint32_t slot = ready[k];
        ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(k));
        const engine::TaskRecord& t = e.task(slot);
        ASSERT_LT(t.id, expected);
        ASSERT_FALSE(seen[t.id]) << "task " << t.id << " released twice (seed " << seed << ")";
        for (std::uint64_t d : t.deps) {
          ASSERT_TRUE(seen[d]) << "task " << t.id << " ran before its dependency " << d;
        }
        seen[t.id] = true;
        finished.push_back(t.id);
        e.complete(slot, 0, ready);
        e.retire(slot);
      }
      ASSERT_TRUE(exhausted) << "seed " << seed;
      ASSERT_EQ(finished.size(), expected) << "seed " << seed << ": tasks never released";
    }
  }
}

}  // namespace
}  // namespace pto::wsp
