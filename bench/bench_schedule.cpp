// Scheduling cost of every schedule policy on the cpu backend: ns per task for a grid of tasks
// that do (almost) nothing, so the difference to the FIFO row is what the policy adds. And the
// CPU time of a rate-limited run against its wall time: waiting workers sleep, they do not spin.
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include <chrono>

#include "engine/dispatcher.hpp"
#include "engine/engine.hpp"
#include "engine/scheduler.hpp"
#include "workloads/workloads.hpp"

namespace {

using namespace pto::wsp;

Schedule policy(int which) {
  switch (which) {
    case 0:
      return Schedule{};
    case 1:
      return Schedule{}.dispatch(round_robin(4));
    case 2:
      return Schedule{}.queues(4).dispatch(affinity(axis("b")));
    case 3:
      return Schedule{}.queues(4).dispatch(hash(axis("t")));
    case 4:
      return Schedule{}.queues(4).dispatch(
          dispatch_by([](const TaskView& t) { return t.get("t") % 4; }));
    case 5:
      return Schedule{}.queues(4).dispatch(work_steal());
    case 6:
      return Schedule{}.streams(4);
    case 7:
      return Schedule{}.streams(4).stream_by(axis("t") % 4);
    case 8:
      return Schedule{}.timing(batched(8));
    case 9:
      return Schedule{}.streams(4).timing(interleaved(4));
    case 10:
      return Schedule{}.issue(priority(axis("t") * -1));
    case 11:
      return Schedule{}.timing(rate_limit(1000000));  // never binding: the cost of the check
    default:
      return Schedule{};
  }
}

void BM_Policy(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const workloads::Instance inst =
      workloads::synthetic(workloads::SyntheticOptions{"grid", 16, 32768, 0.0});
  CompileOptions o;
  o.threads = threads;
  const Schedule s = policy(which);
  Program p = compile(inst.workload, s, o);
  std::int64_t tasks = 0;
  for (auto _ : state) {
    p.execute(inst.bindings);
    p.synchronize();
    tasks += p.stats().tasks;
  }
  state.SetLabel(s.to_string());
  state.counters["ns/task"] = benchmark::Counter(
      static_cast<double>(tasks), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Policy)
    ->ArgsProduct({benchmark::CreateDenseRange(0, 11, 1), {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The scheduler core alone, on one thread with no kernels: generate, dispatch, push, pick, finish,
// complete. Differences to the FIFO row are what each policy costs the core per task, free of
// thread hand-over noise.
void BM_Core(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  const workloads::Instance inst =
      workloads::synthetic(workloads::SyntheticOptions{"grid", 16, 1 << 16, 0.0});
  const Plan plan = lower(inst.workload);
  const BoundValues values = bind(plan, inst.bindings);
  const Schedule s = policy(which);
  engine::Dispatcher dispatcher(plan, s);
  engine::Engine e(plan, engine::EngineOptions{8192, WindowMode::Stall, 1, &dispatcher});
  engine::Scheduler sched(e, s, 1);
  std::vector<std::uint32_t> ready;
  std::int64_t tasks = 0, now = 0;
  for (auto _ : state) {
    e.start(values);
    sched.start();
    for (bool exhausted = false; !exhausted || sched.queued() > 0;) {
      e.reclaim();
      const engine::GenerateResult r = e.generate(256, now, ready);
      exhausted = r.exhausted;
      for (std::uint32_t slot : ready) sched.push(slot);
      ready.clear();
      for (;;) {
        const engine::Scheduler::Pick p = sched.pick(0, ++now);
        if (p.slot == engine::kNone) {
          if (exhausted && sched.flush(now)) continue;
          break;
        }
        e.complete(p.slot, 1, ready);
        sched.finish(p.slot);
        e.retire(p.slot);
        ++tasks;
        for (std::uint32_t slot : ready) sched.push(slot);
        ready.clear();
      }
    }
  }
  state.SetLabel(s.to_string());
  state.counters["ns/task"] = benchmark::Counter(
      static_cast<double>(tasks), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Core)->DenseRange(0, 11, 1)->UseRealTime()->Unit(benchmark::kMillisecond);

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// 400 tasks of 10 µs at 20 starts per ms: about 20 ms of wall time for 4 ms of work. CPU time
// (all threads) stays near the work when waiting workers sleep; spinning would add ~2 x wall.
void BM_RateLimitCpuTime(benchmark::State& state) {
  const workloads::Instance inst =
      workloads::synthetic(workloads::SyntheticOptions{"grid", 4, 400, 10.0});
  CompileOptions o;
  o.threads = 2;
  Program p = compile(inst.workload, Schedule{}.timing(rate_limit(20)), o);
  double cpu = 0, wall = 0, work = 0;
  for (auto _ : state) {
    const double c0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    p.execute(inst.bindings);
    p.synchronize();
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu += process_cpu_seconds() - c0;
    for (const auto& w : p.stats().workers) work += 1e-9 * static_cast<double>(w.busy_ns);
  }
  state.counters["wall_ms"] = 1e3 * wall / static_cast<double>(state.iterations());
  state.counters["cpu_ms"] = 1e3 * cpu / static_cast<double>(state.iterations());
  state.counters["work_ms"] = 1e3 * work / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RateLimitCpuTime)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace

BENCHMARK_MAIN();
