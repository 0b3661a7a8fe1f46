// CSP pipelines: per-item overhead of a 3-stage pipeline (Loader -> Computer -> Storer) with
// empty kernels on the cpu backend, beside oneTBB's parallel_pipeline of the same shape (three
// serial in-order filters, as many tokens in flight as the channels allow) in the same run; and
// the simulation speed of the same pipeline on the sim backend.
//
//   build/bench/bench_csp --benchmark_min_time=0.3 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>

#include <memory>
#include <vector>

#include "pto/wsp/wsp.hpp"

namespace {

using namespace pto::wsp;

constexpr int kDepth = 2;

Kernel empty(const char* name) {
  return make_kernel(name, {In("in", DType::f32, 1), Out("out", DType::f32, 1)},
                     [](const TaskArgs&) {})
      .with_cost([](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, 1000};
      });
}

/// Item i flows SRC[i] -> A[i % 3] -> B[i % 3] -> DST[i], each stage one task. Without buffers:
/// the pipeline's structure alone, tasks without tensor arguments, so only the channels order
/// them (as the peers are given their edges; like bench_e2e's structure-only chain).
Workload three_stages(bool buffers = true) {
  auto stage = [&](const char* name) {
    return buffers ? empty(name)
                   : make_kernel(name, {}, [](const TaskArgs&) {}).with_cost([](const TaskArgs&) {
                       return KernelCost{CoreKind::Vector, 0, 1000};
                     });
  };
  Kernel load = stage("load"), compute = stage("compute"), store = stage("store");
  TensorRef SRC = tensor("SRC", DType::f32, 2, TensorAccess::ReadOnly),
            DST = tensor("DST", DType::f32, 2);
  TensorRef A = tensor("A", DType::f32, 2), B = tensor("B", DType::f32, 2);
  const int slots = kDepth + 1;
  auto args = [&](std::vector<Arg> views) { return buffers ? views : std::vector<Arg>{}; };
  Channel l2c("l2c", kDepth), c2s("c2s", kDepth);
  Process loader = process("loader").produces({l2c}).body(for_each(DenseDyn("n"), "i", [&](Var i) {
    return send(l2c, task(load, {i}, args({SRC[i], A[i % slots]})));
  }));
  Process computer =
      process("computer").consumes({l2c}).produces({c2s}).body(consume(l2c, "i", [&](Var i) {
        return send(c2s, task(compute, {i}, args({A[i % slots], B[i % slots]})));
      }));
  Process storer = process("storer").consumes({c2s}).body(consume(c2s, "i", [&](Var i) {
    return task(store, {i}, args({B[i % slots], DST[i]}));
  }));
  return connect({loader, computer, storer}, {l2c, c2s});
}

/// The same tasks without channels: per item a sequential load -> compute -> store, items in
/// parallel; the 3 staging slots order them through data dependencies (program order is item
/// by item, as the pipeline's interleaving is). What the CSP layer adds is the difference.
Workload without_channels() {
  Kernel load = empty("load"), compute = empty("compute"), store = empty("store");
  TensorRef SRC = tensor("SRC", DType::f32, 2, TensorAccess::ReadOnly),
            DST = tensor("DST", DType::f32, 2);
  TensorRef A = tensor("A", DType::f32, 2), B = tensor("B", DType::f32, 2);
  const int slots = kDepth + 1;
  return parallel_for(DenseDyn("n"), "i", [&](Var i) {
    return sequential({task(load, {i}, {SRC[i], A[i % slots]}),
                       task(compute, {i}, {A[i % slots], B[i % slots]}),
                       task(store, {i}, {B[i % slots], DST[i]})});
  });
}

Bindings values(std::int64_t n) {
  Bindings b;
  b.set("n", n)
      .set_tensor("SRC", Tensor::zeros(DType::f32, {n, 4}))
      .set_tensor("DST", Tensor::zeros(DType::f32, {n, 4}))
      .set_tensor("A", Tensor::zeros(DType::f32, {kDepth + 1, 4}))
      .set_tensor("B", Tensor::zeros(DType::f32, {kDepth + 1, 4}));
  return b;
}

void per_item(benchmark::State& state, std::int64_t items) {
  state.SetItemsProcessed(items);
  state.counters["ns/item"] = benchmark::Counter(
      static_cast<double>(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_PtoWsp(benchmark::State& state, const Workload& w) {
  const std::int64_t n = state.range(0);
  CompileOptions o;
  o.threads = static_cast<int>(state.range(1));
  o.prevalidate = state.range(2) != 0;
  Program p = compile(w, o);
  const Bindings b = values(n);
  std::int64_t items = 0;
  for (auto _ : state) {
    p.execute(b);
    p.synchronize();
    items += n;
  }
  per_item(state, items);
}
void BM_PtoWspPipeline(benchmark::State& state) {
  BM_PtoWsp(state, three_stages());
}
void BM_PtoWspNoChannels(benchmark::State& state) {
  BM_PtoWsp(state, without_channels());
}
void BM_PtoWspPipelineStructure(benchmark::State& state) {
  BM_PtoWsp(state, three_stages(false));
}
// Args: items, threads, prevalidation (a generation pass before running; on by default).
BENCHMARK(BM_PtoWspPipeline)
    ->Args({10000, 1, 1})
    ->Args({10000, 2, 1})
    ->Args({10000, 1, 0})
    ->Args({10000, 2, 0})
    ->UseRealTime();
BENCHMARK(BM_PtoWspNoChannels)->Args({10000, 1, 0})->Args({10000, 2, 0})->UseRealTime();
BENCHMARK(BM_PtoWspPipelineStructure)->Args({10000, 1, 0})->Args({10000, 2, 0})->UseRealTime();

// The second peer: the same task graph as a oneTBB flow_graph (one continue_node per task; edges
// for item order, stage order and the channels' capacity), built and run per iteration like
// bench_e2e's flow graphs.
void BM_TbbFlowGraphPipeline(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(state.range(1)));
  std::vector<float> data(static_cast<std::size_t>(n) * 3);
  std::int64_t items = 0;
  for (auto _ : state) {
    tbb::flow::graph g;
    using Node = tbb::flow::continue_node<tbb::flow::continue_msg>;
    std::vector<std::unique_ptr<Node>> nodes;
    nodes.reserve(static_cast<std::size_t>(n) * 3);
    for (std::int64_t k = 0; k < n * 3; ++k)
      nodes.push_back(std::make_unique<Node>(g, [&data, k](const tbb::flow::continue_msg&) {
        benchmark::DoNotOptimize(data[static_cast<std::size_t>(k)]);
      }));
    auto at = [&](std::int64_t i, int stage) -> Node& {
      return *nodes[static_cast<std::size_t>(i * 3 + stage)];
    };
    for (std::int64_t i = 0; i < n; ++i) {
      tbb::flow::make_edge(at(i, 0), at(i, 1));
      tbb::flow::make_edge(at(i, 1), at(i, 2));
      if (i > 0)
        for (int s = 0; s < 3; ++s) tbb::flow::make_edge(at(i - 1, s), at(i, s));
      if (i >= kDepth) {
        tbb::flow::make_edge(at(i - kDepth, 1), at(i, 0));  // room on the first channel
        tbb::flow::make_edge(at(i - kDepth, 2), at(i, 1));  // and on the second
      }
    }
    at(0, 0).try_put(tbb::flow::continue_msg());
    g.wait_for_all();
    items += n;
  }
  per_item(state, items);
}
BENCHMARK(BM_TbbFlowGraphPipeline)->Args({10000, 1})->Args({10000, 2})->UseRealTime();

// The peer: three serial in-order filters; kDepth + 1 tokens, the items a depth-2 channel pair
// lets be in flight.
void BM_TbbParallelPipeline(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(state.range(1)));
  std::vector<float> src(static_cast<std::size_t>(n)), dst(static_cast<std::size_t>(n));
  float a[kDepth + 1] = {}, b[kDepth + 1] = {};
  std::int64_t items = 0;
  for (auto _ : state) {
    std::int64_t next = 0;
    tbb::parallel_pipeline(
        kDepth + 1,
        tbb::make_filter<void, std::int64_t>(tbb::filter_mode::serial_in_order,
                                             [&](tbb::flow_control& fc) -> std::int64_t {
                                               if (next == n) {
                                                 fc.stop();
                                                 return 0;
                                               }
                                               const std::int64_t i = next++;
                                               a[i % (kDepth + 1)] =
                                                   src[static_cast<std::size_t>(i)];
                                               return i;
                                             }) &
            tbb::make_filter<std::int64_t, std::int64_t>(tbb::filter_mode::serial_in_order,
                                                         [&](std::int64_t i) {
                                                           b[i % (kDepth + 1)] =
                                                               a[i % (kDepth + 1)];
                                                           return i;
                                                         }) &
            tbb::make_filter<std::int64_t, void>(
                tbb::filter_mode::serial_in_order,
                [&](std::int64_t i) { dst[static_cast<std::size_t>(i)] = b[i % (kDepth + 1)]; }));
    benchmark::DoNotOptimize(dst.data());
    items += n;
  }
  per_item(state, items);
}
BENCHMARK(BM_TbbParallelPipeline)->Args({10000, 1})->Args({10000, 2})->UseRealTime();

// Simulating the same pipeline (1 µs per stage on the default machine): simulated items per
// second of wall time, and the simulated time per item.
void BM_SimPipeline(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  CompileOptions o;
  o.target = "sim";
  Program p = compile(three_stages(), o);
  const Bindings b = values(n);
  std::int64_t items = 0, simulated_ns = 0;
  for (auto _ : state) {
    p.execute(b);
    p.synchronize();
    items += n;
    simulated_ns = p.stats().makespan_ns;
  }
  per_item(state, items);
  state.counters["sim_ns/item"] = static_cast<double>(simulated_ns) / static_cast<double>(n);
}
BENCHMARK(BM_SimPipeline)->Arg(10000)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
