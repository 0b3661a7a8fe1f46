// CSP pipelines on both backends: order, capacity and rendezvous read back from the task log,
// close/drain with one and several producers, replicate, pipelines inside combine/sequential,
// every deadlock shape, every wiring error, and identical results under every schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "pto/wsp/wsp.hpp"
#include "support/expect_error.hpp"

namespace pto::wsp {
namespace {

// --- a Loader -> Computer -> Storer pipeline
// --------------------------------------------------------

/// dst[i] = src[i] * 2 + 1 through two staging buffers of `slots` rows each.
Kernel copy_kernel(const std::string& name, float scale, float shift, double cost_us,
                   int sleep_us) {
  return make_kernel(name, {In("in", DType::f32, 1), Out("out", DType::f32, 1)},
                     [=](const TaskArgs& a) {
                       if (sleep_us > 0)
                         std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
                       const Tensor& in = a.tensor(0);
                       const Tensor& out = a.tensor(1);
                       for (std::int64_t k = 0; k < in.size(0); ++k)
                         out.data<float>()[k] = in.data<float>()[k] * scale + shift;
                     })
      .with_cost([cost_us](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, cost_us * 1000};
      });
}

struct Stages {
  double load_us = 1, compute_us = 1, store_us = 1;
  int load_sleep = 0, compute_sleep = 0, store_sleep = 0;
};

struct Megakernel {
  Workload workload;
  Tensor src, dst, buf, res;
  std::int64_t tiles;
  Bindings bindings() const {
    Bindings b;
    b.set("tiles", tiles)
        .set_tensor("SRC", src)
        .set_tensor("DST", dst)
        .set_tensor("BUF", buf)
        .set_tensor("RES", res);
    return b;
  }
};

Megakernel megakernel(std::int64_t tiles, int depth, Stages s = {}) {
  const int slots = std::max(depth, 1) + 1;  // enough staging rows for the items in flight
  Kernel load = copy_kernel("load", 1, 0, s.load_us, s.load_sleep);
  Kernel compute = copy_kernel("compute", 2, 1, s.compute_us, s.compute_sleep);
  Kernel store = copy_kernel("store", 1, 0, s.store_us, s.store_sleep);
  TensorRef SRC = tensor("SRC", DType::f32, 2, TensorAccess::ReadOnly),
            DST = tensor("DST", DType::f32, 2);
  TensorRef BUF = tensor("BUF", DType::f32, 2), RES = tensor("RES", DType::f32, 2);
  Channel l2c("l2c", depth), c2s("c2s", depth);
  Process loader =
      process("loader").produces({l2c}).body(for_each(DenseDyn("tiles"), "i", [&](Var i) {
        return send(l2c, task(load, {i}, {SRC[i], BUF[i % slots]}));
      }));
  Process computer =
      process("computer").consumes({l2c}).produces({c2s}).body(consume(l2c, "i", [&](Var t) {
        return send(c2s, task(compute, {t}, {BUF[t % slots], RES[t % slots]}));
      }));
  Process storer = process("storer").consumes({c2s}).body(consume(c2s, "i", [&](Var t) {
    return task(store, {t}, {RES[t % slots], DST[t]});
  }));
  Megakernel m{
      connect({loader, computer, storer}, {l2c, c2s}), Tensor::zeros(DType::f32, {tiles, 16}),
      Tensor::zeros(DType::f32, {tiles, 16}),          Tensor::zeros(DType::f32, {slots, 16}),
      Tensor::zeros(DType::f32, {slots, 16}),          tiles};
  for (std::int64_t k = 0; k < m.src.numel(); ++k)
    m.src.data<float>()[k] = static_cast<float>(k % 97);
  return m;
}

bool correct(const Megakernel& m) {
  for (std::int64_t k = 0; k < m.dst.numel(); ++k)
    if (m.dst.data<float>()[k] != static_cast<float>(k % 97) * 2 + 1) return false;
  return true;
}

CompileOptions on(const std::string& target, int threads = 4) {
  CompileOptions o;
  o.target = target;
  o.record_tasks = true;
  if (target == "cpu") o.threads = threads;
  if (target == "sim") o.compute = true;
  return o;
}

/// The tasks as the Chrome trace JSON reports them (kernel, axes, start, end): the invariants
/// below are read back from the trace file alone.
std::vector<TaskEvent> parse_trace(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  std::vector<TaskEvent> out;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    TaskEvent ev;
    ev.kernel = e.at("name").get<std::string>();
    for (const auto& [name, value] : e.at("args").at("axes").items())
      ev.axes.emplace_back(name, value.get<std::int64_t>());
    ev.start_ns = std::llround(e.at("ts").get<double>() * 1000.0);
    ev.end_ns = ev.start_ns + std::llround(e.at("dur").get<double>() * 1000.0);
    out.push_back(std::move(ev));
  }
  return out;
}

std::vector<TaskEvent> run(const Megakernel& m, const CompileOptions& o, Schedule s = {}) {
  Program p = compile(m.workload, s, o);
  p.execute(m.bindings());
  p.synchronize();
  return parse_trace(p.trace().chrome_json());
}

/// The task of `kernel` whose first axis is `index`.
const TaskEvent& find(const std::vector<TaskEvent>& log, const std::string& kernel,
                      std::int64_t index) {
  for (const TaskEvent& e : log)
    if (e.kernel == kernel && e.axes.at(0).second == index) return e;
  throw std::runtime_error("no task " + kernel);
}

class Csp : public ::testing::TestWithParam<std::string> {};

TEST_P(Csp, ConsumersSeeItemsInSendOrderAfterTheirSend) {
  const Megakernel m = megakernel(12, 2, Stages{1, 3, 1, 0, 100, 0});
  const auto log = run(m, on(GetParam()));
  EXPECT_TRUE(correct(m));
  ASSERT_EQ(log.size(), 36u);
  for (std::int64_t i = 0; i < 12; ++i) {
    EXPECT_GE(find(log, "compute", i).start_ns, find(log, "load", i).end_ns) << i;
    EXPECT_GE(find(log, "store", i).start_ns, find(log, "compute", i).end_ns) << i;
    if (i > 0) {  // one consumer body after the other
      EXPECT_GE(find(log, "compute", i).start_ns, find(log, "compute", i - 1).end_ns) << i;
      EXPECT_GE(find(log, "store", i).start_ns, find(log, "store", i - 1).end_ns) << i;
    }
  }
}

/// Items of the l2c channel in flight at the busiest moment: from the start of item i's send to
/// the end of its consumer's body.
int max_in_flight(const std::vector<TaskEvent>& log, std::int64_t tiles) {
  int most = 0;
  for (std::int64_t i = 0; i < tiles; ++i) {
    const std::int64_t t = find(log, "load", i).start_ns;
    int n = 0;
    for (std::int64_t j = 0; j < tiles; ++j)
      if (find(log, "load", j).start_ns <= t && t < find(log, "compute", j).end_ns) ++n;
    most = std::max(most, n);
  }
  return most;
}

TEST_P(Csp, NeverMoreThanDepthItemsInFlight) {
  for (int depth : {1, 2, 3}) {
    // A fast loader and a slow computer: the channel fills and the loader must wait.
    const Megakernel m = megakernel(10, depth, Stages{1, 20, 1, 0, 400, 0});
    const auto log = run(m, on(GetParam()));
    EXPECT_TRUE(correct(m));
    EXPECT_EQ(max_in_flight(log, 10), depth) << "depth " << depth;
  }
}

TEST_P(Csp, DepthZeroIsARendezvous) {
  const Megakernel m = megakernel(8, 0, Stages{1, 5, 1, 0, 200, 0});
  const auto log = run(m, on(GetParam()));
  EXPECT_TRUE(correct(m));
  for (std::int64_t i = 1; i < 8; ++i)
    EXPECT_GE(find(log, "load", i).start_ns, find(log, "compute", i - 1).end_ns) << i;
  EXPECT_EQ(max_in_flight(log, 8), 1);
}

TEST_P(Csp, StagesOverlap) {
  const Megakernel m = megakernel(16, 2, Stages{2, 2, 2, 300, 300, 300});
  const auto log = run(m, on(GetParam()));
  EXPECT_TRUE(correct(m));
  // Some load runs while an earlier tile's compute runs: the pipeline does overlap.
  bool overlap = false;
  for (std::int64_t i = 1; i < 16; ++i) {
    const TaskEvent& l = find(log, "load", i);
    const TaskEvent& c = find(log, "compute", i - 1);
    overlap = overlap || (l.start_ns < c.end_ns && c.start_ns < l.end_ns);
  }
  EXPECT_TRUE(overlap);
}

INSTANTIATE_TEST_SUITE_P(Backends, Csp, ::testing::Values("cpu", "sim"));

// --- close, drain, several producers, replicate
// -------------------------------------------------------

Kernel tag_kernel(const std::string& name) {
  return make_kernel(name, {Out("out", DType::i64, 1), Scalar("v")},
                     [](const TaskArgs& a) { a.tensor(0).data<std::int64_t>()[0] = a.scalar(1).i; })
      .with_cost([](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, 1000};
      });
}

TEST(CspClose, AConsumerEndsWhenEveryProducerHasEnded) {
  for (const std::string target : {"cpu", "sim"}) {
    Kernel produce = tag_kernel("produce"), consume_k = tag_kernel("take"),
           after = tag_kernel("after");
    TensorRef P = tensor("P", DType::i64, 2), C = tensor("C", DType::i64, 2),
              A = tensor("A", DType::i64, 1);
    Channel ch("ch", 2);
    auto producer = [&](const std::string& name, std::int64_t base, const char* size) {
      return process(name).produces({ch}).body(for_each(DenseDyn(size), "i", [&](Var i) {
        return send(ch, task(produce, {i}, {P[base + i], base + i}));
      }));
    };
    Process consumer = process("consumer")
                           .consumes({ch})
                           .body(sequential({
                               consume(ch, "t",
                                       [&](Var t) {
                                         return task(consume_k, {t}, {C[t], t});
                                       }),
                               task(after, {}, {A, 7}),
                           }));
    const Workload w = connect({producer("a", 0, "na"), producer("b", 100, "nb"), consumer}, {ch});
    for (auto [na, nb] : {std::pair<std::int64_t, std::int64_t>{3, 5}, {0, 4}, {0, 0}}) {
      Tensor p = Tensor::zeros(DType::i64, {200, 1}), c = Tensor::zeros(DType::i64, {200, 1});
      Tensor a = Tensor::zeros(DType::i64, {1});
      Bindings b;
      b.set("na", na).set("nb", nb).set_tensor("P", p).set_tensor("C", c).set_tensor("A", a);
      Program prog = compile(w, on(target));
      prog.execute(b);
      prog.synchronize();
      const auto& log = prog.task_log();
      std::vector<std::int64_t> taken;
      std::int64_t last_take_end = 0, after_start = -1;
      for (const TaskEvent& e : log) {
        if (e.kernel == "take") {
          taken.push_back(e.axes[0].second);
          last_take_end = std::max(last_take_end, e.end_ns);
        }
        if (e.kernel == "after") after_start = e.start_ns;
      }
      std::sort(taken.begin(), taken.end());
      std::vector<std::int64_t> want(static_cast<std::size_t>(na + nb));
      for (std::size_t k = 0; k < want.size(); ++k) want[k] = static_cast<std::int64_t>(k);
      EXPECT_EQ(taken, want) << target << " " << na << "+" << nb;  // every item once, drained
      EXPECT_GE(after_start, last_take_end) << target;
      EXPECT_EQ(a.data<std::int64_t>()[0], 7);
    }
  }
}

TEST(CspReplicate, EachItemGoesToExactlyOneInstance) {
  for (const std::string target : {"cpu", "sim"}) {
    Kernel gen = tag_kernel("gen"), work = tag_kernel("work");
    TensorRef G = tensor("G", DType::i64, 2), W = tensor("W", DType::i64, 2);
    Channel jobs("jobs", 4);
    // The generator is one instance (instance 0): its tasks carry the axis too.
    Process generator = process("generator").produces({jobs}).body([&](Var inst) {
      return for_each(DenseDyn("n"), "i", [&](Var i) {
        return send(jobs, task(gen, {inst, i}, {G[i], i}));
      });
    });
    Process worker = replicate(process("worker").consumes({jobs}).body([&](Var inst) {
      return consume(jobs, "j", [&](Var j) { return task(work, {inst, j}, {W[j], inst}); });
    }),
                               4);
    const Workload w = connect({generator, worker}, {jobs});
    Tensor g = Tensor::zeros(DType::i64, {50, 1}), out = Tensor::zeros(DType::i64, {50, 1});
    Bindings b;
    b.set("n", 50).set_tensor("G", g).set_tensor("W", out);
    Program prog =
        compile(w, Schedule{}.queues(4).dispatch(affinity(axis("instance"))), on(target));
    prog.execute(b);
    prog.synchronize();
    std::map<std::int64_t, int> seen;
    for (const TaskEvent& e : prog.task_log()) {
      if (e.kernel != "work") continue;
      const std::int64_t inst = e.axes[0].second, j = e.axes[1].second;
      ++seen[j];
      EXPECT_EQ(inst, j % 4) << target;
      EXPECT_EQ(e.home_queue, inst) << "the instance is a dispatch key";
      EXPECT_EQ(out.data<std::int64_t>()[j], inst);
    }
    EXPECT_EQ(seen.size(), 50u) << target;
    for (const auto& [j, count] : seen) EXPECT_EQ(count, 1) << "item " << j;
  }
}

TEST(CspCompose, PipelinesInsideSequentialAndCombine) {
  for (const std::string target : {"cpu", "sim"}) {
    Megakernel m = megakernel(6, 2);
    Kernel after = tag_kernel("after"), beside = tag_kernel("beside");
    TensorRef A = tensor("A", DType::i64, 1), B = tensor("B", DType::i64, 1);
    const Workload w =
        combine({sequential({m.workload, task(after, {}, {A, 1})}), task(beside, {}, {B, 2})});
    Tensor a = Tensor::zeros(DType::i64, {1}), bt = Tensor::zeros(DType::i64, {1});
    Bindings b = m.bindings();
    b.set_tensor("A", a).set_tensor("B", bt);
    Program prog = compile(w, on(target));
    prog.execute(b);
    prog.synchronize();
    EXPECT_TRUE(correct(m));
    std::int64_t pipeline_end = 0, after_start = -1;
    for (const TaskEvent& e : prog.task_log()) {
      if (e.kernel == "after")
        after_start = e.start_ns;
      else if (e.kernel != "beside")
        pipeline_end = std::max(pipeline_end, e.end_ns);
    }
    EXPECT_GE(after_start, pipeline_end) << target;
    EXPECT_EQ(a.data<std::int64_t>()[0], 1);
    EXPECT_EQ(bt.data<std::int64_t>()[0], 2);
  }
}

TEST(CspEvents, SynchronizeWaitsForTheRecordedPoint) {
  for (const std::string target : {"cpu", "sim"}) {
    Kernel slow = make_kernel("slow", {Out("out", DType::i64, 1)}, [](const TaskArgs& a) {
                    std::this_thread::sleep_for(std::chrono::microseconds(300));
                    a.tensor(0).data<std::int64_t>()[0] = 1;
                  }).with_cost([](const TaskArgs&) {
      return KernelCost{CoreKind::Vector, 0, 5000};
    });
    Kernel fast = tag_kernel("fast"), probe = tag_kernel("probe");
    TensorRef X = tensor("X", DType::i64, 1), Y = tensor("Y", DType::i64, 1),
              Z = tensor("Z", DType::i64, 1);
    Event ev("done");
    Process a = process("a").produces({ev}).body(sequential({task(slow, {}, {X}), record(ev)}));
    Process b =
        process("b").consumes({ev}).body(sequential({synchronize(ev), task(fast, {}, {Y, 3})}));
    Process c = process("c").body(query(ev, task(probe, {}, {Z, 1}), task(probe, {}, {Z, 2})));
    const Workload w = connect({a, b, c}, {ev});
    Tensor x = Tensor::zeros(DType::i64, {1}), y = Tensor::zeros(DType::i64, {1}),
           z = Tensor::zeros(DType::i64, {1});
    Bindings bind;
    bind.set_tensor("X", x).set_tensor("Y", y).set_tensor("Z", z);
    Program prog = compile(w, on(target));
    prog.execute(bind);
    prog.synchronize();
    const auto& log = prog.task_log();
    auto of = [&](const char* k) {
      return *std::find_if(log.begin(), log.end(),
                           [&](const TaskEvent& e) { return e.kernel == k; });
    };
    EXPECT_GE(of("fast").start_ns, of("slow").end_ns) << target;
    // Process c is generated after a has recorded (processes run in order at generation).
    EXPECT_EQ(z.data<std::int64_t>()[0], 1);
  }
}

// --- deadlocks
// ------------------------------------------------------------------------------------------

Kernel noop(const std::string& name) {
  return make_kernel(name, {Out("out", DType::i64, 1)}, [](const TaskArgs&) {})
      .with_cost([](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, 100};
      });
}

void expect_deadlock(const Workload& w, const Bindings& b,
                     std::initializer_list<std::string> parts) {
  for (const std::string target : {"cpu", "sim"}) {
    for (bool prevalidate : {true, false}) {
      SCOPED_TRACE(target + (prevalidate ? " prevalidated" : " at run time"));
      CompileOptions o = on(target);
      o.prevalidate = prevalidate;
      Program p = compile(w, o);
      ::pto::wsp::testing::expect_throw_msg<DeadlockError>(
          [&] {
            p.execute(b);
            p.synchronize();
          },
          "DeadlockError", parts);
    }
  }
}

TEST(CspDeadlock, ACycleOfChannels) {
  Kernel k = noop("k");
  TensorRef X = tensor("X", DType::i64, 1);
  Channel c1("c1", 1), c2("c2", 1);
  Process a = process("a").consumes({c1}).produces({c2}).body(
      consume(c1, "x", [&](Var x) { return send(c2, task(k, {x}, {X})); }));
  Process b = process("b").consumes({c2}).produces({c1}).body(
      consume(c2, "y", [&](Var y) { return send(c1, task(k, {y}, {X})); }));
  Bindings bind;
  bind.set_tensor("X", Tensor::zeros(DType::i64, {1}));
  expect_deadlock(
      connect({a, b}, {c1, c2}), bind,
      {"deadlock in connect(a, b)", "process 'a' waits to consume item 0 of channel 'c1'",
       "process 'b' waits to consume item 0 of channel 'c2'",
       "channel 'c1' (depth 1): 0 item(s) buffered, 0 sent, open (1 producer(s) running)"});
}

TEST(CspDeadlock, AConsumerOfAChannelNobodySendsTo) {
  Kernel k = noop("k");
  TensorRef X = tensor("X", DType::i64, 1);
  Channel orphan("orphan", 2);
  Process c = process("c").consumes({orphan}).body(
      consume(orphan, "x", [&](Var x) { return task(k, {x}, {X}); }));
  Bindings bind;
  bind.set_tensor("X", Tensor::zeros(DType::i64, {1}));
  expect_deadlock(
      connect({c}, {orphan}), bind,
      {"process 'c' waits to consume item 0 of channel 'orphan'", "open (no producer)"});
}

TEST(CspDeadlock, AFullChannelWhoseConsumerWaitsOnTheProducer) {
  Kernel k = noop("k");
  TensorRef X = tensor("X", DType::i64, 2);
  Channel data("data", 1);
  Event ready("ready");
  Process p =
      process("p")
          .produces({data, ready})
          .body(sequential({
              for_each(DenseDyn("n"), "i", [&](Var i) { return send(data, task(k, {i}, {X[i]})); }),
              record(ready),
          }));
  // The consumer waits for `ready` before taking any item: with more items than the channel
  // holds, the producer can never get to its record.
  Process c = process("c")
                  .consumes({data, ready})
                  .body(sequential({
                      synchronize(ready),
                      consume(data, "x", [&](Var x) { return task(k, {x}, {X[x]}); }),
                  }));
  const Workload w = connect({p, c}, {data, ready});
  Bindings bind;
  bind.set("n", 3).set_tensor("X", Tensor::zeros(DType::i64, {3, 1}));
  expect_deadlock(w, bind,
                  {"process 'p' sends item 1 on channel 'data' and waits for item 0 to be consumed",
                   "process 'c' synchronizes on item 0 of channel 'ready'",
                   "channel 'data' (depth 1): 1 item(s) buffered"});
  // The same program runs when the items fit the channel.
  for (const std::string target : {"cpu", "sim"}) {
    Program prog = compile(w, on(target));
    EXPECT_THROW(
        {
          prog.execute(bind);
          prog.synchronize();
        },
        DeadlockError);
    bind.set("n", 1);
    prog.execute(bind);
    prog.synchronize();
    EXPECT_EQ(prog.stats().tasks, 2);
    bind.set("n", 3);
  }
}

// --- wiring errors
// ---------------------------------------------------------------------------------------

TEST(CspWiring, ErrorsNameProcessAndChannel) {
  Kernel k = noop("k");
  TensorRef X = tensor("X", DType::i64, 1);
  Channel a("a", 1), b("b", 0);
  EXPECT_THROW_MSG(Channel("neg", -1), ChannelError, "Channel 'neg'", "depth -1 is negative");
  EXPECT_THROW_MSG(connect({process("p").produces({a}).body(send(a, task(k, {}, {X})))}, {a}),
                   ChannelError, "channel 'a' is consumed by nobody");
  EXPECT_THROW_MSG(connect({process("p").produces({a}).body(send(b, task(k, {}, {X}))),
                            process("q").consumes({a, b}).body(task(k, {}, {X}))},
                           {a, b}),
                   ChannelError,
                   "process 'p' sends on channel 'b', which it does not declare (produces: a)");
  EXPECT_THROW_MSG(connect({process("p").consumes({b}).produces({b}).body(
                               consume(b, "x", [&](Var) { return send(b, task(k, {}, {X})); }))},
                           {b}),
                   ChannelError, "process 'p' consumes its own output over channel 'b' of depth 0");

  EXPECT_THROW_MSG(connect({process("p").produces({a}).body(task(k, {}, {X}))}, {}), ChannelError,
                   "process 'p' produces channel 'a', which is not connected");
  EXPECT_THROW_MSG(
      connect({process("p").produces({a}).body(task(k, {}, {X})),
               process("q").body(consume(a, "x", [&](Var) { return task(k, {}, {X}); }))},
              {a}),
      ChannelError, "process 'q' consumes channel 'a', which it does not declare (consumes: none)");
  EXPECT_THROW_MSG(connect({process("p")}, {}), ChannelError, "process 'p' has no body");
  EXPECT_THROW_MSG(connect({process("p").produces({a}).body(send(a, task(k, {}, {X}))),
                            process("q").consumes({a}).body(task(k, {}, {X})),
                            process("r").consumes({a}).body(task(k, {}, {X}))},
                           {a}),
                   ChannelError, "channel 'a' is consumed by processes q and r");
  EXPECT_THROW_MSG(replicate(process("w").body(task(k, {}, {X})), 0), ChannelError,
                   "replicate(process 'w', 0)");
  EXPECT_THROW_MSG(lower(send(a, task(k, {}, {X}))), CompileError,
                   "send on channel 'a' outside a process");
}

// --- regressions found in review

Kernel sleepy(const std::string& name, int sleep_us, double cost_us) {
  return make_kernel(name, {Out("out", DType::i64, 1)},
                     [sleep_us](const TaskArgs& a) {
                       std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
                       a.tensor(0).data<std::int64_t>()[0] += 1;
                     })
      .with_cost([cost_us](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, cost_us * 1000};
      });
}

/// Runs `w` on both backends and hands each run's task log to `check`.
template <typename Check>
void on_both(const Workload& w, const Bindings& b, Check&& check) {
  for (const std::string target : {"cpu", "sim"}) {
    SCOPED_TRACE(target);
    Program p = compile(w, on(target));
    p.execute(b);
    p.synchronize();
    check(p.task_log());
  }
}

const TaskEvent& first(const std::vector<TaskEvent>& log, const std::string& kernel) {
  for (const TaskEvent& e : log)
    if (e.kernel == kernel) return e;
  throw std::runtime_error("no task " + kernel);
}

TEST(CspReview, StepsWithoutTasksStillOrderWhatFollows) {
  // synchronize, record and a query without else are bodies without tasks: the step after them
  // must still wait for the step before them.
  Kernel slow = sleepy("slow", 300, 50), fast = sleepy("fast", 0, 1);
  TensorRef A = tensor("A", DType::i64, 1), B = tensor("B", DType::i64, 1);
  Event e("e"), f("f");
  Bindings b;
  b.set_tensor("A", Tensor::zeros(DType::i64, {1})).set_tensor("B", Tensor::zeros(DType::i64, {1}));
  auto check = [](const std::vector<TaskEvent>& log) {
    EXPECT_GE(first(log, "fast").start_ns, first(log, "slow").end_ns);
  };
  // synchronize on an event recorded at once by another process
  on_both(connect({process("r").produces({e}).body(record(e)),
                   process("s").consumes({e}).body(
                       sequential({task(slow, {}, {A}), synchronize(e), task(fast, {}, {B})}))},
                  {e}),
          b, check);
  // record between two steps (and the event synchronized elsewhere)
  on_both(connect({process("r").produces({e}).body(
                       sequential({task(slow, {}, {A}), record(e), task(fast, {}, {B})})),
                   process("s").consumes({e}).body(synchronize(e))},
                  {e}),
          b, check);
  // a query that takes no branch
  on_both(connect({process("q").body(sequential(
                       {task(slow, {}, {A}), query(f, task(slow, {}, {A})), task(fast, {}, {B})})),
                   process("r").produces({f}).body(record(f))},
                  {f}),
          b, check);
  // an empty iteration of a plain for_each (cond without else)
  Kernel step = sleepy("step", 200, 20);
  TensorRef C = tensor("C", DType::i64, 2);
  Bindings bc;
  bc.set_tensor("C", Tensor::zeros(DType::i64, {3, 1}));
  on_both(for_each(Dense<3>(), "i", [&](Var i) { return cond(i != 1, task(step, {i}, {C[i]})); }),
          bc, [](const std::vector<TaskEvent>& log) {
            ASSERT_EQ(log.size(), 2u);
            const TaskEvent& t0 = log[0].axes[0].second == 0 ? log[0] : log[1];
            const TaskEvent& t2 = log[0].axes[0].second == 2 ? log[0] : log[1];
            EXPECT_GE(t2.start_ns, t0.end_ns);
          });
}

TEST(CspReview, ATokenIsReadyAfterEverythingBeforeIt) {
  // A relay consumes an item and forwards a token: the token's consumer must wait for the item's
  // task. A record nested in an inner sequential waits for the outer step before it.
  Kernel slow = sleepy("slow", 300, 50), fast = sleepy("fast", 0, 1);
  TensorRef S = tensor("S", DType::i64, 2), F = tensor("F", DType::i64, 2);
  Channel items("items", 2), tokens("tokens", 2);
  Process p = process("p").produces({items}).body(
      for_each(Dense<3>(), "i", [&](Var i) { return send(items, task(slow, {i}, {S[i]})); }));
  Process relay = process("relay").consumes({items}).produces({tokens}).body(
      consume(items, "x", [&](Var x) { return send(tokens, Expr(x)); }));
  Process sink = process("sink").consumes({tokens}).body(
      consume(tokens, "v", [&](Var v) { return task(fast, {v}, {F[v]}); }));
  Bindings b;
  b.set_tensor("S", Tensor::zeros(DType::i64, {3, 1}))
      .set_tensor("F", Tensor::zeros(DType::i64, {3, 1}));
  on_both(connect({p, relay, sink}, {items, tokens}), b, [](const std::vector<TaskEvent>& log) {
    for (std::int64_t i = 0; i < 3; ++i) {
      EXPECT_GE(find(log, "fast", i).start_ns, find(log, "slow", i).end_ns) << i;
    }
  });
  Event e("e");
  TensorRef A = tensor("A", DType::i64, 1), B = tensor("B", DType::i64, 1);
  Bindings ab;
  ab.set_tensor("A", Tensor::zeros(DType::i64, {1}))
      .set_tensor("B", Tensor::zeros(DType::i64, {1}));
  on_both(
      connect({process("r").produces({e}).body(
                   sequential({task(slow, {}, {A}), sequential({record(e), task(fast, {}, {A})})})),
               process("s").consumes({e}).body(sequential({synchronize(e), task(fast, {}, {B})}))},
              {e}),
      ab, [](const std::vector<TaskEvent>& log) {
        for (const TaskEvent& t : log) {
          if (t.kernel == "fast") {
            EXPECT_GE(t.start_ns, first(log, "slow").end_ns);
          }
        }
      });
}

TEST(CspReview, ASecondConsumeContinuesWhereTheFirstStopped) {
  Kernel k = tag_kernel("k"), a = tag_kernel("a"), bk = tag_kernel("b");
  TensorRef X = tensor("X", DType::i64, 2), Y = tensor("Y", DType::i64, 2),
            Z = tensor("Z", DType::i64, 2);
  Channel ch("ch", 2);
  // The first consume takes all 5 items (the channel closes and drains); the second gets none:
  // no item delivered twice, no false deadlock.
  Process p = process("p").produces({ch}).body(for_each(Dense<5>(), "i", [&](Var i) {
    return send(ch, task(k, {i}, {X[i], i}));
  }));
  Process c = process("c").consumes({ch}).body(sequential({
      consume(ch, "x",
              [&](Var x) {
                return task(a, {x}, {Y[x], x});
              }),
      consume(ch, "y",
              [&](Var y) {
                return task(bk, {y}, {Z[y], y});
              }),
  }));
  Bindings b;
  b.set_tensor("X", Tensor::zeros(DType::i64, {5, 1}))
      .set_tensor("Y", Tensor::zeros(DType::i64, {5, 1}))
      .set_tensor("Z", Tensor::zeros(DType::i64, {5, 1}));
  on_both(connect({p, c}, {ch}), b, [](const std::vector<TaskEvent>& log) {
    int as = 0, bs = 0;
    for (const TaskEvent& e : log) {
      as += e.kernel == "a";
      bs += e.kernel == "b";
    }
    EXPECT_EQ(as, 5);
    EXPECT_EQ(bs, 0);
  });
}

TEST(CspReview, EventsAreBroadcastAndAMissingRecordIsAnError) {
  Kernel slow = sleepy("slow", 300, 50), fast = sleepy("fast", 0, 1);
  TensorRef A = tensor("A", DType::i64, 1), B = tensor("B", DType::i64, 2);
  Event e("e");
  // Every instance of a replicated synchronizer waits for the one record.
  Process r = process("r").produces({e}).body(sequential({task(slow, {}, {A}), record(e)}));
  Process s = replicate(process("s").consumes({e}).body([&](Var inst) {
    return sequential({synchronize(e), task(fast, {inst}, {B[inst]})});
  }),
                        2);
  Bindings b;
  b.set_tensor("A", Tensor::zeros(DType::i64, {1}))
      .set_tensor("B", Tensor::zeros(DType::i64, {2, 1}));
  on_both(connect({r, s}, {e}), b, [](const std::vector<TaskEvent>& log) {
    int n = 0;
    for (const TaskEvent& t : log) {
      if (t.kernel != "fast") continue;
      ++n;
      EXPECT_GE(t.start_ns, first(log, "slow").end_ns) << "instance " << t.axes[0].second;
    }
    EXPECT_EQ(n, 2);
  });
  // Two synchronizes, one record: the second has nothing to wait for once the recorder ended.
  Process twice = process("s").consumes({e}).body(sequential({synchronize(e), synchronize(e)}));
  for (const std::string target : {"cpu", "sim"}) {
    Program p = compile(connect({r, twice}, {e}), on(target));
    ::pto::wsp::testing::expect_throw_msg<ChannelClosed>(
        [&] {
          p.execute(b);
          p.synchronize();
        },
        "ChannelClosed", {"synchronize on 'e' in process 's'", "ended after 1 record(s)"});
  }
}

TEST(CspReview, RecordedPointsOrderDataAcrossProcesses) {
  // The writer records after each write; the reader synchronizes before each read: read i sees
  // write i (the recorder cannot run ahead of the synchronizer in program order).
  Kernel write =
      make_kernel("write", {Out("x", DType::i64, 1), Scalar("v")}, [](const TaskArgs& a) {
        a.tensor(0).data<std::int64_t>()[0] = a.scalar(1).i;
      }).with_cost([](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, 1000};
      });
  Kernel read =
      make_kernel("read", {In("x", DType::i64, 1), Out("y", DType::i64, 1)}, [](const TaskArgs& a) {
        a.tensor(1).data<std::int64_t>()[0] = a.tensor(0).data<std::int64_t>()[0];
      }).with_cost([](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, 1000};
      });
  TensorRef X = tensor("X", DType::i64, 1), Y = tensor("Y", DType::i64, 2);
  Event e("e");
  Process w = process("w").produces({e}).body(for_each(Dense<3>(), "i", [&](Var i) {
    return sequential({task(write, {i}, {X, i}), record(e)});
  }));
  Process r = process("r").consumes({e}).body(for_each(Dense<3>(), "i", [&](Var i) {
    return sequential({synchronize(e), task(read, {i}, {X, Y[i]})});
  }));
  for (const std::string target : {"cpu", "sim"}) {
    Tensor y = Tensor::zeros(DType::i64, {3, 1});
    Bindings b;
    b.set_tensor("X", Tensor::zeros(DType::i64, {1})).set_tensor("Y", y);
    Program p = compile(connect({w, r}, {e}), on(target));
    p.execute(b);
    p.synchronize();
    EXPECT_EQ(std::vector<std::int64_t>(y.data<std::int64_t>(), y.data<std::int64_t>() + 3),
              (std::vector<std::int64_t>{0, 1, 2}))
        << target;
  }
}

TEST(CspReview, AChannelBelongsToOneConnect) {
  Kernel k = noop("k");
  TensorRef X = tensor("X", DType::i64, 1);
  Channel c("c", 1);
  Workload inner = connect(
      {process("ip").produces({c}).body(send(c, task(k, {}, {X}))),
       process("ic").consumes({c}).body(consume(c, "x", [&](Var) { return task(k, {}, {X}); }))},
      {c});
  Workload outer = connect(
      {process("op").produces({c}).body(sequential({inner, send(c, task(k, {}, {X}))})),
       process("oc").consumes({c}).body(consume(c, "y", [&](Var) { return task(k, {}, {X}); }))},
      {c});
  EXPECT_THROW_MSG(lower(outer), CompileError,
                   "channel 'c' is already connected by another connect()");
}

// --- schedules and backends agree
// ---------------------------------------------------------------------

TEST(CspSchedules, EveryPolicyGivesIdenticalResults) {
  const std::vector<Schedule> schedules = {
      Schedule{},
      Schedule{}.queues(3).dispatch(round_robin(3)),
      Schedule{}.queues(2).dispatch(affinity(axis("i") % 2)),
      Schedule{}.queues(2).dispatch(work_steal()),
      Schedule{}.queues(3).dispatch(hash(axis("i"))),
      Schedule{}.queues(2).dispatch(dispatch_by([](const TaskView& t) { return t.get("i") % 2; })),
      Schedule{}.streams(2),
      Schedule{}.streams(3).stream_by(axis("i") % 3),
      Schedule{}.timing(interleaved(2)),
      Schedule{}.timing(batched(3)),
      Schedule{}.issue(priority(axis("i") * -1)),
      Schedule{}.timing(rate_limit(100000)),
      Schedule{}.task_graph(TaskWindow(2, WindowMode::Stall)),
  };
  std::vector<float> want;
  for (const std::string target : {"cpu", "sim"}) {
    for (const Schedule& s : schedules) {
      const Megakernel m = megakernel(20, 2);
      run(m, on(target, 3), s);
      std::vector<float> got(m.dst.data<float>(), m.dst.data<float>() + m.dst.numel());
      if (want.empty()) want = got;
      EXPECT_EQ(got, want) << target;
      EXPECT_TRUE(correct(m)) << target;
    }
  }
}

}  // namespace
}  // namespace pto::wsp
