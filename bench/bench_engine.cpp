// Generation + dependency tracking throughput (tasks/s) of the engine on its own: tasks are
// "executed" the moment they are ready, on the calling thread, so only the engine's work is timed.
#include <benchmark/benchmark.h>

#include "bench/drain.hpp"
#include "bench/shapes.hpp"
#include "engine/engine.hpp"

namespace {

using namespace pto::wsp;
using pto::wsp::bench::Shape;

void run_shape(benchmark::State& state, Shape shape) {
  const std::int64_t n = state.range(0);
  bench::Instance inst = bench::make(shape, n);
  Plan plan = lower(inst.workload);
  BoundValues values = bind(plan, inst.values);
  engine::Engine e(plan, engine::EngineOptions{8192, WindowMode::Stall});
  std::int64_t tasks = 0;
  for (auto _ : state) {
    e.start(values);
    tasks += bench::drain(e, 1024);
  }
  state.SetItemsProcessed(tasks);
}

void BM_Engine_Independent(benchmark::State& s) {
  run_shape(s, Shape::Independent);
}
void BM_Engine_Chain(benchmark::State& s) {
  run_shape(s, Shape::Chain);
}
void BM_Engine_DataChain(benchmark::State& s) {
  run_shape(s, Shape::DataChain);
}
void BM_Engine_CombineRaw(benchmark::State& s) {
  run_shape(s, Shape::CombineRaw);
}
BENCHMARK(BM_Engine_Independent)->Arg(1 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Engine_Chain)->Arg(1 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Engine_DataChain)->Arg(1 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Engine_CombineRaw)->Arg(1 << 20)->Unit(benchmark::kMillisecond);
void BM_Engine_Attention(benchmark::State& s) {
  run_shape(s, Shape::Attention);
}
BENCHMARK(BM_Engine_Attention)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
