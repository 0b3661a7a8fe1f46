// Tile kernels inside workloads: the native body and the interpreted program give bit-identical
// results on the cpu backend (any thread count) and on the sim backend with --compute, the
// results match scalar references, and the sim costs tile kernels from their programs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "pto/wsp/tile/cost.hpp"
#include "pto/wsp/tile/library.hpp"
#include "pto/wsp/wsp.hpp"
#include "support/expect_error.hpp"

namespace pto {
namespace {

using namespace pto::wsp;  // NOLINT: workload builder vocabulary

constexpr int kBlock = 16;

Tensor random_tensor(Shape shape, std::uint32_t seed, float lo = -3, float hi = 3) {
  Tensor t = Tensor::zeros(DType::f32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

/// One task per block of 16 rows; the last block is ragged when rows % 16 != 0.
Workload row_blocks(const Kernel& k, const std::vector<std::pair<std::string, TensorRef>>& blocked,
                    const std::vector<Arg>& extra) {
  return parallel_for(DenseDyn("blocks"), "blk", [&](Var blk) {
    Expr lo = blk * kBlock, hi = min(lo + kBlock, symbol("rows"));
    std::vector<Arg> args;
    for (const auto& [name, ref] : blocked) args.emplace_back(name, ref.slice(lo, hi));
    for (const Arg& a : extra) args.push_back(a);
    return task(k, {blk}, args);
  });
}

struct Case {
  Workload workload;
  std::vector<std::pair<std::string, Tensor>> inputs;
  std::vector<std::pair<std::string, Tensor>> outputs;  ///< zeroed before each run
  std::int64_t rows;
};

Bindings bind(const Case& c) {
  Bindings b;
  b.set("rows", c.rows).set("blocks", (c.rows + kBlock - 1) / kBlock);
  for (const auto& [n, t] : c.inputs) b.set_tensor(n, t);
  for (const auto& [n, t] : c.outputs) b.set_tensor(n, t);
  return b;
}

/// Runs the case and returns its outputs' bytes.
std::vector<std::vector<std::byte>> run(const Case& c, CompileOptions o) {
  for (const auto& [n, t] : c.outputs)
    std::memset(t.bytes(), 0, static_cast<std::size_t>(t.numel()) * size_of(t.dtype()));
  Program p = compile(c.workload, o);
  p.execute(bind(c));
  p.synchronize();
  std::vector<std::vector<std::byte>> out;
  for (const auto& [n, t] : c.outputs)
    out.emplace_back(t.bytes(),
                     t.bytes() + t.numel() * static_cast<std::int64_t>(size_of(t.dtype())));
  return out;
}

Case softmax_case(const Kernel& k, std::int64_t rows) {
  TensorRef X = tensor("X", DType::f32, 2, TensorAccess::ReadOnly), Y = tensor("Y", DType::f32, 2);
  return Case{row_blocks(k, {{"x", X}, {"y", Y}}, {Arg("scale", 0.5)}),
              {{"X", random_tensor({rows, 128}, 1)}},
              {{"Y", Tensor::zeros(DType::f32, {rows, 128})}},
              rows};
}

Case rmsnorm_case(const Kernel& k, std::int64_t rows) {
  TensorRef X = tensor("X", DType::f32, 2, TensorAccess::ReadOnly), Y = tensor("Y", DType::f32, 2);
  TensorRef G = tensor("G", DType::f32, 1, TensorAccess::ReadOnly);
  return Case{row_blocks(k, {{"x", X}, {"y", Y}}, {Arg("gamma", G), Arg("eps", 1e-5)}),
              {{"X", random_tensor({rows, 64}, 2)}, {"G", random_tensor({64}, 3, 0.5f, 1.5f)}},
              {{"Y", Tensor::zeros(DType::f32, {rows, 64})}},
              rows};
}

Case linear_gelu_case(const Kernel& k, std::int64_t rows) {
  TensorRef X = tensor("X", DType::f32, 2, TensorAccess::ReadOnly), Y = tensor("Y", DType::f32, 2);
  TensorRef W = tensor("W", DType::f32, 2, TensorAccess::ReadOnly);
  TensorRef B = tensor("B", DType::f32, 1, TensorAccess::ReadOnly);
  return Case{row_blocks(k, {{"x", X}, {"y", Y}}, {Arg("w", W), Arg("bias", B)}),
              {{"X", random_tensor({rows, 64}, 4)},
               {"W", random_tensor({64, 48}, 5, -0.2f, 0.2f)},
               {"B", random_tensor({48}, 6)}},
              {{"Y", Tensor::zeros(DType::f32, {rows, 48})}},
              rows};
}

Case topk_case(const Kernel& k, std::int64_t rows) {
  TensorRef X = tensor("X", DType::f32, 2, TensorAccess::ReadOnly);
  TensorRef V = tensor("V", DType::f32, 2), I = tensor("I", DType::i32, 2);
  Tensor x = random_tensor({rows, 40}, 7);
  for (std::int64_t r = 0; r < rows; ++r)
    x.at<float>({r, 3}) = x.at<float>({r, 30}) = 9.0f;  // a tie
  return Case{
      row_blocks(k, {{"x", X}, {"values", V}, {"indices", I}}, {}),
      {{"X", x}},
      {{"V", Tensor::zeros(DType::f32, {rows, 5})}, {"I", Tensor::zeros(DType::i32, {rows, 5})}},
      rows};
}

struct Library {
  const char* name;
  Case (*make)(const Kernel&, std::int64_t);
  Kernel native;
  std::shared_ptr<const TileProgram> program;
};

std::vector<Library> library() {
  return {
      {"softmax", softmax_case, lib::softmax(kBlock, 128), lib::softmax_program(kBlock, 128)},
      {"rmsnorm", rmsnorm_case, lib::rmsnorm(kBlock, 64), lib::rmsnorm_program(kBlock, 64)},
      {"linear_gelu", linear_gelu_case, lib::linear_gelu(kBlock, 64, 48),
       lib::linear_gelu_program(kBlock, 64, 48)},
      {"topk", topk_case, lib::topk(kBlock, 40, 5), lib::topk_program(kBlock, 40, 5)},
  };
}

TEST(TileKernels, InterpreterAndNativeGiveIdenticalResultsOnEveryBackend) {
  for (const Library& l : library()) {
    SCOPED_TRACE(l.name);
    const Kernel interpreted = make_program_kernel(l.program);
    const Case native_case = l.make(l.native, 100);  // 7 blocks, the last with 4 rows
    CompileOptions one;
    one.threads = 1;
    const auto want = run(native_case, one);
    for (int threads : {1, 2, 4}) {
      CompileOptions o;
      o.threads = threads;
      EXPECT_EQ(run(native_case, o), want) << "native, threads " << threads;
      EXPECT_EQ(run(l.make(interpreted, 100), o), want) << "interpreted, threads " << threads;
    }
    CompileOptions sim;
    sim.target = "sim";
    sim.compute = true;
    EXPECT_EQ(run(l.make(interpreted, 100), sim), want) << "sim --compute";
  }
}

TEST(TileKernels, ResultsMatchScalarReferences) {
  const std::int64_t rows = 37;
  CompileOptions o;
  o.threads = 2;
  {
    const Case c = softmax_case(make_program_kernel(lib::softmax_program(kBlock, 128)), rows);
    run(c, o);
    const Tensor& x = c.inputs[0].second;
    const Tensor& y = c.outputs[0].second;
    for (std::int64_t r = 0; r < rows; ++r) {
      double mx = -INFINITY, sum = 0;
      for (int j = 0; j < 128; ++j) mx = std::max(mx, 0.5 * x.at<float>({r, j}));
      for (int j = 0; j < 128; ++j) sum += std::exp(0.5 * x.at<float>({r, j}) - mx);
      for (int j = 0; j < 128; ++j)
        ASSERT_NEAR(y.at<float>({r, j}), std::exp(0.5 * x.at<float>({r, j}) - mx) / sum, 1e-6)
            << r << "," << j;
    }
  }
  {
    const Case c = rmsnorm_case(lib::rmsnorm(kBlock, 64), rows);
    run(c, o);
    const Tensor &x = c.inputs[0].second, &g = c.inputs[1].second, &y = c.outputs[0].second;
    for (std::int64_t r = 0; r < rows; ++r) {
      double ss = 0;
      for (int j = 0; j < 64; ++j) ss += double{x.at<float>({r, j})} * x.at<float>({r, j});
      const double inv = 1.0 / std::sqrt(ss / 64 + 1e-5);
      for (int j = 0; j < 64; ++j)
        ASSERT_NEAR(y.at<float>({r, j}), x.at<float>({r, j}) * inv * g.at<float>({j}), 1e-5);
    }
  }
  {
    const Case c = linear_gelu_case(lib::linear_gelu(kBlock, 64, 48), rows);
    run(c, o);
    const Tensor &x = c.inputs[0].second, &w = c.inputs[1].second, &b = c.inputs[2].second;
    const Tensor& y = c.outputs[0].second;
    for (std::int64_t r = 0; r < rows; ++r)
      for (int n = 0; n < 48; ++n) {
        double acc = b.at<float>({n});
        for (int k = 0; k < 64; ++k) acc += double{x.at<float>({r, k})} * w.at<float>({k, n});
        const double g =
            0.5 * acc * (1 + std::tanh(0.7978845608028654 * (acc + 0.044715 * acc * acc * acc)));
        ASSERT_NEAR(y.at<float>({r, n}), g, 1e-5 * (1 + std::abs(g))) << r << "," << n;
      }
  }
  {
    const Case c = topk_case(lib::topk(kBlock, 40, 5), rows);
    run(c, o);
    const Tensor &x = c.inputs[0].second, &v = c.outputs[0].second, &idx = c.outputs[1].second;
    for (std::int64_t r = 0; r < rows; ++r) {
      std::vector<int> order(40);
      for (int j = 0; j < 40; ++j) order[static_cast<std::size_t>(j)] = j;
      std::stable_sort(order.begin(), order.end(), [&](int p, int q) {
        return x.at<float>({r, p}) > x.at<float>({r, q});
      });
      EXPECT_EQ(idx.at<std::int32_t>({r, 0}), 3);  // the tie goes to the lower index
      EXPECT_EQ(idx.at<std::int32_t>({r, 1}), 30);
      for (int j = 0; j < 5; ++j) {
        ASSERT_EQ(idx.at<std::int32_t>({r, j}), order[static_cast<std::size_t>(j)]);
        ASSERT_EQ(v.at<float>({r, j}), x.at<float>({r, order[static_cast<std::size_t>(j)]}));
      }
    }
  }
}

Machine ideal(int cores) {
  Machine m;
  m.aicpus = 1;
  m.cube_cores = cores;
  m.vector_cores = cores;
  m.host_to_aicpu_ns = m.host_to_core_ns = m.aicpu_to_core_ns = 0;
  m.aicpu_dispatch_ns = m.aicpu_complete_ns = m.completion_poll_ns = m.host_task_ns = 0;
  return m;
}

TEST(TileKernels, TheSimCostsTileKernelsFromTheirPrograms) {
  for (const Library& l : library()) {
    SCOPED_TRACE(l.name);
    const Case c = l.make(l.native, 100);  // 7 tasks
    Machine m = ideal(3);
    m.tile_costs.gm_bytes_per_cycle = 32;  // the machine's tile costs are the ones used
    const ProgramCost cost = analyze_cost(*l.program, m.tile_costs);
    const auto per_task = static_cast<std::int64_t>(std::llround(m.ns(cost.cycles)));
    CompileOptions o;
    o.target = "sim";
    o.machine = m;
    Program p = compile(c.workload, o);
    p.execute(bind(c));
    p.synchronize();
    EXPECT_EQ(p.stats().makespan_ns, 3 * per_task);  // ⌈7 / 3⌉ rounds
    const std::string kind = std::string(l.name) == "linear_gelu" ? "cube" : "vector";
    for (const WorkerStats& w : p.stats().workers) {
      if (w.tasks > 0) {
        EXPECT_EQ(w.name.rfind(kind, 0), 0u) << w.name;
      }
    }
  }
}

// Global memory is one first-come-first-served server of Machine::hbm_bytes_per_ns, taken in
// the order tasks start: a task's transfer ends at max(HBM free, its start) + bytes / bandwidth,
// and the task ends that much after its own cost moved the bytes (its start, cold start and
// bytes at its core's bandwidth), if later. Checked for tasks that start together, one after
// another (the HBM queues, or idles between them) and with cold starts.
TEST(TileKernels, TasksQueueForTheSharedHbm) {
  const std::vector<Library> libs = library();
  const Library& l = libs.front();       // softmax: one tile in, one out
  const Case c = l.make(l.native, 100);  // 7 tasks
  const ProgramCost cost = analyze_cost(*l.program, Machine{}.tile_costs);
  ASSERT_EQ(cost.gm_bytes, 2.0 * kBlock * 128 * 4);  // f32 [kBlock x 128], loaded and stored
  struct Setup {
    double hbm;
    std::int64_t dispatch_ns, cold_ns;
  };
  // Not modelled; together at 16 B/ns (the HBM sets the pace: 1 µs a transfer); faster than a
  // core; issued 500 ns apart (queueing) and 2 µs apart (the HBM idles); cold starts of 3 µs,
  // which the transfers overlap.
  for (const Setup& s : {Setup{0, 0, 0}, Setup{16, 0, 0}, Setup{4000, 0, 0}, Setup{16, 500, 0},
                         Setup{16, 2000, 0}, Setup{16, 0, 3000}}) {
    SCOPED_TRACE(::testing::Message() << s.hbm << " B/ns, dispatch " << s.dispatch_ns
                                      << " ns, cold " << s.cold_ns << " ns");
    Machine m = ideal(7);  // one AICPU: task k is issued k-th
    m.hbm_bytes_per_ns = s.hbm;
    m.aicpu_dispatch_ns = s.dispatch_ns;
    if (s.cold_ns > 0) {
      m.cold_start_axis = "blk";  // every task is a core's first: all cold
      m.cold_start_ns = s.cold_ns;
    }
    const auto per_task = static_cast<std::int64_t>(std::llround(m.ns(cost.cycles)));
    const double own = cost.gm_bytes / (m.tile_costs.gm_bytes_per_cycle * m.clock_ghz);
    CompileOptions o;
    o.target = "sim";
    o.machine = m;
    o.record_tasks = true;
    Program p = compile(c.workload, o);
    p.execute(bind(c));
    p.synchronize();
    ASSERT_EQ(p.task_log().size(), 7u);
    double hbm_free = 0;
    std::int64_t waited = 0;
    for (const TaskEvent& e : p.task_log()) {
      const std::int64_t start = (static_cast<std::int64_t>(e.id) + 1) * s.dispatch_ns;
      ASSERT_EQ(e.start_ns, start) << e.id;
      std::int64_t wait = 0;
      if (s.hbm > 0) {
        hbm_free = std::max(hbm_free, static_cast<double>(start)) + cost.gm_bytes / s.hbm;
        const double own_end = static_cast<double>(start + s.cold_ns) + own;
        wait = hbm_free > own_end ? std::llround(hbm_free - own_end) : 0;
      }
      EXPECT_EQ(e.end_ns, start + s.cold_ns + per_task + wait) << e.id;
      waited += wait;
    }
    EXPECT_EQ(p.stats().memory_wait_ns, waited);
    if (s.hbm == 16 && s.cold_ns == 0) {
      EXPECT_GT(waited, 0);
    }
  }
}

TEST(TileKernels, AnHbmTooSlowForSimulatedTimeIsRefusedNamingTheKernel) {
  const std::vector<Library> libs = library();
  const Case c = libs.front().make(libs.front().native, 100);
  Machine m = ideal(2);
  m.hbm_bytes_per_ns = 1e-12;  // 16 KiB would take 1.6e16 ns
  CompileOptions o;
  o.target = "sim";
  o.machine = m;
  EXPECT_THROW_MSG(compile(c.workload, o), CompileError, "kernel 'softmax'",
                   "field 'hbm_bytes_per_ns'", "beyond simulated time");
}

TEST(TileKernels, AnExplicitCostFunctionTakesPrecedence) {
  const Kernel k = lib::softmax(kBlock, 128).with_cost([](const TaskArgs&) {
    return KernelCost{CoreKind::Vector, 0, 1000};
  });
  ASSERT_TRUE(k.tile_program());
  const Case c = softmax_case(k, 32);
  CompileOptions o;
  o.target = "sim";
  o.machine = ideal(1);
  Program p = compile(c.workload, o);
  p.execute(bind(c));
  p.synchronize();
  EXPECT_EQ(p.stats().makespan_ns, 2000);
  // Its cost is the function's alone: it moves no bytes through the shared HBM, however slow.
  Machine crowded = ideal(32);
  crowded.hbm_bytes_per_ns = 1;
  o.machine = crowded;
  Program q = compile(c.workload, o);
  q.execute(bind(c));
  q.synchronize();
  EXPECT_EQ(q.stats().makespan_ns, 1000);
  EXPECT_EQ(q.stats().memory_wait_ns, 0);
}

TEST(TileKernels, LargeMatmulsGiveTheSameResultsOnManyThreads) {
  // Products large enough for OpenBLAS's blocked path, run concurrently by 4 workers (Debian's
  // serial OpenBLAS corrupted concurrent calls; the library uses the pthread build, one thread).
  const Kernel k = lib::linear_gelu(128, 128, 128);
  const auto make = [&](std::int64_t rows) {
    TensorRef X = tensor("X", DType::f32, 2, TensorAccess::ReadOnly),
              Y = tensor("Y", DType::f32, 2);
    TensorRef W = tensor("W", DType::f32, 2, TensorAccess::ReadOnly);
    TensorRef B = tensor("B", DType::f32, 1, TensorAccess::ReadOnly);
    Workload w = parallel_for(DenseDyn("blocks"), "blk", [&](Var blk) {
      Expr lo = blk * 128, hi = min(lo + 128, symbol("rows"));
      return task(k, {blk}, {X.slice(lo, hi), W, B, Y.slice(lo, hi)});
    });
    return Case{w,
                {{"X", random_tensor({rows, 128}, 8)},
                 {"W", random_tensor({128, 128}, 9, -0.1f, 0.1f)},
                 {"B", random_tensor({128}, 10)}},
                {{"Y", Tensor::zeros(DType::f32, {rows, 128})}},
                rows};
  };
  // bind() sets "blocks" from 16-row blocks; these tasks take 128 rows each.
  const Case c = make(128 * 24);
  auto run128 = [&](int threads) {
    for (const auto& [n, t] : c.outputs)
      std::memset(t.bytes(), 0, static_cast<std::size_t>(t.numel()) * size_of(t.dtype()));
    Bindings b;
    b.set("rows", c.rows).set("blocks", c.rows / 128);
    for (const auto& [n, t] : c.inputs) b.set_tensor(n, t);
    for (const auto& [n, t] : c.outputs) b.set_tensor(n, t);
    CompileOptions o;
    o.threads = threads;
    Program p = compile(c.workload, o);
    p.execute(b);
    p.synchronize();
    const Tensor& y = c.outputs[0].second;
    return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
  };
  const auto want = run128(1);
  for (int repeat = 0; repeat < 5; ++repeat) EXPECT_EQ(run128(4), want) << "repeat " << repeat;
}

}  // namespace
}  // namespace pto
