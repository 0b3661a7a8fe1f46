// Simulation speed of the sim backend on the default machine (4 AICPU, 24 cube, 48 vector
// cores): simulated tasks per second of wall time, single thread, and the peak RSS growth for 1 M
// tasks (bounded by the task window, not the task count).
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include "bench/drain.hpp"
#include "engine/engine.hpp"
#include "workloads/workloads.hpp"

namespace {

using namespace pto::wsp;

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// The peer that bounds the simulator from below: the same workload through the same engine
// (generation, structural tracking, completion; single-thread mode, as the simulator runs it),
// each task completed the moment it is ready, in generation order. What the simulator adds on top
// (events, AICPUs, cores, the scheduler core) is its own cost.
void run_engine_alone(benchmark::State& state, const workloads::Instance& inst) {
  const Plan plan = lower(inst.workload);
  const BoundValues values = bind(plan, inst.bindings);
  // As the simulator runs it without a task log: no predecessor lists, and no kernel runs, so no
  // task's views are read.
  engine::Engine e(
      plan, engine::EngineOptions{.window = 8192,
                                  .single_thread = true,
                                  .record_deps = false,
                                  .views_read = std::vector<std::uint8_t>(plan.nodes.size(), 0)});
  std::int64_t tasks = 0;
  for (auto _ : state) {
    e.start(values);
    tasks += bench::drain(e, 64);  // the simulator's host batch
  }
  state.counters["tasks/s"] =
      benchmark::Counter(static_cast<double>(tasks), benchmark::Counter::kIsRate);
}

void run(benchmark::State& state, const workloads::Instance& inst) {
  if (state.range(0) == 2) {
    state.SetLabel("engine alone");
    run_engine_alone(state, inst);
    return;
  }
  CompileOptions o;
  o.target = "sim";
  o.prevalidate = false;
  Program p = compile(inst.workload, o);
  const long before = peak_rss_kb();
  std::int64_t tasks = 0;
  for (auto _ : state) {
    p.execute(inst.bindings);
    p.synchronize();
    tasks += p.stats().tasks;
  }
  state.counters["tasks/s"] =
      benchmark::Counter(static_cast<double>(tasks), benchmark::Counter::kIsRate);
  state.counters["sim_makespan_ms"] = static_cast<double>(p.stats().makespan_ns) / 1e6;
  state.counters["window_high_water"] = static_cast<double>(p.stats().window_high_water);
  state.counters["rss_growth_MB"] = static_cast<double>(peak_rss_kb() - before) / 1024.0;
}

// Each benchmark three times: /0 with the kernels' costs written as expressions of their scalar
// parameters (`with_cost(CoreKind::Vector, param("ns"))`, evaluated by the simulator per task
// node), /1 as C++ cost functions (`with_cost([](const TaskArgs&) {...})`, called through
// TaskArgs), /2 the engine alone on the same workload (no simulation: the floor above).
Kernel with_ns_cost(const Kernel& k, bool as_function) {
  if (!as_function) return k.with_cost(CoreKind::Vector, param("ns"));
  return k.with_cost([](const TaskArgs& a) {
    return KernelCost{CoreKind::Vector, 0.0, static_cast<double>(a.scalar("ns").as_int())};
  });
}

// 1 M independent tasks of 10 µs (the `synthetic grid` workload's shape).
void BM_SimIndependent(benchmark::State& state) {
  const bool cost_function = state.range(0) == 1;
  const Kernel work = with_ns_cost(
      make_kernel("work", {Out("out", DType::f32, 1), Scalar("ns")}, [](const TaskArgs&) {}),
      cost_function);
  TensorRef Out0 = tensor("out", DType::f32, 3);
  Workload w = parallel_for(DenseDyn("B"), "b", [&](Var b) {
    return parallel_for(DenseDyn("T"), "t", [&](Var t) {
      return task(work, {b, t}, {Out0[b][t], symbol("cost")});
    });
  });
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set("B", 1024)
      .set("T", 1024)
      .set("cost", 10'000)
      .set_tensor("out", Tensor::zeros(DType::f32, {1024, 1024, 4}));
  state.SetLabel(cost_function ? "cost function" : "cost expression");
  run(state, inst);
}
BENCHMARK(BM_SimIndependent)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The attention-like DAGs' sizes: 1 024 batch entries of 64–191 KV tiles (ragged), 8 heads;
// `total` gets the task count (init, the tiles and norm per entry and head).
Bindings attention_dag_sizes(std::int64_t& total) {
  std::vector<std::int64_t> counts;
  total = 0;
  for (int b = 0; b < 1024; ++b) {
    counts.push_back(64 + (b * 37) % 128);
    total += 8 * (counts.back() + 2);
  }
  Bindings sizes;
  sizes.set("batch", 1024).set_array("tiles", counts);
  return sizes;
}

// An attention-like DAG of ~1 M tasks with the attention example's structure (per batch entry
// and head: init, a for_each over its KV tiles, norm; ragged tile counts) but tiny tensors, so the
// benchmark measures the simulator and not the allocation of gigabytes of K/V. KV tiles cost
// `tile_ns` each.
void run_attention_dag(benchmark::State& state, std::int64_t tile_ns, const char* what) {
  const bool cost_function = state.range(0) == 1;
  const auto kernel = [&](const char* name, ParamSpec s) {
    return with_ns_cost(make_kernel(name, {s, Scalar("ns")}, [](const TaskArgs&) {}),
                        cost_function);
  };
  const Kernel init = kernel("init", Out("s", DType::f32, 1));
  const Kernel tile = kernel("tile", InOut("s", DType::f32, 1));
  const Kernel norm = kernel("norm", InOut("s", DType::f32, 1));
  TensorRef S = tensor("S", DType::f32, 3);
  Axis tiles = Ragged(symbol("batch"), "tiles");
  Workload w = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
    return parallel_for(Dense<8>(), "h", [&](Var h) {
      return sequential({task(init, {b, h}, {S[b][h], 500}),
                         for_each(row(tiles, b), "t",
                                  [&](Var t) {
                                    return task(tile, {b, h, t}, {S[b][h], tile_ns});
                                  }),
                         task(norm, {b, h}, {S[b][h], 300})});
    });
  });
  std::int64_t total = 0;
  workloads::Instance inst{w, attention_dag_sizes(total), {}};
  inst.bindings.set_tensor("S", Tensor::zeros(DType::f32, {1024, 8, 2}));
  state.SetLabel(std::to_string(total) + " tasks, " + what +
                 (cost_function ? "cost function" : "cost expression"));
  run(state, inst);
}

// 2 us tiles: the host (250 ns a task) is the bottleneck, ~10 chains in flight, cores mostly idle.
void BM_SimAttentionDag(benchmark::State& state) {
  run_attention_dag(state, 2000, "");
}
BENCHMARK(BM_SimAttentionDag)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// 20 us tiles: the 48 vector cores are the bottleneck (the cube cores idle), the 8192-task window
// stays full and the host generates a task each time one retires — a well-fed machine.
void BM_SimAttentionDagCoreBound(benchmark::State& state) {
  run_attention_dag(state, 20'000, "core-bound, ");
}
BENCHMARK(BM_SimAttentionDagCoreBound)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same DAG with a flash-attention task's arguments: each KV tile reads Q[b][h], K[b][t] and
// V[b][t] and updates O[b][h], m[b][h] and l[b][h] (seven arguments, six of them views). With cost
// expressions (/0) timing reads none of the views and the engine only checks their indices; with
// cost functions (/1), which may look at them, every view is written (docs/engine.md).
void BM_SimFlashDag(benchmark::State& state) {
  const bool cost_function = state.range(0) == 1;
  const auto kernel = [&](const char* name, std::vector<ParamSpec> params) {
    params.push_back(Scalar("ns"));
    return with_ns_cost(make_kernel(name, std::move(params), [](const TaskArgs&) {}),
                        cost_function);
  };
  const Kernel init =
      kernel("init", {Out("o", DType::f32, 1), Out("m", DType::f32, 0), Out("l", DType::f32, 0)});
  const Kernel tile = kernel(
      "tile", {In("q", DType::f32, 1), In("k", DType::f32, 1), In("v", DType::f32, 1),
               InOut("o", DType::f32, 1), InOut("m", DType::f32, 0), InOut("l", DType::f32, 0)});
  const Kernel norm = kernel("norm", {InOut("o", DType::f32, 1), In("l", DType::f32, 0)});
  TensorRef Q = tensor("Q", DType::f32, 3), K = tensor("K", DType::f32, 3),
            V = tensor("V", DType::f32, 3), O = tensor("O", DType::f32, 3),
            M = tensor("M", DType::f32, 2), L = tensor("L", DType::f32, 2);
  Axis tiles = Ragged(symbol("batch"), "tiles");
  Workload w = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
    return parallel_for(Dense<8>(), "h", [&](Var h) {
      return sequential(
          {task(init, {b, h}, {O[b][h], M[b][h], L[b][h], 500}),
           for_each(row(tiles, b), "t",
                    [&](Var t) {
                      return task(tile, {b, h, t},
                                  {Q[b][h], K[b][t], V[b][t], O[b][h], M[b][h], L[b][h], 2000});
                    }),
           task(norm, {b, h}, {O[b][h], L[b][h], 300})});
    });
  });
  std::int64_t total = 0;
  workloads::Instance inst{w, attention_dag_sizes(total), {}};
  inst.bindings.set_tensor("Q", Tensor::zeros(DType::f32, {1024, 8, 2}))
      .set_tensor("K", Tensor::zeros(DType::f32, {1024, 192, 2}))
      .set_tensor("V", Tensor::zeros(DType::f32, {1024, 192, 2}))
      .set_tensor("O", Tensor::zeros(DType::f32, {1024, 8, 2}))
      .set_tensor("M", Tensor::zeros(DType::f32, {1024, 8}))
      .set_tensor("L", Tensor::zeros(DType::f32, {1024, 8}));
  state.SetLabel(
      std::to_string(total) + " tasks, 6 views a tile, " +
      (cost_function ? "cost function (views written)" : "cost expression (views checked)"));
  run(state, inst);
}
BENCHMARK(BM_SimFlashDag)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
