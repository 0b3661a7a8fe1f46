// Every schedule policy on the cpu backend, checked from the Chrome trace JSON the run writes
// (not from internal counters): queue assignment, stream order and non-overlap, batch groups,
// interleaving, the rate bound, the window bound, dependency order, priority order and stealing;
// and results bit-identical under every schedule.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/expect_error.hpp"
#include "workloads/workloads.hpp"

namespace pto::wsp {
namespace {

// One task as the trace file records it (times back in ns).
struct Event {
  std::uint64_t id;
  int worker, queue, home_queue, stream;
  std::int64_t issue_seq, issue_group, priority;
  std::int64_t gen, ready, issue, start, end, done;
  std::vector<std::uint64_t> deps;
  std::map<std::string, std::int64_t> axes;
};

std::int64_t ns(const nlohmann::json& us) {
  return std::llround(us.get<double>() * 1000.0);
}

std::vector<Event> parse_trace(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  std::vector<Event> out;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    const auto& a = e.at("args");
    Event ev{a.at("task").get<std::uint64_t>(),
             a.at("worker").get<int>(),
             a.at("queue").get<int>(),
             a.at("home_queue").get<int>(),
             a.at("stream").get<int>(),
             a.at("issue_seq").get<std::int64_t>(),
             a.at("issue_group").get<std::int64_t>(),
             a.at("priority").get<std::int64_t>(),
             ns(a.at("gen_ts")),
             ns(a.at("ready_ts")),
             ns(a.at("issue_ts")),
             ns(e.at("ts")),
             ns(e.at("ts")) + ns(e.at("dur")),
             ns(a.at("done_ts")),
             a.at("deps").get<std::vector<std::uint64_t>>(),
             a.at("axes").get<std::map<std::string, std::int64_t>>()};
    EXPECT_EQ(e.at("tid").get<int>(), ev.worker);
    out.push_back(std::move(ev));
  }
  std::sort(out.begin(), out.end(), [](const Event& x, const Event& y) { return x.id < y.id; });
  return out;
}

struct Outcome {
  std::vector<Event> events;
  ProgramStats stats;
  std::vector<std::uint64_t> checksums;
};

// Options for `backend` with `threads` workers: on sim, a small machine with `threads` vector
// cores, two AICPUs and short but non-zero latencies, computing results so they can be compared.
CompileOptions options_for(const std::string& backend, int threads) {
  CompileOptions o;
  o.target = backend;
  if (backend == "sim") {
    Machine m = Machine::defaults();
    m.aicpus = 2;
    m.vector_cores = threads;
    m.cube_cores = 1;
    m.host_task_ns = 50;
    m.host_to_aicpu_ns = 500;
    m.host_to_core_ns = 500;
    m.aicpu_dispatch_ns = 40;
    m.aicpu_complete_ns = 60;
    m.completion_poll_ns = 20;
    o.machine = m;
    o.compute = true;
  } else {
    o.threads = threads;
  }
  return o;
}

Outcome run_on(const std::string& backend, const workloads::SyntheticOptions& shape,
               const Schedule& schedule, int threads) {
  const workloads::Instance inst = workloads::synthetic(shape);
  CompileOptions o = options_for(backend, threads);
  o.record_tasks = true;
  Program p = compile(inst.workload, schedule, o);
  p.execute(inst.bindings);
  p.synchronize();
  Outcome r{parse_trace(p.trace().chrome_json()), p.stats(), {}};
  for (const auto& [name, t] : inst.outputs) r.checksums.push_back(workloads::checksum(t));
  EXPECT_EQ(static_cast<std::int64_t>(r.events.size()), r.stats.tasks);
  for (std::size_t i = 0; i < r.events.size(); ++i) EXPECT_EQ(r.events[i].id, i);
  return r;
}

// Every test runs on both backends: the invariants are the scheduler core's, whatever the clock.
class Policy : public ::testing::TestWithParam<std::string> {
 protected:
  Outcome run(const workloads::SyntheticOptions& shape, const Schedule& schedule, int threads) {
    return run_on(GetParam(), shape, schedule, threads);
  }
  CompileOptions options(int threads) const { return options_for(GetParam(), threads); }
};

workloads::SyntheticOptions shape(std::string name, std::int64_t batch, std::int64_t tasks,
                                  double cost_us = 0.0) {
  return workloads::SyntheticOptions{std::move(name), batch, tasks, cost_us};
}

// Invariants every run satisfies: a task starts after it was generated, became ready and was
// released; after the tasks it depends on ended; and tasks on one worker never overlap.
void expect_common_invariants(const Outcome& r) {
  std::map<int, std::vector<const Event*>> by_worker;
  for (const Event& e : r.events) {
    EXPECT_LE(e.gen, e.ready) << "task " << e.id;
    EXPECT_LE(e.ready, e.issue) << "task " << e.id;
    EXPECT_LE(e.issue, e.start) << "task " << e.id;
    EXPECT_LE(e.start, e.end) << "task " << e.id;
    for (std::uint64_t d : e.deps) {
      ASSERT_LT(d, e.id);
      EXPECT_LE(r.events[d].end, e.start) << "task " << e.id << " started before its dep " << d;
    }
    by_worker[e.worker].push_back(&e);
  }
  for (auto& [w, list] : by_worker) {
    std::sort(list.begin(), list.end(),
              [](const Event* a, const Event* b) { return a->start < b->start; });
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_LE(list[i - 1]->end, list[i]->start) << "worker " << w << " overlaps";
    }
  }
}

TEST_P(Policy, RoundRobinSendsTaskKToQueueKModN) {
  const Outcome r = run(shape("grid", 4, 96), Schedule{}.dispatch(round_robin(3)), 2);
  expect_common_invariants(r);
  for (const Event& e : r.events) {
    EXPECT_EQ(e.home_queue, static_cast<int>(e.id % 3));
    EXPECT_EQ(e.queue, e.home_queue);
  }
  EXPECT_EQ(r.stats.queues, 3);
}

TEST_P(Policy, AffinityKeepsEqualKeysTogetherKeyModN) {
  const Outcome r =
      run(shape("layers", 6, 60), Schedule{}.queues(4).dispatch(affinity(axis("b"))), 2);
  expect_common_invariants(r);
  for (const Event& e : r.events) EXPECT_EQ(e.home_queue, e.axes.at("b") % 4);
}

TEST_P(Policy, HashKeepsEqualKeysTogetherAndScatters) {
  const Outcome r = run(shape("grid", 16, 64), Schedule{}.queues(4).dispatch(hash(axis("b"))), 2);
  expect_common_invariants(r);
  std::map<std::int64_t, int> queue_of_key;
  std::set<int> used;
  for (const Event& e : r.events) {
    const auto [it, fresh] = queue_of_key.emplace(e.axes.at("b"), e.home_queue);
    EXPECT_EQ(it->second, e.home_queue) << "key " << e.axes.at("b") << " on two queues";
    EXPECT_GE(e.home_queue, 0);
    EXPECT_LT(e.home_queue, 4);
    used.insert(e.home_queue);
  }
  EXPECT_GE(used.size(), 3u) << "16 keys should reach most of 4 queues";
}

TEST_P(Policy, DispatchByCallableAndItsRangeCheck) {
  const Schedule s =
      Schedule{}.queues(2).dispatch(dispatch_by([](const TaskView& t) { return t.get("t") % 2; }));
  const Outcome r = run(shape("grid", 2, 40), s, 2);
  for (const Event& e : r.events) EXPECT_EQ(e.home_queue, e.axes.at("t") % 2);

  // A key outside [0, queues) is found before anything runs.
  const workloads::Instance inst = workloads::synthetic(shape("grid", 2, 8));
  Program p =
      compile(inst.workload, Schedule{}.queues(2).dispatch(dispatch_by(axis("t"))), options(2));
  EXPECT_THROW_MSG(p.execute(inst.bindings), ExecutionError, "dispatch_by: task 2", "b=0, t=2",
                   "queue 2, outside [0, 2)");
  EXPECT_TRUE(p.is_complete());
}

// Tasks of one stream start in issue order and never overlap.
void expect_streams_in_order(const Outcome& r) {
  std::map<std::pair<int, int>, std::vector<const Event*>> streams;
  for (const Event& e : r.events) {
    ASSERT_GE(e.stream, 0);
    streams[{e.home_queue, e.stream}].push_back(&e);  // by id: issue order
  }
  for (const auto& [key, list] : streams) {
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_LE(list[i - 1]->end, list[i]->start)
          << "queue " << key.first << " stream " << key.second << ": task " << list[i]->id
          << " started before task " << list[i - 1]->id << " ended";
    }
  }
}

TEST_P(Policy, StreamsStartInIssueOrderAndNeverOverlap) {
  const Schedule keyed = Schedule{}.queues(2).streams(3).stream_by(axis("t") % 3);
  const Outcome a = run(shape("grid", 4, 120, 2.0), keyed, 3);
  expect_common_invariants(a);
  expect_streams_in_order(a);
  for (const Event& e : a.events) EXPECT_EQ(e.stream, e.axes.at("t") % 3);
  // Without a key, streams take the queue's tasks round-robin.
  const Outcome b = run(shape("layers", 4, 80), Schedule{}.queues(2).streams(2), 2);
  expect_common_invariants(b);
  expect_streams_in_order(b);
  std::map<int, int> next;
  for (const Event& e : b.events) {
    EXPECT_EQ(e.stream, next[e.home_queue]++ % 2);
  }
}

TEST_P(Policy, StreamsAndStealingHoldWithManyShortTasks) {
  // Thousands of empty tasks: on cpu, workers take several at once (docs/engine.md); a stream's
  // tasks must still start in issue order one at a time, and steals stay steals.
  const Outcome streams = run(shape("grid", 4, 4000, 0.0), Schedule{}.queues(1).streams(8), 2);
  expect_common_invariants(streams);
  expect_streams_in_order(streams);
  const Outcome steal =
      run(shape("grid", 4, 4000, 0.0), Schedule{}.queues(2).dispatch(work_steal(axis("b"))), 2);
  expect_common_invariants(steal);
  EXPECT_EQ(steal.events.size(), 4000u);
}

TEST_P(Policy, BatchedReleasesGroupsOfN) {
  for (int threads : {1, 3}) {
    const Outcome r = run(shape("grid", 5, 110), Schedule{}.queues(2).timing(batched(4)), threads);
    expect_common_invariants(r);
    // Per queue: groups in release order, all of size 4 but the last, released at one instant.
    std::map<int, std::map<std::int64_t, std::vector<const Event*>>> groups;
    for (const Event& e : r.events) groups[e.queue][e.issue_group].push_back(&e);
    for (const auto& [q, by_group] : groups) {
      std::size_t n = 0;
      for (const auto& [g, list] : by_group) {
        ++n;
        if (n < by_group.size()) {
          EXPECT_EQ(list.size(), 4u) << "queue " << q << " group " << g;
        } else {
          EXPECT_LE(list.size(), 4u) << "queue " << q << " group " << g << " threads " << threads
                                     << " groups " << by_group.size();
        }
        for (const Event* e : list) EXPECT_EQ(e->issue, list.front()->issue);
      }
    }
  }
  // A chain never fills a group: partial groups are released instead of waiting forever.
  const Outcome chain = run(shape("chain", 2, 12), Schedule{}.timing(batched(3)), 2);
  expect_common_invariants(chain);
  EXPECT_EQ(chain.events.size(), 12u);
}

TEST_P(Policy, InterleavedRotatesAcrossStreamsSkippingEmptyOnes) {
  // Uneven streams (t % 5 % 3 puts 2 of every 5 tasks on streams 0 and 1, 1 on stream 2), one
  // worker: each release is the next stream after the previous one that had a task to start.
  const Schedule sched = Schedule{}.queues(1).stream_by(axis("t") % 5 % 3).timing(interleaved(3));
  const Outcome r = run(shape("grid", 2, 60), sched, 1);
  expect_common_invariants(r);
  expect_streams_in_order(r);
  std::vector<const Event*> order;
  for (const Event& e : r.events) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const Event* a, const Event* b) { return a->issue_seq < b->issue_seq; });
  std::map<int, std::vector<const Event*>> stream_tasks;
  for (const Event& e : r.events) stream_tasks[e.stream].push_back(&e);
  // Was stream s's next task startable when release k happened?
  auto startable = [&](int s, const Event* release) {
    const auto& list = stream_tasks[s];
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i]->issue_seq < release->issue_seq) continue;
      const bool pred_done = i == 0 || list[i - 1]->done <= release->issue;
      return list[i]->ready <= release->issue && pred_done;
    }
    return false;
  };
  int skipped = 0;
  for (std::size_t k = 1; k < order.size(); ++k) {
    for (int s = (order[k - 1]->stream + 1) % 3; s != order[k]->stream; s = (s + 1) % 3) {
      EXPECT_FALSE(startable(s, order[k])) << "release " << k << " skipped stream " << s;
      ++skipped;
    }
  }
  EXPECT_GT(skipped, 0) << "uneven streams must be skipped sometimes";
}

TEST_P(Policy, RateLimitAllowsAtMostRStartsPerMillisecond) {
  const Outcome r = run(shape("grid", 3, 45), Schedule{}.queues(2).timing(rate_limit(6)), 2);
  expect_common_invariants(r);
  std::vector<std::int64_t> starts;
  for (const Event& e : r.events) starts.push_back(e.start);
  std::sort(starts.begin(), starts.end());
  // Any r + 1 consecutive starts span at least 1 ms.
  for (std::size_t i = 0; i + 6 < starts.size(); ++i) {
    EXPECT_GE(starts[i + 6] - starts[i], 1'000'000) << "starts " << i << ".." << i + 6;
  }
  EXPECT_GT(r.stats.idle_ns, 0) << "workers wait for the rate by sleeping";
}

TEST_P(Policy, RateLimitHoldsForLargeRates) {
  // More starts per millisecond than the limiter's initial memory: its ring grows, exactly.
  const Outcome r = run(shape("grid", 4, 4000), Schedule{}.timing(rate_limit(1500)), 2);
  std::vector<std::int64_t> starts;
  for (const Event& e : r.events) starts.push_back(e.start);
  std::sort(starts.begin(), starts.end());
  for (std::size_t i = 0; i + 1500 < starts.size(); ++i) {
    ASSERT_GE(starts[i + 1500] - starts[i], 1'000'000) << "starts " << i << ".." << i + 1500;
  }
  EXPECT_THROW_MSG(rate_limit(1'000'001), ScheduleError, "rate_limit(1000001)",
                   "at most 1000000 starts per millisecond");
}

TEST_P(Policy, WindowBoundHoldsUnderEverySchedule) {
  for (const Schedule& s :
       {Schedule{}.queues(3).streams(2), Schedule{}.timing(batched(2)),
        Schedule{}.queues(2).dispatch(work_steal()), Schedule{}.issue(priority(axis("t") * -1))}) {
    const Outcome r =
        run(shape("layers", 4, 64), s.task_graph(TaskWindow{5, WindowMode::Stall}), 3);
    expect_common_invariants(r);
    std::vector<std::pair<std::int64_t, int>> points;  // ends sort before gens at one instant
    for (const Event& e : r.events) {
      points.emplace_back(e.gen, +1);
      points.emplace_back(e.end, -1);
    }
    std::sort(points.begin(), points.end());
    int live = 0, high = 0;
    for (const auto& [t, d] : points) high = std::max(high, live += d);
    EXPECT_LE(high, 5) << s.to_string();
    EXPECT_LE(r.stats.window_high_water, 5);
    EXPECT_GT(r.stats.window_stalls, 0);
  }
}

TEST_P(Policy, PriorityStartsTheLowestKeyAmongReadyTasks) {
  // One worker, so "ready and not yet released" at each release is exact from the trace.
  const Schedule s = Schedule{}.queues(1).issue(priority((axis("t") * 7) % 11 - axis("b")));
  const Outcome r = run(shape("layers", 3, 66, 1.0), s, 1);
  expect_common_invariants(r);
  std::vector<const Event*> order;
  for (const Event& e : r.events) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const Event* a, const Event* b) { return a->issue_seq < b->issue_seq; });
  int choices = 0;
  for (const Event* chosen : order) {
    for (const Event& other : r.events) {
      if (other.issue_seq <= chosen->issue_seq || other.ready > chosen->issue) continue;
      ++choices;
      EXPECT_TRUE(chosen->priority < other.priority ||
                  (chosen->priority == other.priority && chosen->id < other.id))
          << "released task " << chosen->id << " (key " << chosen->priority
          << ") before ready task " << other.id << " (key " << other.priority << ")";
    }
  }
  EXPECT_GT(choices, 100) << "the test must see simultaneously ready tasks";
  for (const Event& e : r.events) {
    EXPECT_EQ(e.priority, (e.axes.at("t") * 7) % 11 - e.axes.at("b"));
  }
}

TEST_P(Policy, WorkStealingMovesWorkFromTheBusiestQueue) {
  // Home queue = b % 2: queue 1 holds the expensive rows of `imbalanced`.
  const Schedule s = Schedule{}.queues(2).dispatch(work_steal(axis("b")));
  const Outcome r = run(shape("imbalanced", 2, 40, 20.0), s, 2);
  expect_common_invariants(r);
  std::int64_t moved = 0;
  for (const Event& e : r.events) {
    EXPECT_EQ(e.home_queue, e.axes.at("b") % 2);
    if (e.queue != e.home_queue) ++moved;
  }
  EXPECT_GT(moved, 0);
  EXPECT_EQ(moved, r.stats.stolen);
}

TEST_P(Policy, ResultsAreBitIdenticalUnderEverySchedule) {
  const std::vector<Schedule> schedules = {
      Schedule{},
      Schedule{}.dispatch(round_robin(3)),
      Schedule{}.queues(3).dispatch(affinity(axis("b"))),
      Schedule{}.queues(2).dispatch(hash(axis("t"))),
      Schedule{}.queues(2).streams(2).stream_by(axis("t")),
      Schedule{}.queues(2).streams(3).timing(interleaved(3)),
      Schedule{}.timing(batched(4)),
      Schedule{}.timing(rate_limit(50)),
      Schedule{}.queues(3).dispatch(work_steal()),
      Schedule{}.issue(priority(axis("t") * -1)),
      Schedule{}.task_graph(TaskWindow{3, WindowMode::Stall}),
  };
  for (const char* name : {"chain", "layers"}) {
    // The reference is the cpu backend's: sim (computing in simulated order) must match it.
    const Outcome reference = run_on("cpu", shape(name, 3, 36), Schedule{}, 1);
    for (const Schedule& s : schedules) {
      for (int threads : {1, 3}) {
        const Outcome r = run(shape(name, 3, 36), s, threads);
        expect_common_invariants(r);
        EXPECT_EQ(r.checksums, reference.checksums) << name << " " << s.to_string();
      }
    }
  }
}

TEST_P(Policy, StatsAddUp) {
  const Outcome r = run(shape("chain", 2, 20, 5.0), Schedule{}, 2);
  // A chain: the critical path is every task's kernel time.
  std::int64_t busy = 0;
  for (const auto& w : r.stats.workers) busy += w.busy_ns;
  EXPECT_EQ(r.stats.critical_path_ns, busy);
  EXPECT_GE(r.stats.critical_path_ns, 20 * 5000);
  EXPECT_GE(r.stats.scheduling_ns, 0);
  EXPECT_EQ(r.stats.window_stalls, 0);
  EXPECT_EQ(r.stats.window_high_water, 20);  // nothing retires before generation is done
  // A grid: the critical path is the longest single task.
  const Outcome g = run(shape("grid", 2, 20, 5.0), Schedule{}, 2);
  std::int64_t longest = 0;
  for (const Event& e : g.events) longest = std::max(longest, e.end - e.start);
  EXPECT_GE(g.stats.critical_path_ns, 5000);
  EXPECT_LE(g.stats.critical_path_ns, longest);
}

TEST_P(Policy, AbortWindowRaisesNamingTheWindow) {
  const workloads::Instance inst = workloads::synthetic(shape("grid", 2, 40));
  Program p =
      compile(inst.workload, Schedule{}.task_graph(TaskWindow{4, WindowMode::Abort}), options(2));
  p.execute(inst.bindings);
  EXPECT_THROW_MSG(p.synchronize(), ExecutionError, "TaskWindow(4, ABORT)", "window of 4 tasks");
}

// Workers that help parallel generation must not miss work pushed for their own queue meanwhile
// (one worker per queue, so nobody else would take it): every run finishes.
TEST(CpuPolicy, HelpersOfParallelGenerationSeeWorkForTheirQueue) {
  const workloads::Instance inst = workloads::synthetic(shape("grid", 256, 1024, 0.0));
  CompileOptions o;
  o.threads = 2;
  o.parallel_generation = true;
  Program p = compile(inst.workload, Schedule{}.queues(2), o);
  for (int run = 0; run < 30; ++run) {
    p.execute(inst.bindings);
    p.synchronize();
    ASSERT_EQ(p.stats().tasks, 1024);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Policy, ::testing::Values("cpu", "sim"),
                         [](const auto& p) { return std::string(p.param); });

}  // namespace
}  // namespace pto::wsp
