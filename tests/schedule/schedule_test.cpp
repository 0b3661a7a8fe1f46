// Schedule values: combinators return new values and print; every conflicting combination and
// every key that does not fit the workload is a ScheduleError naming both sides.
#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "workloads/workloads.hpp"

namespace pto::wsp {
namespace {

TEST(Schedule, CombinatorsReturnNewValuesAndPrint) {
  const Schedule base;
  const Schedule s =
      base.dispatch(affinity(axis("b"))).queues(4).streams(2).stream_by(axis("h") % 2);
  EXPECT_EQ(base.to_string(), "dispatch(round_robin(1))");
  EXPECT_EQ(s.to_string(), "dispatch(affinity(b)).queues(4).streams(2).stream_by((h % 2))");
  EXPECT_EQ(s.timing(batched(2))
                .issue(priority(axis("t")))
                .task_graph(TaskWindow{64, WindowMode::Abort})
                .to_string(),
            "dispatch(affinity(b)).queues(4).streams(2).stream_by((h % 2)).timing(batched(2))"
            ".issue(priority(t)).task_graph(TaskWindow(64, ABORT))");
  EXPECT_EQ(s.num_queues(), 4);
  EXPECT_EQ(Schedule{}.dispatch(round_robin(3)).num_queues(), 3);
  EXPECT_EQ(Schedule{}.timing(interleaved(5)).num_streams(), 5);
  EXPECT_EQ(Schedule{}.dispatch(dispatch_by([](const TaskView&) { return 0; })).to_string(),
            "dispatch(dispatch_by(<fn>))");
  EXPECT_EQ(Schedule{}.timing(rate_limit(7)).to_string(),
            "dispatch(round_robin(1)).timing(rate_limit(7))");
}

TEST(Schedule, BadArgumentsAndConflictsAreScheduleErrors) {
  EXPECT_THROW_MSG(round_robin(0), ScheduleError, "round_robin(0)", "at least 1");
  EXPECT_THROW_MSG(batched(-1), ScheduleError, "batched(-1)");
  EXPECT_THROW_MSG(Schedule{}.streams(0), ScheduleError, "streams(0)");
  EXPECT_THROW_MSG(Schedule{}.task_graph(TaskWindow{0}), ScheduleError, "TaskWindow(0)");
  EXPECT_THROW_MSG(Schedule{}.dispatch(round_robin(2)).queues(3).validate(), ScheduleError,
                   "round_robin(2) disagrees with queues(3)");
  EXPECT_THROW_MSG(Schedule{}.stream_by(axis("h")).validate(), ScheduleError,
                   "stream_by needs a stream count");
  EXPECT_THROW_MSG(Schedule{}.streams(2).timing(interleaved(3)).validate(), ScheduleError,
                   "interleaved(3)", "streams(2)");
  EXPECT_THROW_MSG(Schedule{}.streams(2).timing(batched(4)).validate(), ScheduleError,
                   "batched(4) with streams(2) can never fill a group");
  EXPECT_THROW_MSG(Schedule{}.dispatch(work_steal()).timing(batched(2)).validate(), ScheduleError,
                   "work_steal", "not batched(2)");
  EXPECT_THROW_MSG(Schedule{}.timing(interleaved(2)).issue(priority(axis("t"))).validate(),
                   ScheduleError, "priority and interleaved");
}

TEST(Schedule, KeysAreCheckedAgainstEveryKernelAtCompile) {
  const workloads::Instance inst =
      workloads::synthetic(workloads::SyntheticOptions{"layers", 2, 8, 0.0});
  EXPECT_THROW_MSG(compile(inst.workload, Schedule{}.queues(2).dispatch(affinity(axis("h")))),
                   ScheduleError, "schedule key of dispatch 'h'", "kernel 'work'",
                   "has no axis 'h' (axes: b, t)");
  EXPECT_THROW_MSG(compile(inst.workload, Schedule{}.issue(priority(param("tier")))), ScheduleError,
                   "param(tier) is not a scalar parameter of work(");
  EXPECT_THROW_MSG(compile(inst.workload, Schedule{}.queues(2).dispatch(hash(symbol("nope")))),
                   ScheduleError, "symbol 'nope' is not used by the workload");
  // The window may be given in one place, or in both if they agree.
  CompileOptions o;
  o.window = TaskWindow{16};
  EXPECT_THROW_MSG(compile(inst.workload, Schedule{}.task_graph(TaskWindow{8}), o), ScheduleError,
                   "the task window is set twice", "TaskWindow(8)", "TaskWindow(16)");
  EXPECT_NO_THROW(compile(inst.workload, Schedule{}.task_graph(TaskWindow{16}), o));
}

TEST(Schedule, ParamAndSymbolKeysAndWorkloadCombinators) {
  // imbalanced: cost_ns = cost * (1 + 4b), a scalar parameter the key can read.
  const workloads::Instance inst =
      workloads::synthetic(workloads::SyntheticOptions{"imbalanced", 4, 16, 0.5});
  CompileOptions o;
  o.threads = 2;
  o.record_tasks = true;
  Program p = inst.workload.queues(4)
                  .dispatch(affinity(param("cost_ns") / symbol("cost_ns") / 4))
                  .issue(priority(param("cost_ns") * -1))
                  .compile(o);
  EXPECT_EQ(p.schedule().to_string(),
            "dispatch(affinity(((param(cost_ns) / cost_ns) / 4))).queues(4).issue(priority("
            "(param(cost_ns) * -1)))");
  p.execute(inst.bindings);
  p.synchronize();
  for (const TaskEvent& e : p.task_log()) {
    const std::int64_t b = e.axes[0].second;
    EXPECT_EQ(e.home_queue, (1 + 4 * b) / 4 % 4);
    EXPECT_EQ(e.priority, -500 * (1 + 4 * b));
  }
}

TEST(Schedule, TraceNeedsTheTaskLog) {
  const workloads::Instance inst = workloads::synthetic(workloads::SyntheticOptions{});
  Program p = compile(inst.workload);
  p.execute(inst.bindings);
  p.synchronize();
  EXPECT_THROW_MSG(p.trace(), ExecutionError, "record_tasks");
}

}  // namespace
}  // namespace pto::wsp
