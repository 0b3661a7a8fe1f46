// The cpu backend: identical results on any thread count and window, the window bound read back
// from the log, ABORT, kernel failures, validation before anything runs, and re-execution.
#include <atomic>
#include <cstring>

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

// A workload whose result depends on execution order unless every dependency is honoured:
// layer 1 writes y[b][t] = f(x[b][t]); layer 2 accumulates y[b][0..t] in order into acc[b]
// (floating-point sums are order-sensitive), then a final task scales acc[b].
struct OrderSensitive {
  Kernel l1 =
      make_kernel("l1", {In("x", DType::f32, 1), Out("y", DType::f32, 1)}, [](const TaskArgs& a) {
        const float* x = a.tensor("x").data<float>();
        float* y = a.tensor("y").data<float>();
        for (std::int64_t i = 0; i < a.tensor("x").size(0); ++i) {
          y[i] = x[i] * 1.37f + 0.1f / (1.0f + x[i] * x[i]);
        }
      });
  Kernel acc = make_kernel("acc", {In("y", DType::f32, 1), InOut("s", DType::f32, 1)},
                           [](const TaskArgs& a) {
                             const float* y = a.tensor("y").data<float>();
                             float* s = a.tensor("s").data<float>();
                             for (std::int64_t i = 0; i < a.tensor("y").size(0); ++i) {
                               s[i % 4] = s[i % 4] * 0.999f + y[i];
                             }
                           });
  Kernel fin = make_kernel("fin", {InOut("s", DType::f32, 1)}, [](const TaskArgs& a) {
    float* s = a.tensor("s").data<float>();
    for (int i = 0; i < 4; ++i) s[i] = s[i] / 3.0f;
  });
  TensorRef X = tensor("X", DType::f32, 3, TensorAccess::ReadOnly);
  TensorRef Y = tensor("Y", DType::f32, 3);
  TensorRef S = tensor("S", DType::f32, 2);

  Workload workload() const {
    Axis tiles = Ragged(symbol("B"), "tiles");
    return combine({
        parallel_for(tiles, "b", "t",
                     [&](Var b, Var t) {
                       return task(l1, {b, t}, {X[b][t], Y[b][t]});
                     }),
        parallel_for(DenseDyn("B"), "b",
                     [&](Var b) {
                       return sequential({for_each(row(tiles, b), "t",
                                                   [&](Var t) {
                                                     return task(acc, {b, t}, {Y[b][t], S[b]});
                                                   }),
                                          task(fin, {b}, {S[b]})});
                     }),
    });
  }

  struct Data {
    Tensor x, y, s;
  };
  Data data(std::int64_t batch, std::int64_t max_tiles, std::uint32_t seed) const {
    Data d{Tensor::zeros(DType::f32, {batch, max_tiles, 16}),
           Tensor::zeros(DType::f32, {batch, max_tiles, 16}),
           Tensor::zeros(DType::f32, {batch, 4})};
    float* x = d.x.data<float>();
    std::uint32_t state = seed;
    for (std::int64_t i = 0; i < d.x.numel(); ++i) {
      state = state * 1664525u + 1013904223u;
      x[i] = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
    }
    return d;
  }
  Bindings bindings(const Data& d, const std::vector<std::int64_t>& tiles) const {
    Bindings b;
    b.set("B", static_cast<std::int64_t>(tiles.size()))
        .set_array("tiles", tiles)
        .set_tensor("X", d.x)
        .set_tensor("Y", d.y)
        .set_tensor("S", d.s);
    return b;
  }
};

std::vector<float> contents(const Tensor& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  std::memcpy(out.data(), t.data<float>(), out.size() * sizeof(float));
  return out;
}

TEST(CpuBackend, ResultsAreBitIdenticalForEveryThreadCountAndWindow) {
  OrderSensitive w;
  const std::vector<std::int64_t> tiles = {5, 0, 17, 1, 9, 30, 2, 11};
  std::vector<float> expected;
  for (int threads : {1, 2, 4, 8}) {
    for (std::int64_t window : {1, 7, 8192}) {
      auto d = w.data(8, 30, 7);
      CompileOptions o;
      o.threads = threads;
      o.window = TaskWindow{window, WindowMode::Stall};
      o.record_tasks = true;
      Program p = compile(w.workload(), o);
      p.execute(w.bindings(d, tiles));
      p.synchronize();
      const std::vector<float> got = contents(d.s);
      if (expected.empty()) {
        expected = got;
      } else {
        EXPECT_EQ(0, std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)))
            << threads << " threads, window " << window;
      }
      // The window bound, from the log: at no instant more than `window` tasks generated and not
      // finished (a finish at the same instant as a generation comes first).
      std::vector<std::pair<std::int64_t, int>> events;
      for (const TaskEvent& e : p.task_log()) {
        events.emplace_back(e.gen_ns, +1);
        events.emplace_back(e.end_ns, -1);
      }
      std::sort(events.begin(), events.end());
      int live = 0, high = 0;
      for (auto [t, delta] : events) high = std::max(high, live += delta);
      EXPECT_LE(high, window) << threads << " threads";
      EXPECT_EQ(p.stats().tasks, 75 + 75 + 8);
    }
  }
}

TEST(CpuBackend, ManyRunsWithTinyWindowsFinishWithTheSameResult) {
  // Small windows and more threads than cores make every hand-over (window refills, releases
  // through groups and chain items) happen often; a lost release would hang here (ctest timeout).
  OrderSensitive w;
  const std::vector<std::int64_t> tiles = {4, 1, 0, 6, 2};
  std::vector<float> expected;
  for (int run = 0; run < 60; ++run) {
    auto d = w.data(5, 6, 3);
    CompileOptions o;
    o.threads = 3 + run % 3;
    o.window = TaskWindow{1 + run % 5, WindowMode::Stall};
    o.parallel_generation = run % 2 == 0;
    Program p = compile(w.workload(), o);
    p.execute(w.bindings(d, tiles));
    p.synchronize();
    const std::vector<float> got = contents(d.s);
    if (expected.empty()) expected = got;
    ASSERT_EQ(0, std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)))
        << "run " << run;
  }
}

TEST(CpuBackend, ReexecutesWithNewSizesAndData) {
  OrderSensitive w;
  Program p = compile(w.workload(), CompileOptions{});
  auto d1 = w.data(3, 4, 1);
  p.execute(w.bindings(d1, {4, 1, 2}));
  p.synchronize();
  EXPECT_EQ(p.stats().tasks, 7 + 7 + 3);
  auto d2 = w.data(5, 9, 2);
  p.execute(w.bindings(d2, {9, 9, 0, 3, 1}));
  p.synchronize();
  EXPECT_EQ(p.stats().tasks, 22 + 22 + 5);

  // The same values on a fresh single-threaded program give the same bytes.
  auto d3 = w.data(5, 9, 2);
  CompileOptions one;
  one.threads = 1;
  Program q = compile(w.workload(), one);
  q.execute(w.bindings(d3, {9, 9, 0, 3, 1}));
  q.synchronize();
  EXPECT_EQ(contents(d2.s), contents(d3.s));
  EXPECT_TRUE(p.is_complete());
}

TEST(CpuBackend, AbortWindowRaisesNamingTheWindow) {
  Kernel k = testing::noop_kernel("k", {});
  Workload w = parallel_for(Dense(100), "i", [&](Var i) { return task(k, {i}, {}); });
  CompileOptions o;
  o.threads = 2;
  o.window = TaskWindow{4, WindowMode::Abort};
  Program p = compile(w, o);
  p.execute(Bindings());
  EXPECT_THROW_MSG(p.synchronize(), ExecutionError, "TaskWindow(4, ABORT)",
                   "would exceed the window of 4 tasks");
  // Usable again: a window large enough succeeds.
  CompileOptions big = o;
  big.window = TaskWindow{128, WindowMode::Abort};
  Program q = compile(w, big);
  q.execute(Bindings());
  q.synchronize();
  EXPECT_EQ(q.stats().tasks, 100);
}

TEST(CpuBackend, KernelFailureStopsTheProgramAndNamesTheTask) {
  std::atomic<int> ran{0};
  std::atomic<bool> fail{true};
  Kernel k = make_kernel("step", {Scalar("i")}, [&](const TaskArgs& a) {
    ++ran;
    if (fail && a.scalar("i").i == 3) throw std::runtime_error("bad tile");
  });
  Workload w = for_each(Dense(10), "i", [&](Var i) { return task(k, {i}, {i}); });
  CompileOptions o;
  o.threads = 4;
  Program p = compile(w, o);
  p.execute(Bindings());
  EXPECT_THROW_MSG(p.synchronize(), KernelError, "task step[i=3]", "bad tile");
  EXPECT_EQ(ran.load(), 4);  // tasks after the failing one in the chain never started
  EXPECT_TRUE(p.is_complete());
  fail = false;
  ran = 0;
  p.execute(Bindings());
  p.synchronize();
  EXPECT_EQ(ran.load(), 10);
}

TEST(CpuBackend, BadViewFailsExecuteBeforeAnyTaskRuns) {
  std::atomic<int> ran{0};
  Kernel k = make_kernel("k", {Out("x", DType::f32, 0)}, [&](const TaskArgs&) { ++ran; });
  TensorRef X = tensor("X", DType::f32, 1);
  Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {X[i]}); });
  Program p = compile(w, CompileOptions{});
  Bindings b;
  b.set("n", 9).set_tensor("X", Tensor::zeros(DType::f32, {8}));
  EXPECT_THROW_MSG(p.execute(b), CompileError, "task k[i=8]: argument 'x' = X[i]",
                   "index 8 is outside [0, 8)");
  EXPECT_EQ(ran.load(), 0);
  EXPECT_THROW_MSG(p.execute(Bindings().set("n", 2)), CompileError, "tensor 'X' is never bound");
  b.set("n", 8);
  p.execute(b);
  p.synchronize();
  EXPECT_EQ(ran.load(), 8);
}

TEST(CpuBackend, ExecuteWhileRunningIsRejected) {
  std::atomic<bool> release{false};
  Kernel k = make_kernel("k", {}, [&](const TaskArgs&) {
    while (!release) std::this_thread::yield();
  });
  Program p = compile(task(k, {}, {}), CompileOptions{});
  p.execute(Bindings());
  EXPECT_THROW_MSG(p.execute(Bindings()), ExecutionError, "has not been synchronized");
  release = true;
  p.synchronize();
  EXPECT_TRUE(p.is_complete());
}

TEST(CpuBackend, StatsCountTasksAndBusyTime) {
  Kernel k = make_kernel(
      "k", {}, [](const TaskArgs&) { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
  CompileOptions o;
  o.threads = 2;
  Program p = compile(parallel_for(Dense(6), "i", [&](Var i) { return task(k, {i}, {}); }), o);
  p.execute(Bindings());
  p.synchronize();
  const ProgramStats s = p.stats();
  EXPECT_EQ(s.tasks, 6);
  ASSERT_EQ(s.workers.size(), 2u);
  EXPECT_EQ(s.workers[0].tasks + s.workers[1].tasks, 6);
  EXPECT_GE(s.workers[0].busy_ns + s.workers[1].busy_ns, 6 * 2'000'000);
  EXPECT_GE(s.makespan_ns, 6'000'000);
  EXPECT_NE(s.to_string().find("tasks 6"), std::string::npos);
  ASSERT_EQ(s.kernels.size(), 1u);  // the per-kernel totals: the same tasks, the same time
  EXPECT_EQ(s.kernels[0].kernel, "k");
  EXPECT_EQ(s.kernels[0].tasks, 6);
  EXPECT_EQ(s.kernels[0].busy_ns, s.workers[0].busy_ns + s.workers[1].busy_ns);
}

// A worker that waits for work when the execution ends is woken late, maybe after synchronize()
// returned: its wait counts up to the end of the execution, by whoever ended it, so that the stats
// are final when synchronize() returns (they once grew on every later read).
TEST(CpuBackend, StatsAreFinalWhenSynchronizeReturns) {
  Kernel k = make_kernel(
      "k", {}, [](const TaskArgs&) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
  CompileOptions o;
  o.threads = 2;  // one runs the task, the other waits for work throughout
  Program p = compile(parallel_for(Dense(1), "i", [&](Var i) { return task(k, {i}, {}); }), o);
  for (int run = 0; run < 20; ++run) {
    p.execute(Bindings());
    p.synchronize();
    const ProgramStats first = p.stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const ProgramStats later = p.stats();
    ASSERT_EQ(first.idle_ns, later.idle_ns) << "run " << run;
    ASSERT_EQ(first.scheduling_ns, later.scheduling_ns) << "run " << run;
    ASSERT_LE(first.idle_ns, 2 * first.makespan_ns) << "run " << run;
  }
}

TEST(CpuBackend, UnknownTargetIsACompileError) {
  CompileOptions o;
  o.target = "tpu";
  EXPECT_THROW_MSG(compile(task(testing::noop_kernel("k", {}), {}, {}), o), CompileError,
                   "unknown target 'tpu'");
}

}  // namespace
}  // namespace pto::wsp
