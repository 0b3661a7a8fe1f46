// Simulation speed of the sim backend on the default machine (4 AICPU, 24 cube, 48 vector
// cores): simulated tasks per second of wall time, single thread, and the peak RSS growth for 1 M
// tasks (bounded by the task window, not the task count).
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include "workloads/workloads.hpp"

namespace {

using namespace pto::wsp;

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void run(benchmark::State& state, const workloads::Instance& inst) {
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

// 1 M independent tasks of 10 µs.
void BM_SimIndependent(benchmark::State& state) {
  run(state, workloads::synthetic(workloads::SyntheticOptions{"grid", 1024, 1 << 20, 10.0}));
}
BENCHMARK(BM_SimIndependent)->Unit(benchmark::kMillisecond)->UseRealTime();

// An attention-like DAG of ~1 M tasks with the attention example's structure (per batch entry
// and head: init, a for_each over its KV tiles, norm; ragged tile counts) but tiny tensors, so the
// benchmark measures the simulator and not the allocation of gigabytes of K/V.
void BM_SimAttentionDag(benchmark::State& state) {
  const auto cost = [](const TaskArgs& a) {
    return KernelCost{CoreKind::Vector, 0.0, static_cast<double>(a.scalar("ns").as_int())};
  };
  const Kernel init =
      make_kernel("init", {Out("s", DType::f32, 1), Scalar("ns")}, [](const TaskArgs&) {
      }).with_cost(cost);
  const Kernel tile =
      make_kernel("tile", {InOut("s", DType::f32, 1), Scalar("ns")}, [](const TaskArgs&) {
      }).with_cost(cost);
  const Kernel norm =
      make_kernel("norm", {InOut("s", DType::f32, 1), Scalar("ns")}, [](const TaskArgs&) {
      }).with_cost(cost);
  TensorRef S = tensor("S", DType::f32, 3);
  Axis tiles = Ragged(symbol("batch"), "tiles");
  Workload w = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
    return parallel_for(Dense<8>(), "h", [&](Var h) {
      return sequential({task(init, {b, h}, {S[b][h], 500}),
                         for_each(row(tiles, b), "t",
                                  [&](Var t) {
                                    return task(tile, {b, h, t}, {S[b][h], 2000});
                                  }),
                         task(norm, {b, h}, {S[b][h], 300})});
    });
  });
  std::vector<std::int64_t> counts;
  std::int64_t total = 0;
  for (int b = 0; b < 1024; ++b) {
    counts.push_back(64 + (b * 37) % 128);
    total += 8 * (counts.back() + 2);
  }
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set("batch", 1024)
      .set_array("tiles", counts)
      .set_tensor("S", Tensor::zeros(DType::f32, {1024, 8, 2}));
  state.SetLabel(std::to_string(total) + " tasks");
  run(state, inst);
}
BENCHMARK(BM_SimAttentionDag)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
