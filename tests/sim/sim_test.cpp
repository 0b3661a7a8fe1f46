// The sim backend: analytic makespans, unit routing, partitions, cold starts, determinism and
// machine descriptions. (Every schedule policy's invariant is tested on sim as well, from its
// trace, in tests/schedule/policy_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "support/expect_error.hpp"
#include "workloads/workloads.hpp"

namespace pto::wsp {
namespace {

// A machine where only what a test sets costs time.
Machine ideal(int vector_cores, int aicpus = 1) {
  Machine m;
  m.name = "ideal";
  m.aicpus = aicpus;
  m.cube_cores = 1;
  m.vector_cores = vector_cores;
  m.host_to_aicpu_ns = m.host_to_core_ns = m.aicpu_to_core_ns = 0;
  m.aicpu_dispatch_ns = m.aicpu_complete_ns = m.completion_poll_ns = m.host_task_ns = 0;
  return m;
}

struct SimRun {
  ProgramStats stats;
  std::vector<TaskEvent> log;
  std::string trace;
};

SimRun simulate(const workloads::Instance& inst, const Machine& m, Schedule s = {},
                bool compute = false) {
  CompileOptions o;
  o.target = "sim";
  o.machine = m;
  o.compute = compute;
  o.record_tasks = true;
  Program p = compile(inst.workload, s, o);
  p.execute(inst.bindings);
  p.synchronize();
  return SimRun{p.stats(), p.task_log(), p.trace().chrome_json()};
}

workloads::Instance synthetic(std::string shape, std::int64_t batch, std::int64_t tasks,
                              double cost_us) {
  return workloads::synthetic(workloads::SyntheticOptions{std::move(shape), batch, tasks, cost_us});
}

TEST(Sim, IndependentTasksTakeCeilNOverCRoundsPlusLatencies) {
  for (int cores : {1, 3, 8}) {
    for (std::int64_t n : {1, 7, 24, 25}) {
      const auto inst = synthetic("grid", 1, n, 10.0);
      EXPECT_EQ(simulate(inst, ideal(cores)).stats.makespan_ns, (n + cores - 1) / cores * 10'000)
          << n << " tasks on " << cores << " cores";
      Machine m = ideal(cores);
      m.host_to_aicpu_ns = 3000;  // the first tasks arrive 3 µs after they are generated
      m.host_to_core_ns = 2000;
      EXPECT_EQ(simulate(inst, m).stats.makespan_ns, 3000 + (n + cores - 1) / cores * 10'000);
    }
  }
}

// ProgramStats::kernels: per kernel name, over every node that calls it, exactly the costs.
TEST(Sim, StatsSumEachKernelOverEveryNodeThatCallsIt) {
  const Kernel plain = make_kernel("a", {}, [](const TaskArgs&) {});
  const Kernel a = plain.with_cost(CoreKind::Vector, Var("i") * 10 + 1000);
  const Kernel b =
      make_kernel("b", {}, [](const TaskArgs&) {}).with_cost(CoreKind::Vector, Var("i") + 500);
  const auto loop = [](const Kernel& k, std::int64_t n) {
    return parallel_for(Dense(n), "i", [&](Var i) { return task(k, {i}, {}); });
  };
  CompileOptions o;
  o.target = "sim";
  o.machine = ideal(2);
  Program p = compile(combine({loop(a, 3), loop(b, 2), loop(a, 2)}), o);
  p.execute(Bindings{});
  p.synchronize();
  const ProgramStats s = p.stats();
  ASSERT_EQ(s.kernels.size(), 2u);
  EXPECT_EQ(s.kernels[0].kernel, "a");
  EXPECT_EQ(s.kernels[0].tasks, 5);
  EXPECT_EQ(s.kernels[0].busy_ns, 1000 + 1010 + 1020 + 1000 + 1010);
  EXPECT_EQ(s.kernels[1].kernel, "b");
  EXPECT_EQ(s.kernels[1].tasks, 2);
  EXPECT_EQ(s.kernels[1].busy_ns, 500 + 501);
  p.execute(Bindings{});  // a second execution counts from zero
  p.synchronize();
  EXPECT_EQ(p.stats().kernels[0].busy_ns, 5040);
}

TEST(Sim, ChainPaysEveryLinkLatency) {
  Machine m = ideal(4);
  m.aicpu_dispatch_ns = 200;
  m.aicpu_to_core_ns = 50;
  m.completion_poll_ns = 100;
  m.aicpu_complete_ns = 300;
  m.host_task_ns = 10;
  m.host_to_aicpu_ns = 1000;
  const std::int64_t n = 12, cost = 5000;
  const SimRun r = simulate(synthetic("chain", 2, n, 5.0), m);
  // The first task arrives at 10 + 1000; each task then costs dispatch + transfer + its cost,
  // and each link the poll and the retirement.
  const std::int64_t first = 10 + 1000;
  EXPECT_EQ(r.stats.makespan_ns, first + n * (200 + 50 + cost) + (n - 1) * (100 + 300));
  EXPECT_EQ(r.stats.critical_path_ns, n * cost);
  EXPECT_EQ(r.stats.scheduling_ns, n * (200 + 300));  // AICPU work
}

Kernel costed(const char* name, CoreKind core = CoreKind::Vector) {
  return make_kernel(name, {InOut("x", DType::f32, 1), Scalar("cost_ns")}, [](const TaskArgs&) {})
      .with_cost([core](const TaskArgs& a) {
        return KernelCost{core, 0.0, static_cast<double>(a.scalar("cost_ns").as_int())};
      });
}

// A chain item waits directly only for the item before it: what that one waited for (the init
// task before the loop) is implied, and `deps` lists only the previous item. The simulated host
// generates everything before anything finishes, so every edge is still open at generation.
TEST(Sim, AChainItemListsOnlyThePreviousItem) {
  const Kernel k = costed("k");
  TensorRef X = tensor("X", DType::f32, 1);
  const Workload w = sequential({task(k, {}, {X.slice(0, 1), 5000}),
                                 for_each(Dense(5), "i",
                                          [&](Var i) {
                                            return task(k, {i}, {X.slice(i + 1, i + 2), 5000});
                                          }),
                                 task(k, {}, {X.slice(8, 9), 5000})});
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set_tensor("X", Tensor::zeros(DType::f32, {9}));
  const SimRun r = simulate(inst, ideal(4));
  ASSERT_EQ(r.log.size(), 7u);
  EXPECT_TRUE(r.log[0].deps.empty());
  for (std::uint64_t k2 = 1; k2 < 6; ++k2) {
    EXPECT_EQ(r.log[k2].deps, std::vector<std::uint64_t>{k2 - 1}) << "task " << k2;
  }
  // Every task still starts after the one before it ended.
  for (std::size_t t = 1; t < r.log.size(); ++t) {
    EXPECT_GE(r.log[t].start_ns, r.log[t - 1].end_ns) << "task " << t;
  }
  EXPECT_EQ(r.stats.critical_path_ns, 7 * 5000);
}

// Bodies nested in bodies: a task after an inner chain still waits for the outer chain's previous
// body (what the inner chain's later bodies skip, as implied by their previous body, is looked at
// again once the inner body closes).
TEST(Sim, ATaskAfterAnInnerChainWaitsForThePreviousOuterBody) {
  const Kernel k = costed("k");
  TensorRef X = tensor("X", DType::f32, 1);
  const Workload w = for_each(Dense(3), "i", [&](Var i) {
    return combine(
        {for_each(Dense(2), "j",
                  [&](Var j) {
                    return combine(
                        {task(k, {i, j}, {X.slice(i * 8 + j, i * 8 + j + 1), 5000}),
                         task(k, {i, j}, {X.slice(i * 8 + j + 2, i * 8 + j + 3), 5000})});
                  }),
         task(k, {i}, {X.slice(i * 8 + 7, i * 8 + 8), 1000})});
  });
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set_tensor("X", Tensor::zeros(DType::f32, {24}));
  const SimRun r = simulate(inst, ideal(8));
  ASSERT_EQ(r.log.size(), 15u);
  for (std::size_t a = 5; a < 15; ++a) {
    for (std::size_t p = (a / 5 - 1) * 5; p < (a / 5) * 5; ++p) {
      EXPECT_GE(r.log[a].start_ns, r.log[p].end_ns) << a << " after " << p;
    }
  }
}

// n pairs of 1 µs tasks, one of each kind of core: mm[i] on a cube core, add[i] on a vector core.
workloads::Instance cube_and_vector(std::int64_t n) {
  const Kernel mm = costed("mm", CoreKind::Cube), add = costed("add", CoreKind::Vector);
  TensorRef X = tensor("X", DType::f32, 2);
  const Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) {
    return combine(
        {task(mm, {i}, {X[i].slice(0, 2), 1000}), task(add, {i}, {X[i].slice(2, 4), 1000})});
  });
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set("n", n).set_tensor("X", Tensor::zeros(DType::f32, {n, 4}));
  return inst;
}

TEST(Sim, DiamondFollowsItsLongestPath) {
  const Kernel k = costed("k");
  TensorRef X = tensor("X", DType::f32, 1);
  // a -> {b, c} -> d: a and d cover the tensor, b and c one half each.
  const Workload w =
      sequential({task(k, {}, {X.slice(0, 4), 1000}),
                  combine({task(k, {}, {X.slice(0, 2), 3000}), task(k, {}, {X.slice(2, 4), 7000})}),
                  task(k, {}, {X.slice(0, 4), 2000})});
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set_tensor("X", Tensor::zeros(DType::f32, {4}));
  const SimRun r = simulate(inst, ideal(2));
  EXPECT_EQ(r.stats.makespan_ns, 1000 + 7000 + 2000);
  EXPECT_EQ(r.stats.critical_path_ns, 1000 + 7000 + 2000);
  EXPECT_EQ(r.log[1].start_ns, r.log[2].start_ns);  // b and c in parallel
}

TEST(Sim, OneStreamSerialisesAQueue) {
  const auto inst = synthetic("grid", 2, 12, 4.0);
  EXPECT_EQ(simulate(inst, ideal(8), Schedule{}.queues(1)).stats.makespan_ns, 4000 * 2);
  EXPECT_EQ(simulate(inst, ideal(8), Schedule{}.queues(1).streams(1)).stats.makespan_ns, 4000 * 12);
  EXPECT_EQ(simulate(inst, ideal(8), Schedule{}.queues(1).streams(3)).stats.makespan_ns, 4000 * 4);
}

TEST(Sim, RateLimitSpacesStartsInSimulatedTime) {
  const SimRun r = simulate(synthetic("grid", 1, 10, 1.0), ideal(16),
                            Schedule{}.queues(1).timing(rate_limit(3)));
  // 3 starts at 0, 3 at 1 ms, 3 at 2 ms, 1 at 3 ms.
  EXPECT_EQ(r.stats.makespan_ns, 3'000'000 + 1000);
  for (const TaskEvent& e : r.log) EXPECT_EQ(e.start_ns % 1'000'000, 0);
}

TEST(Sim, WindowStallsTheHost) {
  Machine m = ideal(4);
  m.host_task_ns = 100;
  const SimRun r = simulate(synthetic("grid", 1, 40, 2.0), m,
                            Schedule{}.task_graph(TaskWindow{6, WindowMode::Stall}));
  EXPECT_GT(r.stats.window_stalls, 0);
  EXPECT_GT(r.stats.window_stall_ns, 0);
  EXPECT_EQ(r.stats.window_high_water, 6);
  EXPECT_EQ(r.stats.tasks, 40);
}

// Each task's cost is evaluated once, from its own arguments, whenever the host generates it —
// also when the window keeps the host one task ahead of the cores and tasks wait in queues.
TEST(Sim, EachTaskIsCostedOnceFromItsOwnArguments) {
  auto calls = std::make_shared<std::map<std::int64_t, int>>();  // by cost_ns: calls
  const Kernel k =
      make_kernel("k", {InOut("x", DType::f32, 1), Scalar("cost_ns")}, [](const TaskArgs&) {
      }).with_cost([calls](const TaskArgs& a) {
        const std::int64_t ns = a.scalar("cost_ns").as_int();
        ++(*calls)[ns];
        return KernelCost{CoreKind::Vector, 0.0, static_cast<double>(ns)};
      });
  TensorRef X = tensor("X", DType::f32, 3);
  // 4 chains of 25 tasks; task (c, j) costs 1000 + 25 c + j ns, a cost no other task has.
  const Workload w = parallel_for(DenseDyn("c"), "c", [&](Var c) {
    return for_each(DenseDyn("n"), "j", [&](Var j) {
      return task(k, {c, j}, {X[c][j], 1000 + c * 25 + j});
    });
  });
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set("c", 4).set("n", 25).set_tensor("X", Tensor::zeros(DType::f32, {4, 25, 1}));
  for (const std::int64_t window : {3, 8192}) {
    calls->clear();
    const SimRun r =
        simulate(inst, ideal(2), Schedule{}.task_graph(TaskWindow{window, WindowMode::Stall}));
    ASSERT_EQ(r.stats.tasks, 100);
    EXPECT_EQ(calls->size(), 100u) << "window " << window;
    for (const auto& [ns, n] : *calls) EXPECT_EQ(n, 1) << "cost " << ns << ", window " << window;
    for (const TaskEvent& e : r.log) {  // each ran for its own cost
      EXPECT_EQ(e.end_ns - e.start_ns, 1000 + 25 * e.axes[0].second + e.axes[1].second);
    }
  }
}

// A cost function may read the task's tensors: it is called when the task becomes ready, so
// under --compute it sees what the task's predecessors wrote (a data-dependent cost, such as an
// expert's share of routed tokens); without --compute nothing writes them.
TEST(Sim, ACostFunctionSeesWhatThePredecessorsWrote) {
  const Kernel route = make_kernel("route", {Out("x", DType::f32, 1)}, [](const TaskArgs& a) {
                         a.tensor("x").data<float>()[0] = 7.0f;
                       }).with_cost([](const TaskArgs&) {
    return KernelCost{CoreKind::Vector, 0.0, 1000.0};
  });
  const Kernel expert = make_kernel("expert", {In("x", DType::f32, 1)}, [](const TaskArgs&) {
                        }).with_cost([](const TaskArgs& a) {
    return KernelCost{CoreKind::Vector, 0.0, 1000.0 * a.tensor("x").data<float>()[0]};
  });
  TensorRef X = tensor("X", DType::f32, 1);
  const Workload w = sequential({task(route, {}, {X}), task(expert, {}, {X})});
  for (const bool compute : {true, false}) {
    workloads::Instance inst{w, Bindings{}, {}};
    inst.bindings.set_tensor("X", Tensor::zeros(DType::f32, {1}));
    const SimRun r = simulate(inst, ideal(2), Schedule{}, compute);
    ASSERT_EQ(r.log.size(), 2u);
    EXPECT_EQ(r.log[1].end_ns - r.log[1].start_ns, compute ? 7000 : 0) << "compute " << compute;
  }
}

// A run that fails part-way through the host's batch (an ABORT window overflowing, a view out of
// range with prevalidation off) counts the tasks committed before the failure and leaves nothing
// behind: the next execution of the same program runs exactly its own tasks.
TEST(Sim, AFailedRunLeavesNothingForTheNext) {
  const Kernel k = make_kernel("k", {InOut("x", DType::f32, 1)}, [](const TaskArgs&) {
                   }).with_cost([](const TaskArgs&) {
    return KernelCost{CoreKind::Vector, 0.0, 1000.0};
  });
  TensorRef X = tensor("X", DType::f32, 2);
  const Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {X[i]}); });
  const auto values = [](std::int64_t n, std::int64_t rows) {
    return Bindings().set("n", n).set_tensor("X", Tensor::zeros(DType::f32, {rows, 2}));
  };
  for (const bool abort_window : {true, false}) {
    CompileOptions o;
    o.target = "sim";
    o.machine = ideal(2);
    o.record_tasks = true;
    o.prevalidate = false;
    if (abort_window) o.window = TaskWindow{4, WindowMode::Abort};
    Program p = compile(w, o);
    // ABORT: the fifth task finds the window full; out of range: task 10 selects row 10 of 10.
    p.execute(abort_window ? values(100, 100) : values(100, 10));
    EXPECT_THROW(p.synchronize(), PtoError);
    EXPECT_EQ(p.stats().tasks, abort_window ? 4 : 10);
    p.execute(values(3, 3));
    p.synchronize();
    EXPECT_EQ(p.stats().tasks, 3);
    ASSERT_EQ(p.task_log().size(), 3u);
    for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(p.task_log()[i].id, i);
  }
}

// Timing alone skips writing the views of tasks whose views nothing reads (docs/engine.md). What
// reads them still sees each task's own: a cost function, and the tracking of data dependencies
// (here a combine of a writer and a reader of each row of X, which the structure leaves
// unordered; Y's rows are each touched once, and not tracked). A view out of range still fails the
// run, with or without a cost function.
TEST(Sim, ViewsAreWrittenWhereSomethingReadsThemAndCheckedEverywhere) {
  TensorRef X = tensor("X", DType::f32, 2);
  TensorRef Y = tensor("Y", DType::f32, 2);  // rows written once each: not tracked
  // Costs 1000 ns plus 10 ns per row the view starts at (a cost only its own view gives).
  const Kernel by_view = make_kernel("by_view", {InOut("x", DType::f32, 1)}, [](const TaskArgs&) {
                         }).with_cost([](const TaskArgs& a) {
    const Tensor& x = a.tensor(0);
    return KernelCost{CoreKind::Vector, 0.0,
                      1000.0 + 10.0 * static_cast<double>(x.region().start[0])};
  });
  const Kernel write =
      make_kernel("write", {Out("x", DType::f32, 1), Scalar("ns")}, [](const TaskArgs&) {
      }).with_cost(CoreKind::Vector, param("ns"));
  const Kernel read =
      make_kernel("read", {In("x", DType::f32, 1), Scalar("ns")}, [](const TaskArgs&) {
      }).with_cost(CoreKind::Vector, param("ns"));
  const Workload w = combine({
      parallel_for(DenseDyn("n"), "i",
                   [&](Var i) {
                     return task(write, {i}, {X[i], 2000});
                   }),
      parallel_for(DenseDyn("n"), "j",
                   [&](Var j) {
                     return task(read, {j}, {X[j], 500});
                   }),
      parallel_for(DenseDyn("n"), "k", [&](Var k) { return task(by_view, {k}, {Y[k]}); }),
  });
  const auto values = [](std::int64_t n, std::int64_t rows) {
    return Bindings()
        .set("n", n)
        .set_tensor("X", Tensor::zeros(DType::f32, {rows, 2}))
        .set_tensor("Y", Tensor::zeros(DType::f32, {rows, 2}));
  };
  workloads::Instance inst{w, values(6, 6), {}};
  const SimRun r = simulate(inst, ideal(32));
  ASSERT_EQ(r.log.size(), 18u);
  for (std::uint64_t j = 0; j < 6; ++j) {
    const TaskEvent& reader = r.log[6 + j];
    EXPECT_EQ(reader.deps, std::vector<std::uint64_t>{j}) << "reader " << j;
    EXPECT_EQ(reader.start_ns, r.log[j].end_ns) << "reader " << j;
    const TaskEvent& costed = r.log[12 + j];
    EXPECT_EQ(costed.end_ns - costed.start_ns, 1000 + 10 * static_cast<std::int64_t>(j))
        << "task " << 12 + j;
  }
  // Writers alone (distinct rows: nothing tracked, no view read): row 6 of 6 still fails.
  CompileOptions o;
  o.target = "sim";
  o.machine = ideal(2);
  o.prevalidate = false;
  Program p = compile(parallel_for(DenseDyn("n"), "i",
                                   [&](Var i) {
                                     return task(write, {i}, {X[i], 2000});
                                   }),
                      o);
  p.execute(values(7, 6));
  EXPECT_THROW_MSG(p.synchronize(), CompileError, "write", "index 6");
  EXPECT_EQ(p.stats().tasks, 6);
  // Two checked views select i from extents 10 and 6 (i is checked once, against 6): task 6 fails
  // and the error names the view out of range, not the first one.
  const Kernel pair =
      make_kernel("pair", {Out("x", DType::f32, 1), Out("y", DType::f32, 1), Scalar("ns")},
                  [](const TaskArgs&) {})
          .with_cost(CoreKind::Vector, param("ns"));
  Program q = compile(parallel_for(DenseDyn("n"), "i",
                                   [&](Var i) {
                                     return task(pair, {i}, {X[i], Y[i], 1000});
                                   }),
                      o);
  q.execute(Bindings()
                .set("n", 7)
                .set_tensor("X", Tensor::zeros(DType::f32, {10, 2}))
                .set_tensor("Y", Tensor::zeros(DType::f32, {6, 2})));
  EXPECT_THROW_MSG(q.synchronize(), CompileError, "argument 'y'", "index 6");
  EXPECT_EQ(q.stats().tasks, 6);
}

TEST(Sim, BatchesWaitForTasksStillInTransit) {
  // Everything is generated at once; tasks reach the AICPUs 3 µs later, one host step apart. A
  // group must not be flushed while the rest of it is still on its way.
  Machine m = Machine::defaults();
  const SimRun r =
      simulate(synthetic("grid", 1, 30, 1.0), m, Schedule{}.queues(1).timing(batched(4)));
  std::map<std::int64_t, int> groups;
  for (const TaskEvent& e : r.log) ++groups[e.issue_group];
  ASSERT_EQ(groups.size(), 8u);
  for (const auto& [g, n] : groups) EXPECT_EQ(n, g < 7 ? 4 : 2) << "group " << g;
}

TEST(Sim, PriorityOrdersAcrossKindsOfCore) {
  // Cube and vector tasks ready together on one AICPU with one core of each kind free: the
  // lowest key goes first whatever core it needs.
  const workloads::Instance inst = cube_and_vector(6);
  Machine m = ideal(1);
  m.aicpu_dispatch_ns = 100;    // one issue at a time
  m.host_to_aicpu_ns = 10'000;  // everything is ready before the first decision
  m.host_task_ns = 10;
  // Cube tasks have the lower keys: i*2 for mm (via the kernel's core), i*2+1 for add.
  const SimRun r = simulate(inst, m, Schedule{}.queues(1).issue(priority([](const TaskView& t) {
    return t.get("i") * 2 + (t.kernel() == "add");
  })));
  const TaskEvent* first = nullptr;
  for (const TaskEvent& e : r.log) {
    if (e.issue_seq == 0) first = &e;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->kernel, "mm");
  EXPECT_EQ(first->priority, 0);
}

TEST(Sim, KernelsRunOnTheirKindOfCore) {
  const workloads::Instance inst = cube_and_vector(20);
  Machine m = ideal(3);
  m.cube_cores = 2;
  const SimRun r = simulate(inst, m);
  for (const TaskEvent& e : r.log) {
    EXPECT_EQ(e.worker < 2, e.kernel == "mm") << e.kernel << " ran on core " << e.worker;
  }
  EXPECT_EQ(r.stats.workers[0].name, "cube 0");
  EXPECT_EQ(r.stats.workers[2].name, "vector 0");
  EXPECT_EQ(r.stats.makespan_ns, 10 * 1000);  // 20 cube tasks on 2 cores; vector on 3 is shorter
}

// A saturated kind of core holds back neither the other kind nor its own queue: with both vector
// cores busy and vector tasks waiting, a cube task that becomes ready starts at once, and each
// vector core takes the next waiting task the instant it frees up.
TEST(Sim, ABusyKindOfCoreDoesNotHoldBackTheOther) {
  const Kernel vec = costed("vec", CoreKind::Vector), mm = costed("mm", CoreKind::Cube);
  TensorRef X = tensor("X", DType::f32, 1);
  std::vector<Workload> others;
  for (int i = 1; i <= 6; ++i) others.push_back(task(vec, {}, {X.slice(i, i + 1), 1000}));
  // p then c (both cube) on X[0], 500 and 1000 ns; six vector tasks of 1000 ns beside them.
  const Workload w = combine(
      {sequential({task(mm, {}, {X.slice(0, 1), 500}), task(mm, {}, {X.slice(0, 1), 1000})}),
       combine(others)});
  workloads::Instance inst{w, Bindings{}, {}};
  inst.bindings.set_tensor("X", Tensor::zeros(DType::f32, {7}));
  for (const int aicpus : {1, 3}) {
    const SimRun r = simulate(inst, ideal(2, aicpus));
    ASSERT_EQ(r.log.size(), 8u);
    std::vector<std::int64_t> cube_starts, vector_starts;
    for (const TaskEvent& e : r.log) {
      (e.kernel == "mm" ? cube_starts : vector_starts).push_back(e.start_ns);
    }
    std::sort(vector_starts.begin(), vector_starts.end());
    // c starts the instant p ends, though every vector core is busy and vector tasks wait.
    EXPECT_EQ(cube_starts, (std::vector<std::int64_t>{0, 500})) << aicpus << " AICPUs";
    EXPECT_EQ(vector_starts, (std::vector<std::int64_t>{0, 0, 1000, 1000, 2000, 2000}))
        << aicpus << " AICPUs";
    EXPECT_EQ(r.stats.makespan_ns, 3000);
  }
}

TEST(Sim, SplitPartitionGivesEachAicpuItsOwnCores) {
  Machine m = ideal(4, 2);
  m.cube_cores = 2;
  m.partition = "split";
  const SimRun r =
      simulate(synthetic("grid", 2, 40, 1.0), m, Schedule{}.dispatch(affinity(axis("b"))));
  for (const TaskEvent& e : r.log) {
    // vector core j (worker 2 + j) belongs to AICPU j % 2; queue b serves AICPU b.
    EXPECT_EQ((e.worker - 2) % 2, e.queue) << "task " << e.id;
  }
  EXPECT_EQ(r.stats.workers[2].name, "AICPU 0 vector 0");
  // Tracks are grouped per AICPU in the trace: one process each.
  EXPECT_NE(r.trace.find(R"("name":"process_name","pid":2,"tid":0,"args":{"name":"AICPU 1"})"),
            std::string::npos);
}

// The dispatch step visits only the AICPUs that may take something: through bit masks up to 64
// AICPUs and queues, by asking each AICPU beyond. Both ways, with one queue per AICPU, one for
// all, two per AICPU and stealing, every core is used and each task is issued by an AICPU that
// serves its queue (or, stolen, by the thief that released it).
TEST(Sim, AicpusIssueTheirQueuesOnEitherSideOfSixtyFour) {
  for (int aicpus : {3, 64, 65, 100}) {
    Machine m = ideal(aicpus, aicpus);
    m.cube_cores = aicpus;
    m.partition = "split";
    const std::int64_t rounds = 3;
    const auto inst = synthetic("grid", 1, rounds * aicpus, 1.0);
    const Schedule steal = Schedule{}.queues(aicpus).dispatch(work_steal(axis("t") % 2));
    for (const Schedule& s :
         {Schedule{}.dispatch(round_robin(aicpus)), Schedule{}.queues(1),
          Schedule{}.queues(2 * aicpus).dispatch(round_robin(2 * aicpus)), steal}) {
      const SimRun r = simulate(inst, m, s);
      const std::string what = std::to_string(aicpus) + " AICPUs, " + s.to_string();
      EXPECT_EQ(r.stats.makespan_ns, rounds * 1000) << what;
      ASSERT_EQ(r.log.size(), static_cast<std::size_t>(rounds * aicpus)) << what;
      if (s.dispatch_policy().kind == DispatchPolicy::Kind::WorkSteal) {
        EXPECT_GT(r.stats.stolen, 0) << what;  // all homes are queues 0 and 1
      }
      for (const TaskEvent& e : r.log) {
        const int aicpu = (e.worker - aicpus) % aicpus;  // vector core j belongs to AICPU j % n
        if (s.num_queues() == 1) {
          EXPECT_EQ(e.queue, 0) << what << ", task " << e.id;
        } else {  // queue q is served by AICPU q mod n
          EXPECT_EQ(e.queue % aicpus, aicpu) << what << ", task " << e.id;
        }
      }
    }
  }
}

// The order in which AICPUs look at an instant: in turn from the first, which moves on by one
// after each instant that issued a task. With every AICPU sharing one queue and owning its cores,
// it shows in where each task runs: task k*n + j goes to AICPU (k + j) mod n at the k-th instant,
// on that AICPU's k-th core. Checked on both sides of 64 AICPUs (masks, then asking each AICPU).
TEST(Sim, AicpusTakeTurnsInRotationOnEitherSideOfSixtyFour) {
  for (int n : {3, 64, 65, 100}) {
    Machine m = ideal(3 * n, n);
    m.cube_cores = n;
    m.partition = "split";
    m.aicpu_dispatch_ns = 10;  // each AICPU issues one task per instant
    const int rounds = 3;
    const SimRun r = simulate(synthetic("grid", 1, rounds * n, 1.0), m, Schedule{}.queues(1));
    ASSERT_EQ(r.log.size(), static_cast<std::size_t>(rounds * n));
    for (const TaskEvent& e : r.log) {
      const int k = static_cast<int>(e.id) / n, j = static_cast<int>(e.id) % n;
      const int aicpu = (k + j) % n;
      EXPECT_EQ(e.worker, n + aicpu + k * n) << n << " AICPUs, task " << e.id;
      EXPECT_EQ(e.start_ns, (k + 1) * 10) << n << " AICPUs, task " << e.id;
    }
  }
}

TEST(Sim, ColdStartsAreChargedWhenACoreSwitchesBatch) {
  Machine m = ideal(2);
  m.cold_start_axis = "b";
  m.cold_start_ns = 500;
  // Batch per core (b -> queue -> ...): with one core per batch only the first task is cold.
  const auto inst = synthetic("grid", 2, 8, 1.0);
  const SimRun r = simulate(inst, m, Schedule{}.queues(1));
  std::int64_t cold = 0;
  for (const TaskEvent& e : r.log) cold += (e.end_ns - e.start_ns) - 1000;
  EXPECT_EQ(cold % 500, 0);
  EXPECT_GE(cold, 2 * 500);  // each core pays at least once
}

TEST(Sim, SameInputsGiveByteIdenticalTraces) {
  const auto inst = workloads::attention();
  const Schedule s = Schedule{}.dispatch(work_steal(axis("b"))).streams(4).stream_by(axis("h"));
  const SimRun a = simulate(inst, Machine::defaults(), s);
  const SimRun b = simulate(inst, Machine::defaults(), s);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_GT(a.stats.tasks, 1000);
}

TEST(Sim, ComputeModeMatchesTheCpuBackend) {
  const auto cpu_inst = workloads::attention();
  Program cpu = compile(cpu_inst.workload);
  cpu.execute(cpu_inst.bindings);
  cpu.synchronize();
  const auto sim_inst = workloads::attention();
  simulate(sim_inst, Machine::defaults(), Schedule{}.dispatch(affinity(axis("h"))), true);
  EXPECT_EQ(workloads::checksum(sim_inst.outputs[0].second),
            workloads::checksum(cpu_inst.outputs[0].second));
  EXPECT_LE(workloads::attention_max_error(sim_inst), 1e-4);
}

TEST(Sim, TileAttentionIsCostedFromItsTilePrograms) {
  workloads::AttentionOptions options;
  options.tile_kernels = true;
  const auto inst = workloads::attention(options);
  Machine m = Machine::defaults();
  m.hbm_bytes_per_ns = 0;  // no queueing for the shared HBM (tests/tile: TasksQueueForTheSharedHbm)
  CompileOptions o;
  o.target = "sim";
  o.machine = m;
  o.compute = true;
  o.record_tasks = true;
  Program p = compile(inst.workload, o);
  p.execute(inst.bindings);
  p.synchronize();
  EXPECT_LT(workloads::attention_max_error(inst, options), 1e-4);
  // Every task lasts what its kernel's tile program costs on the machine, on the core kind the
  // program needs: the online-softmax step (Q·Kᵀ, P·V) on cube cores, the others on vector cores.
  std::map<std::string, std::pair<std::int64_t, CoreKind>> cost;
  for (const Kernel& k : p.plan().kernels) {
    ASSERT_TRUE(k.tile_program()) << k.name();
    const pto::ProgramCost c = pto::analyze_cost(*k.tile_program(), m.tile_costs);
    cost[k.name()] = {std::llround(m.ns(c.cycles)), c.core};
  }
  EXPECT_EQ(cost.at("attn_tile").second, CoreKind::Cube);
  EXPECT_EQ(cost.at("attn_norm").second, CoreKind::Vector);
  const ProgramStats stats = p.stats();
  for (const TaskEvent& e : p.task_log()) {
    EXPECT_EQ(e.end_ns - e.start_ns, cost.at(e.kernel).first) << e.kernel;
    const std::string& worker = stats.workers[static_cast<std::size_t>(e.worker)].name;
    EXPECT_EQ(worker.rfind(cost.at(e.kernel).second == CoreKind::Cube ? "cube" : "vector", 0), 0u)
        << e.kernel << " ran on " << worker;
  }
}

TEST(Sim, ExecuteIsAsynchronousAndTheLogIsTheSynchronizedRuns) {
  const auto inst = synthetic("grid", 64, 200'000, 1.0);
  CompileOptions o;
  o.target = "sim";
  o.record_tasks = true;
  {
    Program p = compile(inst.workload, Schedule{}, o);
    p.execute(inst.bindings);
    EXPECT_TRUE(p.task_log().empty());  // not this run's until synchronize()
    p.synchronize();
    EXPECT_TRUE(p.is_complete());
    EXPECT_EQ(p.task_log().size(), 200'000u);
    p.execute(inst.bindings);
    // Destroying the program mid-run stops the simulation (the scope ends without waiting for
    // 200k more simulated tasks to be logged and synchronized).
  }
}

TEST(Sim, KernelsNeedACost) {
  const Kernel k = make_kernel("plain", {Out("x", DType::f32, 1)}, [](const TaskArgs&) {});
  TensorRef X = tensor("X", DType::f32, 1);
  CompileOptions o;
  o.target = "sim";
  EXPECT_THROW_MSG(compile(task(k, {}, {X}), o), CompileError, "kernel 'plain' has no cost",
                   "with_cost", "pto-wsp calibrate");
  // A measured cost in the machine description is enough.
  Machine m = ideal(1);
  m.kernels["plain"] = MeasuredCost{CoreKind::Vector, 1234.0};
  o.machine = m;
  Program p = compile(task(k, {}, {X}), o);
  p.execute(Bindings{}.set_tensor("X", Tensor::zeros(DType::f32, {2})));
  p.synchronize();
  EXPECT_EQ(p.stats().makespan_ns, 1234);
}

// A cost written as an expression of the kernel's scalar parameters and the task's axes costs
// each task what the same cost function would (the simulator evaluates it per task node without
// calling into C++; cost() evaluates it through TaskArgs), and its bad forms are named.
TEST(Sim, CostExpressionsCostLikeTheirFunction) {
  const auto make = [](bool as_expr) {
    Kernel k = make_kernel("work", {InOut("x", DType::f32, 1), Scalar("base"), Scalar("unit")},
                           [](const TaskArgs&) {});
    Var b("b"), t("t");
    if (as_expr) return k.with_cost(CoreKind::Vector, param("base") + b * param("unit") + t % 3);
    return k.with_cost([](const TaskArgs& a) {
      return KernelCost{
          CoreKind::Vector, 0.0,
          static_cast<double>(a.scalar("base").as_int() + a.axis("b") * a.scalar("unit").as_int() +
                              a.axis("t") % 3)};
    });
  };
  TensorRef X = tensor("X", DType::f32, 3);
  const auto workload = [&](const Kernel& k) {
    return parallel_for(Dense(3), "b", [&](Var b) {
      return for_each(Dense(5), "t", [&](Var t) {
        return task(k, {b, t}, {X[b][t], symbol("base"), 250});
      });
    });
  };
  workloads::Instance by_expr{workload(make(true)), Bindings{}, {}};
  by_expr.bindings.set("base", 1000).set_tensor("X", Tensor::zeros(DType::f32, {3, 5, 2}));
  workloads::Instance by_fn{workload(make(false)), Bindings{}, {}};
  by_fn.bindings.set("base", 1000).set_tensor("X", Tensor::zeros(DType::f32, {3, 5, 2}));
  const SimRun e = simulate(by_expr, ideal(2)), f = simulate(by_fn, ideal(2));
  EXPECT_EQ(e.trace, f.trace);
  ASSERT_EQ(e.log.size(), 15u);
  for (const TaskEvent& ev : e.log) {
    const std::int64_t b = ev.axes[0].second, t = ev.axes[1].second;
    EXPECT_EQ(ev.end_ns - ev.start_ns, 1000 + b * 250 + t % 3) << "b=" << b << " t=" << t;
  }
  // cost() is the same expression.
  const Kernel expr_kernel = make(true);
  const std::vector<Tensor> tensors(3);
  const std::vector<ScalarValue> scalars{ScalarValue{}, ScalarValue{false, 7, 0.0},
                                         ScalarValue{true, 0, 2.9}};
  const std::vector<AxisValue> axes{{"t", 4}, {"b", 5}};
  EXPECT_EQ(expr_kernel.cost()(TaskArgs(expr_kernel.signature(), tensors, scalars, axes)).ns,
            7 + 5 * 2 + 1);

  // Bad forms: at with_cost, at compile, per task.
  const Kernel plain =
      make_kernel("plain", {InOut("x", DType::f32, 1), Scalar("n")}, [](const TaskArgs&) {});
  EXPECT_THROW_MSG(plain.with_cost(CoreKind::Vector, param("x") * 2), CompileError,
                   "kernel 'plain': with_cost(): param(x) is not a scalar parameter");
  EXPECT_THROW_MSG(plain.with_cost(CoreKind::Vector, symbol("S")), CompileError,
                   "the cost may read only the kernel's scalar parameters", "symbol 'S'");
  CompileOptions o;
  o.target = "sim";
  o.machine = ideal(1);
  o.record_tasks = true;
  TensorRef Y = tensor("Y", DType::f32, 2);
  const Kernel by_axis = plain.with_cost(CoreKind::Vector, Var("h") * 10);
  EXPECT_THROW_MSG(compile(parallel_for(Dense(2), "b",
                                        [&](Var b) {
                                          return task(by_axis, {b}, {Y[b], 1});
                                        }),
                           o),
                   CompileError, "kernel 'plain'", "reads axis 'h', which the task does not have",
                   "its axes: b");
  const auto run_one = [&](const Kernel& k) {
    Program p = compile(parallel_for(Dense(2), "b",
                                     [&](Var b) {
                                       return task(k, {b}, {Y[b], b});
                                     }),
                        o);
    p.execute(Bindings{}.set_tensor("Y", Tensor::zeros(DType::f32, {2, 2})));
    p.synchronize();
  };
  // A lone parameter is read straight off the task (the common form).
  const Kernel lone = plain.with_cost(CoreKind::Vector, param("n"));
  {
    Program p = compile(parallel_for(Dense(3), "b",
                                     [&](Var b) {
                                       return task(lone, {b}, {Y[b], 100 * b + 7});
                                     }),
                        o);
    p.execute(Bindings{}.set_tensor("Y", Tensor::zeros(DType::f32, {3, 2})));
    p.synchronize();
    ASSERT_EQ(p.task_log().size(), 3u);
    for (const TaskEvent& ev : p.task_log()) {
      EXPECT_EQ(ev.end_ns - ev.start_ns, 100 * ev.axes[0].second + 7);
    }
    Program bad = compile(parallel_for(Dense(2), "b",
                                       [&](Var b) {
                                         return task(lone, {b}, {Y[b], b - 1});
                                       }),
                          o);
    bad.execute(Bindings{}.set_tensor("Y", Tensor::zeros(DType::f32, {2, 2})));
    EXPECT_THROW_MSG(bad.synchronize(), KernelError, "kernel 'plain' returned a bad cost");
  }
  EXPECT_THROW_MSG(run_one(plain.with_cost(CoreKind::Vector, 100 / param("n"))), KernelError,
                   "task plain[b=0]: cost function raised", "division by zero");
  EXPECT_THROW_MSG(run_one(plain.with_cost(CoreKind::Vector, param("n") - 5)), KernelError,
                   "kernel 'plain' returned a bad cost");
}

TEST(Sim, MachineDescriptionsRoundTripAndBadOnesNameTheField) {
  Machine m = Machine::defaults();
  m.kernels["k"] = MeasuredCost{CoreKind::Cube, 12.5};
  m.cold_start_axis = "b";
  m.cold_start_ns = 700;
  const Machine back = Machine::from_json(m.to_json());
  EXPECT_EQ(back.to_json(), m.to_json());
  EXPECT_EQ(back.aicpus, 4);
  EXPECT_EQ(back.cube_cores, 24);
  EXPECT_EQ(back.vector_cores, 48);

  auto with = [&](const std::string& key, const std::string& value) {
    std::string text = Machine::defaults().to_json();
    const auto at = text.find("\"" + key + "\"");
    const auto colon = text.find(':', at);
    const auto end = text.find_first_of(",\n}", colon + 1);
    return text.substr(0, colon + 1) + " " + value + text.substr(end);
  };
  EXPECT_THROW_MSG(Machine::from_json(with("aicpus", "0")), CompileError, "field 'aicpus'",
                   "at least 1");
  EXPECT_THROW_MSG(Machine::from_json(with("vector_cores", "-3")), CompileError,
                   "field 'vector_cores'");
  EXPECT_THROW_MSG(Machine::from_json(with("cube_cores", "\"many\"")), CompileError,
                   "field 'cube_cores' must be an integer");
  EXPECT_THROW_MSG(Machine::from_json(with("clock_ghz", "0")), CompileError,
                   "field 'clock_ghz' must be positive");
  EXPECT_THROW_MSG(Machine::from_json(with("host_to_aicpu_ns", "-1")), CompileError,
                   "field 'host_to_aicpu_ns'");
  EXPECT_THROW_MSG(Machine::from_json(with("partition", "\"mixed\"")), CompileError,
                   "field 'partition'", "\"shared\" or \"split\"");
  EXPECT_THROW_MSG(Machine::from_json(with("hbm_bytes_per_ns", "-1")), CompileError,
                   "field 'hbm_bytes_per_ns' must be finite and at least 0 (0: not modelled), "
                   "got -1");
  EXPECT_THROW_MSG(Machine::from_json(with("hbm_bytes_per_ns", "\"fast\"")), CompileError,
                   "field 'hbm_bytes_per_ns' must be a number");
  EXPECT_EQ(Machine::from_json(with("hbm_bytes_per_ns", "0")).hbm_bytes_per_ns, 0.0);
  {  // optional: descriptions written before it existed keep the default
    std::string old = Machine::defaults().to_json();  // keys sorted: this one is not the last
    const auto line = old.rfind('\n', old.find("\"hbm_bytes_per_ns\""));
    old.erase(line, old.find('\n', line + 1) - line);
    ASSERT_EQ(old.find("hbm"), std::string::npos);
    EXPECT_EQ(Machine::from_json(old).hbm_bytes_per_ns, 1600.0);
  }
  EXPECT_THROW_MSG(Machine::from_json(R"({"name": "x"})"), CompileError,
                   "field 'clock_ghz' is missing");
  std::string unknown = Machine::defaults().to_json();
  unknown.insert(1, "\"cores\": 3,");
  EXPECT_THROW_MSG(Machine::from_json(unknown), CompileError, "unknown field 'cores'");
  EXPECT_THROW_MSG(Machine::from_json("[1, 2]"), CompileError, "must be a JSON object");
  EXPECT_THROW_MSG(Machine::from_json("{"), CompileError, "not valid JSON");
  EXPECT_THROW_MSG(Machine::load("/nonexistent/m.json"), CompileError, "/nonexistent/m.json",
                   "cannot be read");
  CompileOptions o;
  o.machine = Machine::defaults();  // target cpu
  const auto inst = synthetic("grid", 1, 4, 0.0);
  EXPECT_THROW_MSG(compile(inst.workload, o), CompileError, "apply to target \"sim\" only");
  CompileOptions on_sim;
  on_sim.target = "sim";
  on_sim.threads = 4;
  EXPECT_THROW_MSG(compile(inst.workload, on_sim), CompileError, "apply to target \"cpu\" only");
  on_sim.threads = 0;
  on_sim.parallel_generation = true;
  EXPECT_THROW_MSG(compile(inst.workload, on_sim), CompileError, "parallel_generation");

  // A machine built in code is checked like a description (it used to run and stall: a split
  // partition with an AICPU that has no vector core never dispatches that AICPU's queue).
  CompileOptions in_code;
  in_code.target = "sim";
  Machine few = Machine::defaults();
  few.partition = "split";
  few.vector_cores = 3;
  in_code.machine = few;
  EXPECT_THROW_MSG(compile(inst.workload, in_code), CompileError, "machine 'ascend-910b-like'",
                   "field 'partition'", "at least one core of each kind per AICPU",
                   "4 AICPUs, 24 cube, 3 vector");
  EXPECT_THROW_MSG(Machine::from_json(few.to_json(), "m.json"), CompileError,
                   "m.json: field 'partition'", "at least one core of each kind per AICPU");
  Machine no_hbm = Machine::defaults();
  for (double bad : {std::nan(""), HUGE_VAL}) {
    no_hbm.hbm_bytes_per_ns = bad;
    in_code.machine = no_hbm;
    EXPECT_THROW_MSG(compile(inst.workload, in_code), CompileError, "field 'hbm_bytes_per_ns'",
                     "must be finite and at least 0");
  }
  Machine late = Machine::defaults();
  late.aicpu_complete_ns = -5;
  in_code.machine = late;
  EXPECT_THROW_MSG(compile(inst.workload, in_code), CompileError, "field 'aicpu_complete_ns'",
                   "at least 0, got -5");
}

}  // namespace
}  // namespace pto::wsp
