// End-to-end cost of empty tasks (generate + track + run), ns/task, for the shapes of
// bench/shapes.hpp on 1 and 2 threads, beside the same graphs written with oneTBB flow_graph and
// OpenMP tasks (peers live here only, never in the library).
#include <benchmark/benchmark.h>
#include <omp.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>

#include <vector>

#include "bench/shapes.hpp"

namespace {

using namespace pto::wsp;
using pto::wsp::bench::Shape;

constexpr std::int64_t kCols = 1024;

void BM_PtoWsp(benchmark::State& state, Shape shape) {
  const std::int64_t n = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  bench::Instance inst = bench::make(shape, n);
  CompileOptions o;
  o.threads = threads;
  o.prevalidate = state.range(2) != 0;
  o.parallel_generation = state.range(3) != 0;
  Program p = compile(inst.workload, o);
  std::int64_t tasks = 0;
  for (auto _ : state) {
    p.execute(inst.values);
    p.synchronize();
    tasks += p.stats().tasks;
  }
  state.SetItemsProcessed(tasks);
  state.counters["ns/task"] = benchmark::Counter(
      static_cast<double>(tasks), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The same graph as a flow_graph of continue_nodes, built and run once per iteration.
void BM_TbbFlowGraph(benchmark::State& state, Shape shape) {
  const std::int64_t n = state.range(0);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(state.range(1)));
  std::vector<float> data(static_cast<std::size_t>(n));
  std::int64_t tasks = 0;
  for (auto _ : state) {
    tbb::flow::graph g;
    using Node = tbb::flow::continue_node<tbb::flow::continue_msg>;
    std::vector<std::unique_ptr<Node>> nodes;
    nodes.reserve(static_cast<std::size_t>(n));
    auto body = [&data](std::size_t i) {
      return [&data, i](const tbb::flow::continue_msg&) { benchmark::DoNotOptimize(data[i]); };
    };
    for (std::int64_t i = 0; i < n; ++i) {
      nodes.push_back(std::make_unique<Node>(g, body(static_cast<std::size_t>(i))));
    }
    if (shape == Shape::Chain || shape == Shape::DataChain) {
      for (std::int64_t i = 1; i < n; ++i) tbb::flow::make_edge(*nodes[i - 1], *nodes[i]);
      nodes[0]->try_put(tbb::flow::continue_msg());
    } else if (shape == Shape::CombineRaw) {
      const std::int64_t half = n / 2;
      for (std::int64_t i = 0; i < half; ++i) tbb::flow::make_edge(*nodes[i], *nodes[half + i]);
      for (std::int64_t i = 0; i < half; ++i) nodes[i]->try_put(tbb::flow::continue_msg());
    } else {
      for (auto& node : nodes) node->try_put(tbb::flow::continue_msg());
    }
    g.wait_for_all();
    tasks += n;
  }
  state.SetItemsProcessed(tasks);
  state.counters["ns/task"] = benchmark::Counter(
      static_cast<double>(tasks), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The same dependencies as OpenMP tasks with depend clauses on the written elements.
void BM_OpenMpTasks(benchmark::State& state, Shape shape) {
  const std::int64_t n = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  std::vector<float> x(static_cast<std::size_t>(n)), y(static_cast<std::size_t>(n));
  std::int64_t tasks = 0;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
#pragma omp single
    {
      if (shape == Shape::Independent) {
        for (std::int64_t i = 0; i < n; ++i) {
#pragma omp task firstprivate(i) shared(y)
          benchmark::DoNotOptimize(y[i]);
        }
      } else if (shape == Shape::Chain || shape == Shape::DataChain) {
        float* token = y.data();
        (void)token;  // named only in the depend clauses
        for (std::int64_t i = 0; i < n; ++i) {
#pragma omp task firstprivate(i) shared(y) depend(inout : token[0])
          benchmark::DoNotOptimize(y[i]);
        }
      } else {
        const std::int64_t half = n / 2;
        float* xs = x.data();
        for (std::int64_t i = 0; i < half; ++i) {
#pragma omp task firstprivate(i) depend(out : xs[i])
          benchmark::DoNotOptimize(xs[i]);
        }
        for (std::int64_t i = 0; i < half; ++i) {
#pragma omp task firstprivate(i) shared(y) depend(in : xs[i])
          benchmark::DoNotOptimize(y[i]);
        }
      }
    }
    tasks += n;
  }
  state.SetItemsProcessed(tasks);
  state.counters["ns/task"] = benchmark::Counter(
      static_cast<double>(tasks), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void args(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) b->Args({1 << 20, threads, 0, 0});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
void args_peer(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) b->Args({1 << 20, threads});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_PtoWsp, Independent, Shape::Independent)
    ->Apply(args)
    ->Args({1 << 20, 2, 1, 0})
    ->Args({1 << 20, 2, 0, 1});
BENCHMARK_CAPTURE(BM_TbbFlowGraph, Independent, Shape::Independent)->Apply(args_peer);
BENCHMARK_CAPTURE(BM_OpenMpTasks, Independent, Shape::Independent)->Apply(args_peer);
BENCHMARK_CAPTURE(BM_PtoWsp, Chain, Shape::Chain)->Apply(args);
BENCHMARK_CAPTURE(BM_PtoWsp, ChainNoData, Shape::ChainNoData)->Apply(args);
BENCHMARK_CAPTURE(BM_TbbFlowGraph, Chain, Shape::Chain)->Apply(args_peer);
BENCHMARK_CAPTURE(BM_OpenMpTasks, Chain, Shape::Chain)->Apply(args_peer);
// The peers' chain is DataChain's graph too: they are given the edges.
BENCHMARK_CAPTURE(BM_PtoWsp, DataChain, Shape::DataChain)->Apply(args);
BENCHMARK_CAPTURE(BM_PtoWsp, CombineRaw, Shape::CombineRaw)->Apply(args);
BENCHMARK_CAPTURE(BM_TbbFlowGraph, CombineRaw, Shape::CombineRaw)->Apply(args_peer);
BENCHMARK_CAPTURE(BM_OpenMpTasks, CombineRaw, Shape::CombineRaw)->Apply(args_peer);
// Generation-heavy: does parallel generation (last argument) pay off?
BENCHMARK_CAPTURE(BM_PtoWsp, Attention, Shape::Attention)->Apply(args)->Args({1 << 20, 2, 0, 1});

}  // namespace

BENCHMARK_MAIN();
